"""The scoping form sent with each request: the case's details filled in, characters intact."""

from __future__ import annotations

import datetime as dt
import io
from types import SimpleNamespace

import docx

from mailbot.workflow.scoping import _scoping_form


def _text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_markup_characters_in_case_details_survive(maildir_runtime):
    rt = maildir_runtime
    agency = rt.board.config.agencies[0].model_copy(update={"name": "Smith & Jones <Health> Trust"})
    case = SimpleNamespace(reference="WS-2026-0042")
    child = SimpleNamespace(full_name="Tom O'Neil & Sam \"Junior\" <Test>", date_of_birth=dt.date(2015, 3, 4),
                            address="Flat 2 & 3, <Rear> Road, Exampletown", date_of_incident=dt.date(2026, 2, 1))
    [form] = _scoping_form(rt, case, agency, dt.date(2026, 3, 2), child)
    text = _text(form.data)
    assert "WS-2026-0042" in text and "Smith & Jones <Health> Trust" in text
    assert "Tom O'Neil & Sam \"Junior\" <Test>" in text
    assert "Flat 2 & 3, <Rear> Road, Exampletown" in text
    assert "&amp;" not in text and "&lt;" not in text
    # A second render goes through the prepared template, not docxtpl: the same text.
    [again] = _scoping_form(rt, case, agency, dt.date(2026, 3, 2), child)
    assert _text(again.data) == text
