#!/usr/bin/env python3
"""Build the shipped Word templates in ``templates/documents/`` (docxtpl tags).

Run it after changing the wording here; the generated files are committed
so a deployment never needs this script. A board replaces any of them by
putting a file of the same name under ``<board templates>/documents/``.

The letters follow the seeds' standard letters: Swindon Appendix 6 (letter
informing agencies that a Serious Case Review is to be undertaken), West
Sussex flow chart 2 (notifications to Ofsted and the National Panel; the
panel told of a no-SCR decision within 14 days with the serious incident
notification) and B&NES Appendix 7 (Ofsted, DfE and the Panel told within
five working days; reviewers' names given to the Panel).

    python scripts/make_document_templates.py [--out templates/documents]
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

FIXED = dt.datetime(2026, 1, 1)  # stable files: regenerating changes nothing needlessly
OUT = Path(__file__).resolve().parents[1] / "templates" / "documents"


def _base() -> Document:
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin = section.right_margin = Cm(2.5)
    section.top_margin = section.bottom_margin = Cm(2.0)
    style = doc.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(11)
    style.paragraph_format.space_after = Pt(6)
    return doc


def _p(doc: Document, text: str = "", bold: bool = False, align: str | None = None,
       size: int | None = None, italic: bool = False) -> None:
    para = doc.add_paragraph()
    run = para.add_run(text)  # one run per paragraph: docxtpl tags stay whole
    run.bold, run.italic = bold, italic
    if size:
        run.font.size = Pt(size)
    if align == "right":
        para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    elif align == "center":
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _bullets(doc: Document, loop: str, item: str) -> None:
    _p(doc, f"{{%p for x in {loop} %}}")
    doc.add_paragraph(item, style="List Bullet")
    _p(doc, "{%p endfor %}")


def _head(doc: Document, heading: str) -> None:
    _p(doc, "{{ board_name }}", bold=True, align="right", size=13)
    _p(doc, "{{ board_address }}", align="right", size=9)
    _p(doc, "CONFIDENTIAL", bold=True, align="center")
    _p(doc, "{{ date_long }}")
    _p(doc, "Our reference: {{ case_reference }}")
    _p(doc, heading, bold=True, size=12)


def _child(doc: Document) -> None:
    _p(doc, "Re: {{ child_line }}", bold=True)


def _sign(doc: Document) -> None:
    _p(doc, "Yours sincerely")
    _p(doc)
    _p(doc, "{{ chair_name }}")
    _p(doc, "{{ chair_role }}, {{ board_name }}")
    _p(doc, "{%p if enclosures %}")
    _p(doc, "Enclosed:", bold=True)
    _bullets(doc, "enclosures", "{{ x }}")
    _p(doc, "{%p endif %}")


def scr_notification() -> Document:
    doc = _base()
    _head(doc, "Notification of a decision to initiate a Serious Case Review")
    _p(doc, "To: {{ addressees }}")
    _p(doc, "Dear Colleagues,")
    _child(doc)
    _p(doc, "In accordance with Working Together to Safeguard Children 2015 and the Local Safeguarding "
            "Children Boards Regulations 2006, I am writing to notify you that on {{ decision_date }} "
            "I decided that a Serious Case Review should be undertaken in this case.")
    _p(doc, "{%p if criteria %}")
    _p(doc, "The criteria for a Serious Case Review that apply in this case are:")
    _bullets(doc, "criteria", "{{ x }}")
    _p(doc, "{%p endif %}")
    _p(doc, "{%p if reasons %}")
    _p(doc, "Reasons for the decision: {{ reasons }}")
    _p(doc, "{%p endif %}")
    _p(doc, "Reviewers", bold=True)
    _p(doc, "{%p if reviewers %}")
    _p(doc, "The {{ board_short }} has appointed the following to lead the review:")
    _bullets(doc, "reviewers", "{{ x }}")
    _p(doc, "{%p else %}")
    _p(doc, "The lead reviewer has not yet been appointed. We will give the National Panel the name(s) "
            "of the reviewer(s) as soon as the appointment is made.")
    _p(doc, "{%p endif %}")
    _p(doc, "We aim to complete the review within six months of this decision. Please contact "
            "{{ contact }} if you need anything further.")
    _sign(doc)
    return doc


def no_scr_notification() -> Document:
    doc = _base()
    _head(doc, "Notification to the National Panel of a decision not to initiate a Serious Case Review")
    _p(doc, "To: {{ addressees }}")
    _p(doc, "Dear Panel members,")
    _child(doc)
    _p(doc, "In accordance with Working Together to Safeguard Children 2015, I am writing to inform "
            "the National Panel of Independent Experts that on {{ decision_date }} I decided that this "
            "case does not meet the criteria for a Serious Case Review.")
    _p(doc, "Reasons for the decision", bold=True)
    _p(doc, "{{ reasons or 'The reasons are set out in the enclosed referral.' }}")
    _p(doc, "{%p if review_type %}")
    _p(doc, "The {{ board_short }} will instead undertake the following review: {{ review_type }}.")
    _p(doc, "{%p endif %}")
    _p(doc, "The Case Review Sub-Group's recommendation and my decision are recorded on the enclosed "
            "referral. A copy of the local authority's serious incident notification is enclosed.")
    _p(doc, "I understand this decision is subject to scrutiny by the Panel. The {{ board_short }} will "
            "provide any further information the Panel requests, and I will be pleased to attend to "
            "explain the decision. If the Panel challenges it, we will inform Ofsted, the DfE and the "
            "Panel of the final outcome.")
    _sign(doc)
    return doc


def agencies_letter() -> Document:
    doc = _base()
    _head(doc, "Letter informing {{ board_short }} agencies that a Serious Case Review is to be undertaken")
    _p(doc, "To: {{ addressees }}")
    _p(doc, "Dear Colleague,")
    _child(doc)
    _p(doc, "In accordance with Working Together to Safeguard Children 2015 I am writing to inform you "
            "I have decided that a Serious Case Review should be undertaken on the above case.")
    _p(doc, "Securing records", bold=True)
    _p(doc, "Please ensure that your agency's records about this child and family are secured "
            "promptly: the designated senior manager should make sure that case files, electronic "
            "records and notes are kept safe and unaltered, and that staff involved in the case are "
            "told that a Serious Case Review will take place.")
    _p(doc, "{%p if criteria %}")
    _p(doc, "Criteria for undertaking a Serious Case Review", bold=True)
    _p(doc, "The following criteria are relevant in this case:")
    _bullets(doc, "criteria", "{{ x }}")
    _p(doc, "{%p endif %}")
    _p(doc, "Working Together also states that the purpose of such reviews is:")
    for line in ("to establish whether there are lessons to be learned from the case about the way in "
                 "which local professionals and agencies work together to safeguard children;",
                 "to identify clearly what these lessons are, how they will be acted upon, and what is "
                 "expected to change as a result;",
                 "to improve inter-agency working and to better safeguard children."):
        doc.add_paragraph(line, style="List Bullet")
    _p(doc, "Time framework", bold=True)
    _p(doc, "The aim is to complete the review within six months of the decision. "
            "{%if due_chronologies %}Chronologies will be due by {{ due_chronologies }} and management "
            "reports by {{ due_reports }}; we will write to you separately with the formats.{% endif %}")
    _p(doc, "Investigating Manager", bold=True)
    _p(doc, "Will all agencies that have had any involvement in this case please appoint an appropriate "
            "Investigating Manager: someone of sufficient experience in safeguarding who is independent "
            "of the line management of the case. Please tell us who this is by replying to {{ contact }}, "
            "keeping {{ case_reference }} in the subject. If your agency was not involved with the "
            "family, please tell us so that our records are complete.")
    _p(doc, "Thank you for your co-operation.")
    _sign(doc)
    return doc


def letter() -> Document:
    """The fallback for any other draft kind: a title and paragraphs."""
    doc = _base()
    _head(doc, "{{ title }}")
    _p(doc, "To: {{ addressees }}")
    _p(doc, "Dear Colleague,")
    _child(doc)
    _p(doc, "{%p for x in body %}")
    _p(doc, "{{ x }}")
    _p(doc, "{%p endfor %}")
    _sign(doc)
    return doc


# --- the scoping pack and the case front sheet (templates/documents/pack/) ---------------
#
# The pack follows process.md stage 1 step 6 and Swindon Part 4: a cover sheet,
# the referral summary, each return, and the integrated chronology in the
# Swindon chronology columns on landscape pages with 1.5 cm margins. The
# chronology rows are not docxtpl loops (5,000 rows must render in seconds):
# rows holding ``[[d.field]]`` (dated) and ``[[u.field]]`` (undated) markers are
# patterns mailbot copies once per row (mailbot/pack/tablefill.py).

from docx.enum.section import WD_ORIENT, WD_SECTION  # noqa: E402
from docx.oxml import OxmlElement  # noqa: E402
from docx.oxml.ns import qn  # noqa: E402
from docx.shared import RGBColor  # noqa: E402

NAVY = RGBColor(0x1F, 0x38, 0x64)
CHRONOLOGY_COLUMNS = [  # (heading, marker, width cm): Swindon's columns, plus number and source
    ("No.", "n", 1.0), ("Date", "date", 2.1), ("Time", "time", 1.2), ("Agency", "agency", 3.0),
    ("Subject", "subject", 1.5), ("Form of contact", "contact", 2.1), ("Text", "text", 6.6),
    ("Action taken", "action", 3.8), ("Family present", "family", 1.6), ("Source", "source", 2.8),
]


def _styles(doc: Document) -> None:
    for name, size in (("Heading 1", 15), ("Heading 2", 12), ("Title", 26)):
        st = doc.styles[name]
        st.font.name, st.font.size, st.font.bold, st.font.color.rgb = "Arial", Pt(size), True, NAVY
        st.paragraph_format.space_before, st.paragraph_format.space_after = Pt(10), Pt(4)
    for el in doc.styles["Title"].element.xpath("./w:pPr/w:pBdr"):
        el.getparent().remove(el)  # no rule under the title


def _shade(cell, fill: str) -> None:  # noqa: ANN001
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shd)


def _cell_text(cell, text: str, bold: bool = False, size: float | None = 9, italic: bool = False,  # noqa: ANN001
               first: bool = True, style: str | None = None) -> None:
    para = cell.paragraphs[0] if first else cell.add_paragraph()
    if style:
        para.style = style  # the chronology's rows: formatting in the style keeps 5,000 rows small
    else:
        para.paragraph_format.space_after = Pt(0)
    run = para.add_run(text)
    if bold:
        run.bold = True
    if italic:
        run.italic = True
    if size:
        run.font.size = Pt(size)


def _chronology_styles(doc: Document) -> None:
    """Paragraph styles of the chronology cells (Swindon's table at 8 point)."""
    from docx.enum.style import WD_STYLE_TYPE

    for name, size, bold, italic in (("Chronology", 8, False, False), ("Chronology number", 8, True, False),
                                     ("Chronology note", 7, False, True), ("Chronology mark", 7.5, True, False),
                                     ("Chronology year", 9, True, False)):
        st = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        st.base_style = doc.styles["Normal"]
        st.font.size, st.font.bold, st.font.italic = Pt(size), bold, italic
        st.paragraph_format.space_after = Pt(0)
        st.paragraph_format.space_before = Pt(0)


def _grid(doc: Document, headings: list[str], widths: list[float], size: float = 9):  # noqa: ANN202
    table = doc.add_table(rows=1, cols=len(headings))
    table.style = "Table Grid"
    table.autofit = False
    for column, width in zip(table.columns, widths):
        column.width = Cm(width)  # the grid: what LibreOffice lays the table out by
    for cell, heading, width in zip(table.rows[0].cells, headings, widths):
        cell.width = Cm(width)
        _cell_text(cell, heading, bold=True, size=size)
        _shade(cell, "D9E2F3")
    trpr = table.rows[0]._tr.get_or_add_trPr()
    trpr.append(OxmlElement("w:tblHeader"))  # repeated on every page
    return table


def _loop_table(doc: Document, headings: list[str], widths: list[float], loop: str, cells: list[str],
                size: float = 9) -> None:
    """A header row, then one row per item of ``loop`` (docxtpl ``{%tr %}`` rows)."""
    table = _grid(doc, headings, widths, size)
    for text in (f"{{%tr for x in {loop} %}}", None, "{%tr endfor %}"):
        row = table.add_row()
        for i, cell in enumerate(row.cells):
            cell.width = Cm(widths[i])
            _cell_text(cell, (text if i == 0 else "") if text else cells[i], size=size)


def _label_table(doc: Document, loop: str, widths: tuple[float, float] = (5.0, 11.0)) -> None:
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    table.autofit = False
    for column, width in zip(table.columns, widths):
        column.width = Cm(width)
    for text in (f"{{%tr for f in {loop} %}}", None, "{%tr endfor %}"):
        row = table.add_row()
        for i, cell in enumerate(row.cells):
            cell.width = Cm(widths[i])
            if text is None:
                _cell_text(cell, "{{ f.label }}" if i == 0 else "{{ f.value }}", bold=i == 0)
                if i == 0:
                    _shade(cell, "F2F2F2")
            else:
                _cell_text(cell, text if i == 0 else "")


def _footer(doc: Document, text: str) -> None:
    para = doc.sections[0].footer.paragraphs[0]
    para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = para.add_run(text + "   Page ")
    run.font.size = Pt(8)
    for instr in ("PAGE", " of ", "NUMPAGES"):
        if instr == " of ":
            para.add_run(instr).font.size = Pt(8)
            continue
        fld = OxmlElement("w:fldSimple")
        fld.set(qn("w:instr"), instr)
        r = OxmlElement("w:r")
        t = OxmlElement("w:t")
        t.text = "1"
        r.append(t)
        fld.append(r)
        para._p.append(fld)


def _pattern_table(doc: Document, prefix: str, with_years: bool) -> None:
    """The chronology table: heading row, an optional year row and the entry row, as marker patterns."""
    headings = [c[0] for c in CHRONOLOGY_COLUMNS]
    widths = [c[2] for c in CHRONOLOGY_COLUMNS]
    table = _grid(doc, headings, widths, size=8)
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")  # Word keeps the grid's widths however long the text
    table._tbl.tblPr.append(layout)
    if with_years:
        row = table.add_row()
        merged = row.cells[0].merge(row.cells[-1])
        _cell_text(merged, f"[[{prefix}.year]]", size=None, style="Chronology year")
        _shade(merged, "F2F2F2")
    row = table.add_row()
    for cell, (_h, marker, width) in zip(row.cells, CHRONOLOGY_COLUMNS):
        cell.width = Cm(width)
        _cell_text(cell, f"[[{prefix}.{marker}]]", size=None,
                   style="Chronology number" if marker == "n" else "Chronology")
        if marker == "date":
            _cell_text(cell, f"[[{prefix}.approx]]", size=None, first=False, style="Chronology note")
        if marker == "text":
            _cell_text(cell, f"[[{prefix}.same]]", size=None, first=False, style="Chronology mark")


def scoping_pack() -> Document:
    doc = _base()
    _styles(doc)
    _chronology_styles(doc)
    _footer(doc, "CONFIDENTIAL – {{ board_short }} scoping pack {{ case_reference }} (version {{ version }})")
    _p(doc, "{{ board_name }}", bold=True, align="right", size=12)
    _p(doc, "CONFIDENTIAL", bold=True, align="right", size=10)
    doc.add_paragraph("Scoping pack", style="Title")
    _p(doc, "Case {{ case_reference }}", bold=True, size=16)
    _p(doc, "For the {{ subgroup_role }} ({{ subgroup_chair }}) and the business manager. "
            "Prepared by mailbot on {{ made_on }}; version {{ version }}.")
    _p(doc, "{%p if updated %}")
    _p(doc, "UPDATED PACK – version {{ version }}. It replaces version {{ previous_version }} sent on "
            "{{ previous_sent }}.", bold=True, size=12)
    _p(doc, "{%p if changes %}")
    _p(doc, "New since then:", bold=True)
    _bullets(doc, "changes", "{{ x }}")
    _p(doc, "{%p endif %}")
    _p(doc, "{%p endif %}")
    _p(doc, "{{ reason }}", italic=True)
    doc.add_paragraph("Agencies", style="Heading 1")
    _p(doc, "Asked {{ n_asked }}: returned {{ n_returned }}, not known to the agency {{ n_not_known }}, "
            "missing {{ n_missing }}.{% if n_unasked %} Returns from agencies not asked: {{ n_unasked }}.{% endif %}")
    _loop_table(doc, ["Agency", "Answer", "Asked", "Due", "Answered", "Chasing", "Documents"],
                [3.6, 2.4, 1.8, 1.8, 1.9, 2.6, 2.5], "agencies",
                ["{{ x.agency }}", "{{ x.status }}", "{{ x.requested }}", "{{ x.due }}", "{{ x.answered }}",
                 "{{ x.chases }}", "{{ x.documents }}"], size=8)
    _p(doc, "{%p if missing %}")
    _p(doc, "Still missing:", bold=True)
    _bullets(doc, "missing", "{{ x.agency }} – due {{ x.due }}; chasing: {{ x.chases }}")
    _p(doc, "{%p endif %}")
    _p(doc, "{%p if review %}")
    doc.add_paragraph("Returns asked for the review", style="Heading 2")
    _p(doc, "Asked {{ review_asked }}: returned {{ review_returned }}, nil returns {{ review_nil }}, "
            "missing {{ review_missing }}.")
    _loop_table(doc, ["Agency", "Asked for", "Answer", "Asked", "Due", "Answered", "Chasing"],
                [3.6, 2.6, 1.8, 1.8, 1.8, 1.9, 2.7], "review",
                ["{{ x.agency }}", "{{ x.asked_for }}", "{{ x.status }}", "{{ x.requested }}", "{{ x.due }}",
                 "{{ x.answered }}", "{{ x.chases }}"], size=8)
    _p(doc, "{%p endif %}")
    doc.add_paragraph("Key dates and deadlines", style="Heading 1")
    _loop_table(doc, ["What", "Due", "Done", "Where it stands"], [8.6, 2.2, 2.2, 3.0], "key_dates",
                ["{{ x.label }}", "{{ x.due }}", "{{ x.done }}", "{{ x.status }}"], size=8)
    doc.add_paragraph("In this pack", style="Heading 1")
    for line in ("1. The referral summary, with the initials used for family members",
                 "2. The agencies' returns ({{ returns|length }})",
                 "3. The integrated chronology: {{ chron.dated }} dated entries{% if chron.undated %} and "
                 "{{ chron.undated }} undated{% endif %} from {{ chron.sources }} documents; {{ chron.groups }} "
                 "possible same-event group(s) marked",
                 "Attached with it: the chronology as a spreadsheet (sort and filter it) and the case front sheet."):
        _p(doc, line)
    _p(doc, "{%p if reports %}")
    _p(doc, "The agencies' reports for the review, attached as they were received:")
    _bullets(doc, "reports", "{{ x }}")
    _p(doc, "{%p endif %}")
    _p(doc, "{%p if reports_kept %}")
    _p(doc, "Kept by mailbot and not attached (a business manager can send them):")
    _bullets(doc, "reports_kept", "{{ x }}")
    _p(doc, "{%p endif %}")
    doc.add_page_break()
    doc.add_paragraph("1. Referral summary", style="Heading 1")
    _p(doc, "{%p if referral %}")
    _label_table(doc, "referral.fields")
    doc.add_paragraph("Family members and the initials used in this pack", style="Heading 2")
    _loop_table(doc, ["Initials", "Name", "Relationship"], [2.0, 6.0, 8.0], "family",
                ["{{ x.initials }}", "{{ x.name }}", "{{ x.relationship }}"])
    _p(doc, "{%p for f in referral.sections %}")
    doc.add_paragraph("{{ f.label }}", style="Heading 2")
    _p(doc, "{{ f.value }}")
    _p(doc, "{%p endfor %}")
    _p(doc, "{%p else %}")
    _p(doc, "No referral form is stored for this case.", italic=True)
    _p(doc, "{%p endif %}")
    doc.add_page_break()
    doc.add_paragraph("2. Agency returns", style="Heading 1")
    _p(doc, "{%p for r in returns %}")
    doc.add_paragraph("2.{{ loop.index }} {{ r.heading }}", style="Heading 2")
    _p(doc, "Received {{ r.received }}{% if r.filename %} as {{ r.filename }}{% endif %}.", italic=True, size=9)
    _label_table(doc, "r.fields")
    _p(doc, "{%p endfor %}")
    _p(doc, "{%p if not returns %}")
    _p(doc, "No returns have been received yet.", italic=True)
    _p(doc, "{%p endif %}")
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    section.left_margin = section.right_margin = Cm(1.5)
    section.top_margin = section.bottom_margin = Cm(1.5)
    doc.add_paragraph("3. Integrated chronology", style="Heading 1")
    _p(doc, "{{ chron.dated }} dated entries from {{ chron.sources }} documents, in date order (time of day where "
            "known). Approximate dates are shown as written and sorted at the start of their period. Family members "
            "appear by their initials (see 1); professionals' names are as the agencies gave them. Entries marked "
            "\u2248 may be one event reported by two agencies: they are marked, not merged.", size=9)
    _pattern_table(doc, "d", with_years=True)
    _p(doc, "{%p if chron.undated %}")
    doc.add_paragraph("Undated entries", style="Heading 2")
    _p(doc, "These entries give no date the chronology can place. They are listed by agency, as written.", size=9)
    _pattern_table(doc, "u", with_years=False)
    _p(doc, "{%p endif %}")
    return doc


def front_sheet() -> Document:
    doc = _base()
    _styles(doc)
    section = doc.sections[0]
    section.top_margin = section.bottom_margin = Cm(1.5)
    _p(doc, "{{ board_name }}", bold=True, align="right", size=12)
    doc.add_paragraph("{{ title|upper }}", style="Heading 1")
    _label_table(doc, "header", widths=(4.0, 12.0))
    doc.add_paragraph("Milestones, done and due", style="Heading 2")
    _loop_table(doc, ["Action or milestone", "Rule", "Due", "Done", "Status"], [5.2, 3.8, 2.0, 2.0, 3.0], "rows",
                ["{{ x.label }}", "{{ x.rule }}", "{{ x.due }}", "{{ x.done }}", "{{ x.status }}"], size=8)
    _p(doc, "Made by mailbot on {{ made_on }} from the case's records; due dates follow {{ regime }} on the "
            "board's working-day calendar.", italic=True, size=8)
    return doc


PACK_TEMPLATES = {"pack/scoping_pack": scoping_pack, "pack/front_sheet": front_sheet}


TEMPLATES = {
    "scr_notification": scr_notification,
    "no_scr_notification": no_scr_notification,
    "agencies_letter": agencies_letter,
    "letter": letter,
    **PACK_TEMPLATES,
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--only", nargs="+", choices=sorted(TEMPLATES), help="build only these templates")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, build in TEMPLATES.items():
        if args.only and name not in args.only:
            continue
        doc = build()
        doc.core_properties.author = "mailbot"
        doc.core_properties.title = name.split("/")[-1].replace("_", " ")
        doc.core_properties.created = doc.core_properties.modified = FIXED
        doc.core_properties.last_modified_by = "mailbot"
        path = args.out / f"{name}.docx"
        path.parent.mkdir(parents=True, exist_ok=True)
        doc.save(path)
        print(path)


if __name__ == "__main__":
    main()
