"""Every sample form parses to exactly its .expected.json (all fields)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailbot.records import record_from_json
from parsers import parse_document
from tests.conftest import SAMPLES
from tests.parsers.helpers import board_mappings, expected, leaves

FORMS = sorted(p for p in (SAMPLES / "forms").rglob("*")
               if p.suffix in (".docx", ".pdf", ".doc"))


def _compare(form: Path) -> tuple[int, list[str]]:
    exp = expected(form)
    passwords = [exp["_password"]] if "_password" in exp else []
    result = parse_document(form.read_bytes(), form.name, board=exp["board"],
                            mappings=board_mappings(exp["board"]), passwords=passwords)
    want = dict(leaves(record_from_json(exp).model_dump(mode="json")))
    got = dict(leaves(result.record.model_dump(mode="json")))
    wrong = [f"{k}: expected {v!r}, got {got.get(k, '<missing>')!r}"
             for k, v in want.items() if got.get(k, "<missing>") != v]
    wrong += [f"{k}: not expected" for k in got if k not in want]
    return len(want), wrong


@pytest.mark.parametrize("form", FORMS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_sample_parses_to_expected(form: Path) -> None:
    _, wrong = _compare(form)
    assert not wrong, "\n".join(wrong)


def test_corpus_covers_every_format() -> None:
    assert {p.suffix for p in FORMS} == {".docx", ".pdf", ".doc"}
    assert any("protected" in p.name for p in FORMS)
