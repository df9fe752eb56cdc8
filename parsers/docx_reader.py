"""Reading a .docx into the neutral document model.

python-docx's package reader opens the package (only after
``safety.check_office_zip`` has passed it) and its parser reads the main
part; we then walk the body XML ourselves, because the things a
filled form depends on are below python-docx's API: legacy FORMCHECKBOX
fields and content-control check boxes, tracked changes (insertions in,
deletions out), placeholder text, merged cells on the table grid and
tables nested inside cells.
"""

from __future__ import annotations

import io
import logging

from lxml import etree

from mailbot.errors import ParseError
from parsers.document import Cell, Document, Paragraph, Table, number_tables
from parsers.safety import LIMITS, Limits, check_office_zip

log = logging.getLogger("mailbot.parsers")

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
W14 = "{http://schemas.microsoft.com/office/word/2010/wordml}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_TRUE = {None, "1", "true", "on"}
#: Subtrees whose text is not part of the final document.
_SKIP = {W + "del", W + "moveFrom", W + "delText", W + "instrText", W + "rPr", W + "pPr",
         W + "sdtPr", MC + "Fallback", W + "fldSimple_instr", W + "footnoteReference"}


def _on(el: etree._Element | None, attr: str = W + "val") -> bool | None:
    """State of an on/off element: absent → None, no val → True."""
    if el is None:
        return None
    return el.get(attr) in _TRUE


def _checkbox_state(ff_box: etree._Element) -> bool:
    """A legacy check box: ``w:checked`` wins, else ``w:default``."""
    checked = _on(ff_box.find(W + "checked"))
    if checked is not None:
        return checked
    return bool(_on(ff_box.find(W + "default")))


class _Paragraph:
    """Collects one paragraph's final text and check-box states."""

    __slots__ = ("parts", "boxes")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.boxes: list[bool] = []

    def walk(self, el: etree._Element) -> None:
        for child in el:
            tag = child.tag
            if not isinstance(tag, str) or tag in _SKIP:
                continue
            if tag == W + "t":
                self.parts.append(child.text or "")
            elif tag == W + "tab":
                self.parts.append("\t")
            elif tag in (W + "br", W + "cr"):
                self.parts.append("\n")
            elif tag == W + "sym":
                self.parts.append(chr(int(child.get(W + "char", "20"), 16)))
            elif tag == W + "fldChar":
                box = child.find(f"{W}ffData/{W}checkBox")
                if box is not None:
                    self.boxes.append(_checkbox_state(box))
            elif tag == W + "sdt":
                self._content_control(child)
            else:
                self.walk(child)

    def _content_control(self, sdt: etree._Element) -> None:
        props = sdt.find(W + "sdtPr")
        content = sdt.find(W + "sdtContent")
        if props is not None:
            box = props.find(W14 + "checkbox")
            if box is not None:
                self.boxes.append(bool(_on(box.find(W14 + "checked"), W14 + "val")))
                return  # the glyph inside is only the box's picture
            if props.find(W + "showingPlcHdr") is not None:
                return  # Word's "Click or tap here to enter text."
        if content is not None:
            self.walk(content)


def _paragraph(p: etree._Element) -> Paragraph:
    acc = _Paragraph()
    acc.walk(p)
    return Paragraph("".join(acc.parts), acc.boxes)


def _blocks(container: etree._Element, out: list, tables: list[Table] | None = None) -> None:
    """Paragraphs and tables of a body or cell, in order (through content controls)."""
    for child in container:
        tag = child.tag
        if tag == W + "p":
            out.append(_paragraph(child))
        elif tag == W + "tbl":
            table = _table(child)
            (tables if tables is not None else out).append(table)
            if tables is not None:
                continue
        elif tag == W + "sdt":
            props = child.find(W + "sdtPr")
            if props is not None and props.find(W + "showingPlcHdr") is not None:
                continue
            content = child.find(W + "sdtContent")
            if content is not None:
                _blocks(content, out, tables)
        elif tag in (W + "customXml", W + "ins", W + "moveTo"):
            _blocks(child, out, tables)


