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


TEMPLATES = {
    "scr_notification": scr_notification,
    "no_scr_notification": no_scr_notification,
    "agencies_letter": agencies_letter,
    "letter": letter,
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, build in TEMPLATES.items():
        doc = build()
        doc.core_properties.author = "mailbot"
        doc.core_properties.title = name.replace("_", " ")
        doc.core_properties.created = doc.core_properties.modified = FIXED
        doc.core_properties.last_modified_by = "mailbot"
        path = args.out / f"{name}.docx"
        doc.save(path)
        print(path)


if __name__ == "__main__":
    main()
