"""A blank form made from its mapping, for a board that ships only the mapping.

Swindon's chronology format (seed 004, Appendix 3) is known to mailbot as a
form mapping (``config/forms/swindon/chronology.yaml``), not as a file. The
mapping already says what the form looks like to a reader: the words that
recognise it, the labels of its single fields and the column headings of its
table. Written out in that order they make a form the same mapping reads
back, so what an agency fills in is what the bot can read; the case
reference and the agency are filled in, the table left for the agency.
"""

from __future__ import annotations

import io
from typing import Any

from docx import Document


def _first(labels: list[str]) -> str | None:
    return labels[0] if labels else None


def blank_from_mapping(mapping: Any, values: dict[str, str]) -> bytes:
    """A .docx of ``mapping``'s form: recognising words, labelled fields (``values`` filled in), tables."""
    doc = Document()
    words = [*mapping.recognise.all]
    doc.add_heading(words[0] if words else (mapping.title or mapping.id), level=1)
    for extra in words[1:]:
        doc.add_paragraph(extra)
    if mapping.title:
        doc.add_paragraph(mapping.title)
    singles = [(key, spec) for key, spec in mapping.fields.items() if spec.type != "table" and spec.labels]
    if singles:
        table = doc.add_table(rows=0, cols=2)
        table.style = "Table Grid"
        for key, spec in singles:
            cells = table.add_row().cells
            cells[0].text = _first(spec.labels) or key
            cells[1].text = values.get(key, "")
    for key, spec in mapping.fields.items():
        if spec.type != "table" or not spec.columns:
            continue
        doc.add_paragraph("")
        heads = [_first(col.labels) or name.replace("_", " ").capitalize() for name, col in spec.columns.items()]
        table = doc.add_table(rows=2, cols=len(heads))
        table.style = "Table Grid"
        for cell, head in zip(table.rows[0].cells, heads):
            cell.text = head
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
