"""Turning the pack's words into Word documents, from templates a board may replace.

Templates live in ``templates/documents/pack/`` (``scoping_pack.docx``,
``front_sheet.docx``); a board's own ``<templates>/documents/pack/`` copy of
either wins. The cover, referral summary and returns are docxtpl tags; the
chronology rows are pattern rows filled by :mod:`mailbot.pack.tablefill`.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Iterator

from docxtpl import DocxTemplate

from mailbot.pack.chronology import Chronology, Row
from mailbot.pack.sections import clean
from mailbot.pack.tablefill import cut_patterns, splice
from mailbot.resources import templates_dir
from mailbot.runtime import BoardRuntime

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PRECISION_NOTE = {"month": "approx. (month)", "season": "approx. (season)", "part": "approx. (part of year)",
                  "year": "approx. (year)", "day": "approx."}


def template_path(rt: BoardRuntime, name: str) -> Path:
    """The board's own ``documents/pack/<name>.docx``, else the shipped one."""
    folders = []
    if rt.board.config.templates:
        folders.append(rt.board.resolve_path(rt.board.config.templates) / "documents" / "pack")
    folders.append(templates_dir() / "documents" / "pack")
    for folder in folders:
        if (folder / f"{name}.docx").is_file():
            return folder / f"{name}.docx"
    raise FileNotFoundError(f"no pack template {name!r}")


def row_values(row: Row) -> dict[str, str]:
    """What one chronology row prints, column by column."""
    same = ""
    if row.same_as:
        same = f"\u2248 {row.group}: possibly the same event as no. {', '.join(map(str, row.same_as))}"
    return {
        "n": str(row.number), "date": clean(row.when.shown),
        "approx": PRECISION_NOTE.get(row.when.precision, "") if row.when.approximate else "",
        "time": clean(row.time), "agency": agency_cell(row), "subject": clean(row.subject),
        "contact": clean(row.contact), "text": clean(row.text), "action": clean(row.action),
        "family": clean(row.family), "same": same,
        "source": clean(row.source.filename or row.source.form_type.replace("_", " ")),
    }


def agency_cell(row: Row) -> str:
    """The agency column as written, led by the directory's name when the form's wording omits it."""
    written, agency = clean(row.agency), clean(row.agency_key)
    if not written or written == agency or written.lower().startswith(agency.lower()):
        return written or agency
    return f"{agency}\n{written}"


def _dated_items(chron: Chronology) -> Iterator[tuple[str, dict[str, str]]]:
    for year, rows in chron.by_year():
        yield "year", {"year": year}
        for row in rows:
            yield "n", row_values(row)


def _render(path: Path, context: dict[str, Any]) -> DocxTemplate:
    doc = DocxTemplate(str(path))
    doc.render(context, autoescape=True)
    return doc


def _save(doc: DocxTemplate) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def render_pack(rt: BoardRuntime, context: dict[str, Any], chron: Chronology) -> bytes:
    doc = _render(template_path(rt, "scoping_pack"), context)
    body = doc.docx.element.body
    dated, undated = cut_patterns(body, "d"), cut_patterns(body, "u")
    rows = {}
    if dated is not None:
        rows["d"] = dated.xml(_dated_items(chron))
    if undated is not None:
        rows["u"] = undated.xml(("n", row_values(r)) for r in chron.undated)
    return splice(_save(doc), rows)


def render_front_sheet(rt: BoardRuntime, context: dict[str, Any]) -> bytes:
    return _save(_render(template_path(rt, "front_sheet"), context))