def _cell(tc: etree._Element) -> Cell:
    paras: list[Paragraph] = []
    nested: list[Table] = []
    _blocks(tc, paras, nested)
    text = "\n".join(p.text for p in paras)
    boxes = [b for p in paras for b in p.boxes]
    return Cell(text, boxes, nested)


def _row_cells(tr: etree._Element) -> list[etree._Element]:
    cells: list[etree._Element] = []
    for child in tr:
        if child.tag == W + "tc":
            cells.append(child)
        elif child.tag in (W + "sdt", W + "customXml"):
            holder = child.find(W + "sdtContent") if child.tag == W + "sdt" else child
            if holder is not None:
                cells.extend(c for c in holder if c.tag == W + "tc")
    return cells


def _table(tbl: etree._Element) -> Table:
    """A table on its grid: merged cells repeat the same ``Cell`` object."""
    rows: list[list[Cell]] = []
    trs = [c for c in tbl if c.tag == W + "tr"]
    for tr in trs:
        grid: list[Cell] = []
        before = tr.find(f"{W}trPr/{W}gridBefore")
        for _ in range(int(before.get(W + "val", "0")) if before is not None else 0):
            grid.append(Cell(""))
        for tc in _row_cells(tr):
            props = tc.find(W + "tcPr")
            span, merge = 1, None
            if props is not None:
                gs = props.find(W + "gridSpan")
                span = max(1, int(gs.get(W + "val", "1"))) if gs is not None else 1
                vm = props.find(W + "vMerge")
                merge = None if vm is None else (vm.get(W + "val") or "continue")
            col = len(grid)
            above = rows[-1][col] if merge == "continue" and rows and col < len(rows[-1]) else None
            cell = above if above is not None else _cell(tc)
            grid.extend([cell] * span)
        rows.append(grid)
    return Table(rows)


def _document_element(data: bytes) -> etree._Element:
    """The main document part's XML root, found and parsed as python-docx does.

    ``docx.Document()`` also parses every other XML part, and a board's
    styles alone run to hundreds of KB: a third of the time a form took.
    Only the body is read here, so only the main part is parsed — with
    python-docx's own parser, after its own package reader has walked the
    relationships and content types (so a package it would refuse for its
    structure is still refused).
    """
    from docx.opc.constants import CONTENT_TYPE as CT, RELATIONSHIP_TYPE as RT
    from docx.opc.packuri import PACKAGE_URI
    from docx.opc.pkgreader import PackageReader
    from docx.oxml.parser import parse_xml

    reader = PackageReader.from_file(io.BytesIO(data))
    mains = [srel.target_partname for source, srel in reader.iter_srels() if source == PACKAGE_URI
             and srel.reltype == RT.OFFICE_DOCUMENT and not srel.is_external]
    if len(mains) != 1:
        raise ValueError(f"{len(mains)} main document parts")
    for partname, content_type, _reltype, blob in reader.iter_sparts():
        if partname == mains[0]:
            if content_type != CT.WML_DOCUMENT_MAIN:
                raise ValueError(f"not a Word document: {content_type}")
            return parse_xml(blob)
    raise ValueError("main document part missing")


def read_docx(data: bytes, limits: Limits = LIMITS) -> Document:
    """The document model of a .docx (caps checked first)."""
    check_office_zip(data, ".docx", limits)
    try:
        body = _document_element(data).find(W + "body")
    except ParseError:
        raise
    except Exception as err:  # the package reader and parser raise many kinds on a broken package
        raise ParseError("the attachment is damaged (not a readable .docx file)",
                         "damaged") from err
    if body is None:
        raise ParseError("the attachment is damaged (not a readable .docx file)", "damaged")
    blocks: list = []
    _blocks(body, blocks)
    doc = Document(blocks)
    number_tables(doc)
    return doc
