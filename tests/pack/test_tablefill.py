"""Pattern rows are copied once per row: markers filled, optional lines dropped, runs Word split joined."""

from __future__ import annotations

import io
import zipfile

from docx import Document

from mailbot.pack.tablefill import cut_patterns, splice


def _template(split: bool) -> bytes:
    doc = Document()
    table = doc.add_table(rows=2, cols=2)
    table.rows[0].cells[0].text = "Heading"
    first = table.rows[1].cells[0].paragraphs[0]
    if split:  # as Word saves it after an edit: the marker in three runs
        for part in ("[[d.", "da", "te]]"):
            first.add_run(part)
    else:
        first.add_run("[[d.date]]")
    table.rows[1].cells[0].add_paragraph("[[d.note]]")
    table.rows[1].cells[1].text = "[[d.text]] & more"
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _fill(data: bytes, items: list[dict[str, str]]) -> Document:
    doc = Document(io.BytesIO(data))
    cut = cut_patterns(doc.element.body, "d")
    assert cut is not None and cut_patterns(doc.element.body, "u") is None
    out = io.BytesIO()
    doc.save(out)
    return Document(io.BytesIO(splice(out.getvalue(), {"d": cut.xml(("date", v) for v in items)})))


def test_rows_are_filled_escaped_with_line_breaks_and_optional_lines_dropped():
    items = [{"date": "01/02/2025", "note": "approx.", "text": "A <b> & C\nsecond line"},
             {"date": "N/K", "note": "", "text": ""}]
    for split in (False, True):
        rows = _fill(_template(split), items).tables[0].rows
        assert len(rows) == 3 and rows[0].cells[0].text == "Heading"
        assert [p.text for p in rows[1].cells[0].paragraphs] == ["01/02/2025", "approx."]
        assert rows[1].cells[1].text == "A <b> & C\nsecond line & more"
        assert [p.text for p in rows[2].cells[0].paragraphs] == ["N/K"]  # the empty note line is gone
        assert rows[2].cells[1].text == " & more"


def test_the_document_stays_one_namespace_declaration_per_prefix():
    doc = _fill(_template(False), [{"date": str(n), "note": "", "text": "x"} for n in range(50)])
    out = io.BytesIO()
    doc.save(out)
    xml = zipfile.ZipFile(out).read("word/document.xml").decode()
    assert xml.count('xmlns:w="') == 1 and xml.count("<w:tr>") + xml.count("<w:tr ") == 51
