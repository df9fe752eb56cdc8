"""Reading a .docx into the neutral document model.

``safety.open_office_zip`` opens the package and hands back the XML parts
it checked; python-docx's content-type and relationship readers find the
main part among them and its parser reads it. We then walk the body XML
ourselves, because the things a filled form depends on are below
python-docx's API: legacy FORMCHECKBOX fields and content-control check
boxes, tracked changes (insertions in, deletions out), placeholder text,
merged cells on the table grid and tables nested inside cells.
"""

from __future__ import annotations

import logging
import zipfile

from lxml import etree

from mailbot.errors import ParseError
from parsers.document import Cell, Document, Paragraph, Table, number_tables
from parsers.safety import LIMITS, Limits, open_office_zip, refuse_entities

log = logging.getLogger("mailbot.parsers")

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
W14 = "{http://schemas.microsoft.com/office/word/2010/wordml}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_TRUE = {None, "1", "true", "on"}
#: Subtrees whose text is not part of the final document.
_SKIP = {W + "del", W + "moveFrom", W + "delText", W + "instrText", W + "rPr", W + "pPr",
         W + "sdtPr", MC + "Fallback", W + "fldSimple_instr", W + "footnoteReference"}
#: Tags the walks below compare against, built once (they run for every element of a form).
_T, _TAB, _BR, _CR, _SYM, _FLD_CHAR = (W + n for n in ("t", "tab", "br", "cr", "sym", "fldChar"))
_P, _TBL, _TR, _TC, _SDT, _SDT_PR, _SDT_CONTENT, _CUSTOM_XML, _VAL = (
    W + n for n in ("p", "tbl", "tr", "tc", "sdt", "sdtPr", "sdtContent", "customXml", "val"))
_PLACEHOLDER, _TR_PR, _GRID_BEFORE, _TC_PR, _GRID_SPAN, _V_MERGE = (
    W + n for n in ("showingPlcHdr", "trPr", "gridBefore", "tcPr", "gridSpan", "vMerge"))
_WRAPPERS = (_CUSTOM_XML, W + "ins", W + "moveTo")


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
            if tag == _T:
                self.parts.append(child.text or "")
            elif tag == _TAB:
                self.parts.append("\t")
            elif tag == _BR or tag == _CR:
                self.parts.append("\n")
            elif tag == _SYM:
                self.parts.append(chr(int(child.get(W + "char", "20"), 16)))
            elif tag == _FLD_CHAR:
                box = child.find(f"{W}ffData/{W}checkBox")
                if box is not None:
                    self.boxes.append(_checkbox_state(box))
            elif tag == _SDT:
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


def _child(el: etree._Element, tag: str) -> etree._Element | None:
    """``el.find(tag)`` for a plain tag, without lxml's path machinery (a hot loop's cost)."""
    return next(el.iterchildren(tag), None)


def _blocks(container: etree._Element, out: list, tables: list[Table] | None = None) -> None:
    """Paragraphs and tables of a body or cell, in order (through content controls)."""
    for child in container:
        tag = child.tag
        if tag == _P:
            out.append(_paragraph(child))
        elif tag == _TBL:
            table = _table(child)
            (tables if tables is not None else out).append(table)
            if tables is not None:
                continue
        elif tag == _SDT:
            props = _child(child, _SDT_PR)
            if props is not None and _child(props, _PLACEHOLDER) is not None:
                continue
            content = _child(child, _SDT_CONTENT)
            if content is not None:
                _blocks(content, out, tables)
        elif tag in _WRAPPERS:
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
        tag = child.tag
        if tag == _TC:
            cells.append(child)
        elif tag == _SDT or tag == _CUSTOM_XML:
            holder = _child(child, _SDT_CONTENT) if tag == _SDT else child
            if holder is not None:
                cells.extend(holder.iterchildren(_TC))
    return cells


