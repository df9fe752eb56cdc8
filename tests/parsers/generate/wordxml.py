"""WordprocessingML snippets for every way agencies fill a form.

Each text style writes the same final text the way a different Word habit
stores it (runs split by formatting, tracked changes, content controls,
legacy form fields, hyperlinks, soft breaks); each tick style is one way a
box is ticked (record contract, "Tick boxes").  The generator composes
these into paragraphs and cells; the parser must read them all alike.
"""

from __future__ import annotations

import random
from xml.sax.saxutils import escape

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14_NS = "http://schemas.microsoft.com/office/word/2010/wordml"
NS = f'xmlns:w="{W_NS}" xmlns:w14="{W14_NS}"'

TEXT_STYLES = ("plain", "runs", "tracked", "sdt", "formtext", "hyperlink", "softbreak")
TICK_STYLES = ("legacy", "legacy_default", "sdt", "glyph", "x", "bracket", "paren", "yesno",
               "check", "wingdings")
#: Tick styles a PDF keeps (it has no check-box objects, only the glyphs).
TEXT_TICKS = ("glyph", "x", "bracket", "paren", "yesno", "check")


def _t(text: str) -> str:
    return f'<w:t xml:space="preserve">{escape(text)}</w:t>'


def run(text: str, props: str = "") -> str:
    """One run; tabs and line breaks become Word's own elements."""
    parts = []
    for i, line in enumerate(text.split("\n")):
        if i:
            parts.append("<w:br/>")
        for j, piece in enumerate(line.split("\t")):
            if j:
                parts.append("<w:tab/>")
            if piece:
                parts.append(_t(piece))
    rpr = f"<w:rPr>{props}</w:rPr>" if props else ""
    return f"<w:r>{rpr}{''.join(parts)}</w:r>"


def label_run(text: str, bold: bool = True) -> str:
    return run(text, "<w:b/>" if bold else "")


def _split_runs(text: str, rng: random.Random) -> str:
    """The text in several runs, with formatting, proofing marks and bookmarks between."""
    if len(text) < 2:
        return run(text)
    cuts = sorted(rng.sample(range(1, len(text)), min(3, len(text) - 1)))
    pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)])]
    out = []
    for i, piece in enumerate(pieces):
        props = rng.choice(["", "<w:i/>", "<w:b/>", '<w:color w:val="1F3864"/>'])
        if i == 1:
            out.append('<w:proofErr w:type="spellStart"/>')
        if i == 2:
            out.append(f'<w:bookmarkStart w:id="{rng.randint(1, 999)}" w:name="_Ref{i}"/>')
        out.append(run(piece, props))
    out.append('<w:bookmarkEnd w:id="0"/>')
    return "".join(out)


def answer_runs(text: str, style: str, rng: random.Random) -> str:
    """One line of an answer (no paragraph break inside) in a text style."""
    if style == "runs":
        return _split_runs(text, rng)
    if style == "tracked":
        old = rng.choice(["draft text ", "tbc ", "see notes "])
        return (f'<w:del w:id="1" w:author="A"><w:r><w:delText xml:space="preserve">'
                f'{escape(old)}</w:delText></w:r></w:del>'
                f'<w:ins w:id="2" w:author="A">{run(text)}</w:ins>')
    if style == "sdt":
        return (f'<w:sdt><w:sdtPr><w:alias w:val="Answer"/></w:sdtPr>'
                f"<w:sdtContent>{run(text)}</w:sdtContent></w:sdt>")
    if style == "formtext":
        return ('<w:r><w:fldChar w:fldCharType="begin"><w:ffData><w:name w:val="Text1"/>'
                '<w:enabled/><w:textInput/></w:ffData></w:fldChar></w:r>'
                '<w:r><w:instrText xml:space="preserve"> FORMTEXT </w:instrText></w:r>'
                '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
                f'{run(text)}<w:r><w:fldChar w:fldCharType="end"/></w:r>')
    if style == "hyperlink":
        return f'<w:hyperlink w:anchor="_top" w:history="1">{run(text)}</w:hyperlink>'
    return run(text)


