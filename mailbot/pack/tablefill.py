"""Filling a Word table from pattern rows, fast enough for 5,000 chronology rows.

docxtpl's ``{%tr for %}`` loops re-scan the whole document after rendering,
which takes seconds per thousand rows. The chronology table instead holds
*pattern rows*: a row whose cells carry markers such as ``[[d.date]]`` and
``[[d.text]]`` (prefix ``d``) is copied once per chronology row with its
markers replaced by the row's values; a row carrying ``[[d.year]]`` is the
pattern for the year headings. The template keeps all the formatting
(fonts, shading, widths); this module only copies and fills.

Each pattern row is turned once into a list of XML text pieces and marker
names and cut from the document, leaving a placeholder; every chronology
row is then a string join, spliced into ``word/document.xml`` after the
document is saved, so thousands of rows are never parsed at all. A
paragraph whose markers all come out empty is left out (unless it is the
first of its cell), so an optional line such as the
duplicate mark leaves no blank line behind. Line breaks in values become
Word line breaks.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from typing import Iterable, Mapping

from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W_TR, W_P, W_T, W_TC = (f"{{{W}}}{n}" for n in ("tr", "p", "t", "tc"))
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
MARKER = re.compile(r"\[\[(\w+)\.(\w+)\]\]")
_OPTIONAL = re.compile(r"<!--opt-->(.*?)<!--/opt-->", re.DOTALL)
_BREAK = '</w:t><w:br/><w:t xml:space="preserve">'


def _text(el: etree._Element) -> str:
    return "".join(t.text or "" for t in el.iter(W_T))


def pattern_rows(root: etree._Element, prefix: str) -> dict[str, etree._Element]:
    """``{first marker name: row}`` for the rows of ``root`` that carry ``prefix`` markers."""
    found: dict[str, etree._Element] = {}
    for tr in root.iter(W_TR):
        names = [name for p, name in MARKER.findall(_text(tr)) if p == prefix]
        if names:
            found.setdefault(names[0], tr)
    return found


def escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", _BREAK)


@dataclass
class _Pattern:
    """A pattern row as pieces: literal XML, or a marker name; optional paragraphs apart."""

    #: Each part is ``(pieces, markers)``; ``markers`` is None for parts always written.
    parts: list[tuple[list[str], list[str] | None]]

    def fill(self, values: Mapping[str, str]) -> str:
        out: list[str] = []
        for pieces, markers in self.parts:
            if markers is not None and not any(values.get(m) for m in markers):
                continue
            for i, piece in enumerate(pieces):
                out.append(escape(values.get(piece, "")) if i % 2 else piece)
        return "".join(out)


def _join_split_markers(tr: etree._Element) -> None:
    """Word splits text into runs where it likes (``[[d.`` + ``text]]``): join a paragraph's
    text into its first run when a marker spans runs, so every marker is whole."""
    for p in tr.iter(W_P):
        ts = list(p.iter(W_T))
        whole = "".join(t.text or "" for t in ts)
        if len(ts) > 1 and len(MARKER.findall(whole)) > sum(len(MARKER.findall(t.text or "")) for t in ts):
            ts[0].text = whole
            for t in ts[1:]:
                t.text = ""


def _compile(tr: etree._Element, prefix: str) -> _Pattern:
    _join_split_markers(tr)
    for t in tr.iter(W_T):
        if t.text and "[[" in t.text:
            t.set(XML_SPACE, "preserve")
    for p in list(tr.iter(W_P)):
        cell = p.getparent()
        first = next((c for c in cell if c.tag == W_P), None) if cell is not None else None
        if cell is not None and cell.tag == W_TC and p is not first and MARKER.search(_text(p)):
            p.addprevious(etree.Comment("opt"))
            p.addnext(etree.Comment("/opt"))
    xml = etree.tostring(tr, encoding="unicode")
    head_end = xml.index(">")  # the document root declares every namespace: drop the copies
    xml = re.sub(r'\sxmlns(?::\w+)?="[^"]*"', "", xml[:head_end]) + xml[head_end:]
    parts: list[tuple[list[str], list[str] | None]] = []
    at = 0
    for m in _OPTIONAL.finditer(xml):
        parts.append((_pieces(xml[at:m.start()], prefix), None))
        inner = _pieces(m.group(1), prefix)
        parts.append((inner, inner[1::2]))
        at = m.end()
    parts.append((_pieces(xml[at:], prefix), None))
    return _Pattern(parts)


def _pieces(xml: str, prefix: str) -> list[str]:
    """Alternating literal XML and marker names (``prefix`` markers only)."""
    out, at = [], 0
    for m in MARKER.finditer(xml):
        if m.group(1) != prefix:
            continue
        out += [xml[at:m.start()], m.group(2)]
        at = m.end()
    return [*out, xml[at:]]


def placeholder(prefix: str) -> str:
    return f"<!--mailbot-rows:{prefix}-->"


@dataclass
class Cut:
    """A table's pattern rows, cut out and compiled; a placeholder marks where rows go."""

    prefix: str
    patterns: dict[str, _Pattern]

    def xml(self, items: Iterable[tuple[str, Mapping[str, str]]]) -> str:
        """The filled rows. Each item is ``(pattern, values)``: ``pattern`` names a
        pattern row by its first marker (``"year"``, ``"n"``); ``values`` fills its markers."""
        return "".join(self.patterns[kind].fill(values) for kind, values in items)


def cut_patterns(root: etree._Element, prefix: str) -> Cut | None:
    """Compile and remove the ``prefix`` pattern rows of ``root``, leaving a placeholder."""
    rows = pattern_rows(root, prefix)
    if not rows:
        return None
    first = min(rows.values(), key=lambda tr: tr.getparent().index(tr))
    first.addprevious(etree.Comment(placeholder(prefix)[4:-3]))
    compiled = {kind: _compile(tr, prefix) for kind, tr in rows.items()}
    for tr in rows.values():
        tr.getparent().remove(tr)
    return Cut(prefix, compiled)


def splice(docx: bytes, rows: Mapping[str, str]) -> bytes:
    """``docx`` with each placeholder in ``word/document.xml`` replaced by its rows' XML."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "word/document.xml":
                text = data.decode("utf-8")
                for prefix, xml in rows.items():
                    text = text.replace(placeholder(prefix), xml, 1)
                data = text.encode("utf-8")
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, data)
    return out.getvalue()