def _table(tbl: etree._Element) -> Table:
    """A table on its grid: merged cells repeat the same ``Cell`` object."""
    rows: list[list[Cell]] = []
    for tr in tbl.iterchildren(_TR):
        grid: list[Cell] = []
        # ``tr.find("w:trPr/w:gridBefore")``: the first under any trPr.
        before = next((gb for pr in tr.iterchildren(_TR_PR)
                       for gb in pr.iterchildren(_GRID_BEFORE)), None)
        for _ in range(int(before.get(_VAL, "0")) if before is not None else 0):
            grid.append(Cell(""))
        for tc in _row_cells(tr):
            props = _child(tc, _TC_PR)
            span, merge = 1, None
            if props is not None:
                gs = _child(props, _GRID_SPAN)
                span = max(1, int(gs.get(_VAL, "1"))) if gs is not None else 1
                vm = _child(props, _V_MERGE)
                merge = None if vm is None else (vm.get(_VAL) or "continue")
            col = len(grid)
            above = rows[-1][col] if merge == "continue" and rows and col < len(rows[-1]) else None
            cell = above if above is not None else _cell(tc)
            grid.extend([cell] * span)
        rows.append(grid)
    return Table(rows)


def _document_element(zf: zipfile.ZipFile, xml: dict[str, bytes]) -> etree._Element:
    """The main document part's XML root, found as python-docx's package reader finds it.

    ``docx.Document()`` also parses every other XML part, and its package
    reader inflates every part again, images too: most of the time a form
    took. Here the XML the safety check already inflated and scanned is
    reused, and python-docx's own pieces follow the relationships from the
    package root, in its order, through every internal target — so a
    package its reader would refuse (a missing part or content type, a
    broken ``.rels``, no single main part, the wrong content type) is still
    refused — but only the main part's bytes are parsed, with its parser.
    Parts that are not XML (images) are no longer inflated, so one whose
    bytes are damaged no longer makes the whole form unreadable.
    """
    from docx.opc.constants import CONTENT_TYPE as CT, RELATIONSHIP_TYPE as RT
    from docx.opc.packuri import CONTENT_TYPES_URI, PACKAGE_URI, PackURI
    from docx.opc.pkgreader import _ContentTypeMap, _SerializedRelationships
    from docx.oxml.parser import parse_xml

    def srels_for(source: PackURI) -> _SerializedRelationships:
        # None when there is none: a stored .rels is always among the scanned ``xml`` parts.
        rels = xml.get(source.rels_uri.membername)
        return _SerializedRelationships.load_from_xml(source.baseURI, rels)

    content_types = _ContentTypeMap.from_xml(xml[CONTENT_TYPES_URI.membername])
    sources = [(PACKAGE_URI, srels_for(PACKAGE_URI))]
    types: dict[str, str] = {}
    stack = [iter(sources[0][1])]
    while stack:  # depth first, as PackageReader walks the graph
        srel = next(stack[-1], None)
        if srel is None:
            stack.pop()
        elif not srel.is_external and srel.target_partname not in types:
            partname = srel.target_partname
            zf.getinfo(partname.membername)  # KeyError for a missing part, as ZipFile.read
            types[partname] = content_types[partname]
            sources.append((partname, srels_for(partname)))
            stack.append(iter(sources[-1][1]))
    mains = [srel.target_partname for source, srels in sources for srel in srels
             if source == PACKAGE_URI and srel.reltype == RT.OFFICE_DOCUMENT and not srel.is_external]
    if len(mains) != 1:
        raise ValueError(f"{len(mains)} main document parts")
    if mains[0] not in types:
        raise ValueError("main document part missing")
    if types[mains[0]] != CT.WML_DOCUMENT_MAIN:
        raise ValueError(f"not a Word document: {types[mains[0]]}")
    blob = xml.get(mains[0].membername)
    if blob is None:  # a main part not named .xml was not scanned with the rest
        blob = zf.read(mains[0].membername)
        refuse_entities(blob)
    return parse_xml(blob)


def read_docx(data: bytes, limits: Limits = LIMITS) -> Document:
    """The document model of a .docx (caps checked first)."""
    zf, xml = open_office_zip(data, ".docx", limits)
    try:
        body = _document_element(zf, xml).find(W + "body")
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