def blank_runs(style: str) -> str:
    """What an untouched answer box holds in a text style (nothing visible)."""
    if style == "sdt":
        return ('<w:sdt><w:sdtPr><w:showingPlcHdr/></w:sdtPr><w:sdtContent>'
                f'{run("Click or tap here to enter text.")}</w:sdtContent></w:sdt>')
    if style == "formtext":
        return answer_runs("\u2002" * 5, "formtext", random.Random(0))
    return ""


def tick_runs(ticked: bool, style: str) -> str:
    """A tick box, ticked or not, in one tick style."""
    if style in ("legacy", "legacy_default"):
        state = ("<w:checked/>" if style == "legacy" else '<w:default w:val="1"/>') if ticked \
            else '<w:default w:val="0"/>'
        return ('<w:r><w:fldChar w:fldCharType="begin"><w:ffData><w:name w:val="Check1"/>'
                f'<w:enabled/><w:checkBox><w:sizeAuto/>{state}</w:checkBox></w:ffData>'
                '</w:fldChar></w:r><w:r><w:instrText xml:space="preserve"> FORMCHECKBOX '
                '</w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>')
    if style == "sdt":
        glyph = "☒" if ticked else "☐"
        return (f'<w:sdt><w:sdtPr><w14:checkbox><w14:checked w14:val="{int(ticked)}"/>'
                '<w14:checkedState w14:val="2612" w14:font="MS Gothic"/>'
                '<w14:uncheckedState w14:val="2610" w14:font="MS Gothic"/></w14:checkbox>'
                f'</w:sdtPr><w:sdtContent>{run(glyph)}</w:sdtContent></w:sdt>')
    if style == "wingdings":
        char = "F0FE" if ticked else "F0A8"
        return f'<w:r><w:sym w:font="Wingdings" w:char="{char}"/></w:r>'
    return run(mark_text(ticked, style))


def mark_text(ticked: bool, style: str) -> str:
    """The typed text of a tick mark (styles that are plain text)."""
    return {
        "glyph": ("☒", "☐"), "x": ("X", ""), "bracket": ("[X]", "[ ]"), "paren": ("(x)", "( )"),
        "yesno": ("Yes", "No"), "check": ("✓", ""),
    }[style][0 if ticked else 1]


def paragraph(inner: str, style_id: str | None = None) -> str:
    ppr = f'<w:pPr><w:pStyle w:val="{style_id}"/></w:pPr>' if style_id else ""
    return f"<w:p {NS}>{ppr}{inner}</w:p>"


def cell(paragraphs: list[str], span: int = 1) -> str:
    """A table cell (``paragraphs`` are <w:p> strings without the namespace header)."""
    body = "".join(p.replace(f" {NS}", "") for p in paragraphs) or "<w:p/>"
    props = f'<w:tcPr><w:gridSpan w:val="{span}"/></w:tcPr>' if span > 1 else ""
    return f"<w:tc>{props}{body}</w:tc>"


def table(rows: list[list[str]], columns: int) -> str:
    width = 8640 // columns  # the text width of a Letter page with Word's margins
    grid = "".join(f'<w:gridCol w:w="{width}"/>' for _ in range(columns))
    borders = "".join(f'<w:{side} w:val="single" w:sz="4"/>'
                      for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
    body = "".join(f"<w:tr>{''.join(r)}</w:tr>" for r in rows)
    return (f'<w:tbl {NS}><w:tblPr><w:tblW w:w="8640" w:type="dxa"/>'
            f'<w:tblLayout w:type="fixed"/><w:tblBorders>{borders}'
            f"</w:tblBorders></w:tblPr><w:tblGrid>{grid}</w:tblGrid>{body}</w:tbl>")
