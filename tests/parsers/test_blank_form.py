"""The board's own blank form tells the reader where printed text ends and typing begins.

West Sussex's Summary of Involvement is the form the bot sends agencies
(templates/documents/west-sussex/); its mapping names it as
``blank_form``.  Filled the ways issue 13 found failing — an answer typed
after a label with no colon, after a question's second sentence, on the
question's own line — every field still reads right.
"""

from __future__ import annotations

import io

import docx
from docxtpl import DocxTemplate

from parsers import parse_document
from tests.parsers.helpers import REPO, board_mappings

BLANK = REPO / "templates" / "documents" / "west-sussex" / "summary-of-involvement.docx"
TYPED = {
    "Name: ": "Name Jane Doe",  # the provider's name, no separator at all
    "Tel No: ": "Tel No\t01632 960123",
    "Is this child known to your service? ": "Is this child known to your service? Yes",
    "Do you know any of the family members listed above? If so, please name these:":
        "Do you know any of the family members listed above? If so, please name these: "
        "Yes – the mother",
}


def _filled() -> bytes:
    tpl = DocxTemplate(str(BLANK))
    tpl.render({"board_name": "West Sussex Safeguarding Children Board", "due_long": "1 May 2026",
                "board_short": "WSSCB", "mailbox": "wsscb@board.example",
                "case_reference": "WS-2026-0007", "child_name": "Robin Example",
                "child_dob": "03/04/2012", "child_address": "1 Example Road",
                "incident_date": "02/02/2026", "agency": "Sussex Police"})
    out = io.BytesIO()
    tpl.save(out)
    d = docx.Document(io.BytesIO(out.getvalue()))
    paras = d.paragraphs
    for i, p in enumerate(paras):
        if p.text in TYPED:
            p.text = TYPED[p.text]
        if p.text.startswith("Describe the nature of your involvement"):
            paras[i + 1].text = "Two home visits in January."
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def test_the_blank_form_separates_question_and_answer() -> None:
    mappings = board_mappings("west-sussex")
    assert any(m.blank_form for m in mappings)
    rec = parse_document(_filled(), "return.docx", board="west-sussex",
                         mappings=mappings).record.model_dump(mode="json")
    assert rec["case_reference"] == "WS-2026-0007"
    assert rec["child"]["full_name"] == "Robin Example"
    assert rec["agency"] == "Sussex Police"
    assert rec["completed_by"]["name"] == "Jane Doe"
    assert rec["completed_by"]["phone"] == "01632 960123"
    assert rec["known_to_service"] is True
    assert rec["family_known"] == "Yes – the mother"
    assert rec["involvement"] == "Two home visits in January."
    assert rec["concerns"] is None and rec["other_agencies"] is None
