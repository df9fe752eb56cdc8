"""A board's new form is supported by YAML alone.

The test builds a form laid out unlike any shipped one (labels as
paragraphs, answers on the same or the next line, different wordings, a
typed-mark tick list, a Word check box in a paragraph, a repeating table)
and a mapping for it, then parses it.
"""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import docx
from docx.oxml import parse_xml

from parsers import load_mapping_file, parse_document

W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'

MAPPING = textwrap.dedent("""
    id: exampleshire/rapid-review-referral
    form_type: referral
    recognise:
      all: ["Exampleshire Safeguarding Partnership", "Rapid review referral"]
    set: {review_requested: scr}
    sections:
      about_child: ["About the young person"]
      about_you: ["About you"]
    stop_labels: ["Declaration"]
    fields:
      child.first_name: {labels: ["Forename(s)"], section: about_child}
      child.surname: {labels: ["Family name"], section: about_child}
      child.full_name: {join: [child.first_name, child.surname], required: true}
      child.date_of_birth: {labels: ["DOB"], type: date, section: about_child}
      child.address: {labels: ["Home address"], section: about_child}
      notifier.name: {labels: ["Your full name"], section: about_you}
      notifier.email: {labels: ["E-mail address"], section: about_you}
      notification_date: {labels: ["Date submitted"], type: date}
      case_outline: {labels: ["What happened?"]}
      reasons:
        type: tick_list
        labels: ["Why are you referring?"]
        options:
          child_died: ["The young person has died"]
          child_seriously_harmed: ["The young person was seriously harmed"]
          learning_opportunity: ["There is learning for the partnership"]
      siblings:
        type: table
        columns:
          name: {labels: ["Brother or sister"]}
          date_of_birth: {labels: ["Born"], type: date}
""")


def _checkbox_paragraph(document: docx.document.Document, label: str, checked: bool) -> None:
    """A paragraph holding a legacy FORMCHECKBOX field, then the option text."""
    para = document.add_paragraph()
    state = "<w:checked/>" if checked else ""
    para._p.append(parse_xml(
        f'<w:r {W_NS}><w:fldChar w:fldCharType="begin"><w:ffData><w:checkBox>'
        f'<w:sizeAuto/><w:default w:val="0"/>{state}</w:checkBox></w:ffData></w:fldChar></w:r>'))
    para.add_run(" " + label)


def build_form() -> bytes:
    d = docx.Document()
    d.add_heading("Exampleshire Safeguarding Partnership", 1)
    d.add_paragraph("RAPID REVIEW REFERRAL")
    d.add_paragraph("About the young person")
    d.add_paragraph("Forename(s): Robin")
    d.add_paragraph("FAMILY NAME (as on school records)")
    d.add_paragraph("Testperson")
    d.add_paragraph("D.O.B. -")  # not the label "DOB": a different line
    d.add_paragraph("DOB: 3rd April 2012")
    d.add_paragraph("Home address:")
    d.add_paragraph("1 Example Road")
    d.add_paragraph("Exampletown")
    d.add_paragraph("About you")
    d.add_paragraph("Your full name – Alex Example")
    d.add_paragraph("E-mail address: alex@agency.example")
    d.add_paragraph("Date submitted: 05.02.26")
    d.add_paragraph("What happened?")
    d.add_paragraph("First paragraph of the account.")
    d.add_paragraph("")
    d.add_paragraph("Second paragraph.")
    d.add_paragraph("Why are you referring? (tick any)")
    d.add_paragraph("☒ The young person was seriously harmed")
    _checkbox_paragraph(d, "There is learning for the partnership", True)
    _checkbox_paragraph(d, "The young person has died", False)
    table = d.add_table(rows=3, cols=2)
    for r, (a, b) in enumerate([("Brother or sister", "Born"), ("Sam Testperson", "01/02/2015"),
                                ("", "")]):
        table.cell(r, 0).text, table.cell(r, 1).text = a, b
    d.add_paragraph("Declaration: I confirm the above.")
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def test_new_layout_by_yaml_alone(tmp_path: Path) -> None:
    path = tmp_path / "rapid-review-referral.yaml"
    path.write_text(MAPPING, encoding="utf-8")
    mapping = load_mapping_file(path)
    result = parse_document(build_form(), "referral.docx", board="exampleshire",
                            mappings=[mapping], explain=True)
    rec = result.record.model_dump(mode="json")
    assert result.form_id == "exampleshire/rapid-review-referral"
    assert rec["child"]["full_name"] == "Robin Testperson"
    assert rec["child"]["date_of_birth"] == "2012-04-03"
    assert rec["child"]["address"] == "1 Example Road\nExampletown"
    assert rec["notifier"]["name"] == "Alex Example"
    assert rec["notifier"]["email"] == "alex@agency.example"
    assert rec["notification_date"] == "2026-02-05"
    assert rec["case_outline"] == "First paragraph of the account.\n\nSecond paragraph."
    assert rec["reasons"] == ["child_seriously_harmed", "learning_opportunity"]
    assert rec["siblings"] == [{"name": "Sam Testperson", "date_of_birth": "2015-02-01",
                                "gender": None, "address": None}]
    assert rec["warnings"] == []
    found = {i.field for i in result.explain if i.found}
    assert {"child.first_name", "child.surname", "notifier.email", "siblings"} <= found
