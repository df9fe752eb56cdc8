"""Build the scoping form templates shipped for the sample board.

The West Sussex "Summary of Involvement" (procedure Appendix E) as a Word
document with docxtpl placeholders: mailbot fills in the case reference,
the child's details, the agency and the return date for each request, and
the agency completes the rest, as they do today. Run from the repo root:

    python scripts/make_form_templates.py
"""

from __future__ import annotations

from pathlib import Path

import docx
from docx.shared import Pt

OUT = Path(__file__).resolve().parents[1] / "templates" / "documents" / "west-sussex"

QUESTIONS = [
    "Is this child known to your service? ",
    "Do you know any of the family members listed above? If so, please name these:",
    "Describe the nature of your involvement, including the dates this covered:",
    "Please note any concerns your service had about the child &/or family, describing the action taken:",
    "Does your agency consider that its concerns about a child’s welfare were not taken sufficiently "
    "seriously or acted upon appropriately by another agency?",
    "Does the case appear to have implications for a range of agencies and/or professionals?",
    "Please list the other agencies/services you are aware of being involved with this child and family:",
]


def summary_of_involvement() -> docx.Document:
    d = docx.Document()
    style = d.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(11)
    d.add_paragraph("{{ board_name }}").runs[0].bold = True
    d.add_heading("Summary of Involvement ", level=1)
    d.add_paragraph(
        "The information requested on this form will be used for the purposes of deciding whether the "
        "case meets the criteria for a Serious Case Review, or another kind of review.")
    d.add_paragraph(
        "The form is sent out to all agencies, you are asked to complete only those questions on which "
        "you hold information. If the child and family are not known to your service, please reply to "
        "the email to say so.")
    d.add_paragraph("Please return this proforma by {{ due_long }} to the {{ board_short }} Business Manager "
                    "at {{ mailbox }}, replying to the email it came with.")
    d.add_paragraph("Case reference: {{ case_reference }}")
    d.add_heading("Child’s Details", level=2)
    d.add_paragraph("Name: {{ child_name }}")
    d.add_paragraph("Date of Birth: {{ child_dob }}")
    d.add_paragraph("Address: {{ child_address }}")
    d.add_heading("Incident Details", level=2)
    d.add_paragraph("Date of Incident: {{ incident_date }}")
    d.add_paragraph("Period of Interest: ")
    d.add_heading("Report Provided by", level=2)
    d.add_paragraph("Agency: {{ agency }}")
    for label in ("Name: ", "Address: ", "Tel No: ", "Email: "):
        d.add_paragraph(label)
    for q in QUESTIONS:
        d.add_paragraph(q).runs[0].bold = True
        d.add_paragraph("")
    table = d.add_table(rows=4, cols=2)
    table.style = "Table Grid"
    table.rows[0].cells[0].text = "Significant Events (Date)"
    table.rows[0].cells[1].text = "Significant Events (Event)"
    return d


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "summary-of-involvement.docx"
    summary_of_involvement().save(path)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
