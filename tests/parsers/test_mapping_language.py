"""The mapping language reaches a form with no tables at all (issue 13's new board).

Each question a bold label paragraph with its answer in the paragraphs
under it; tick questions as one paragraph per option in several marks;
a block of questions repeated per agency ("Service 1", "Service 2"…) with
one answer left blank; brothers and sisters one per line as ``Name, D.O.B.,
gender[, address]``; a label with a ``(s)`` hint as printed; a ``set:``
value that a blank answer must not wipe; a default and a fallback.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from parsers import load_mapping_file, parse_document
from tests.parsers.generate import wordxml as wx
from tests.parsers.generate.build import _docx

MAPPING = textwrap.dedent("""
    id: northshire/safeguarding-referral
    form_type: referral
    recognise: {all: ["Northshire Children's Partnership", "Safeguarding practice review referral"]}
    set: {review_requested: scr, child.gender: Not stated}
    sections:
      child: ["The child"]
      family: ["Family"]
      services: ["Services involved"]
    stop_labels: ["Declaration"]
    fields:
      child.full_name: {labels: ["Full name of child"], section: child, required: true}
      child.date_of_birth: {labels: ["Date of birth"], type: date, section: child}
      child.gender: {labels: ["Gender"], section: child}
      child.school: {labels: ["School or nursery"], section: child, default: "None given"}
      child.address: {labels: ["Home address"], section: child}
      child.previous_address: {labels: ["Previous address"], fallback: [child.address]}
      child.lives_with:
        type: choice
        labels: ["Who does the child live with?"]
        section: child
        options:
          home: ["Parent(s) at home"]
          relatives: ["Family members"]
          local_authority_care: ["In care"]
          other: ["Other"]
      reasons:
        type: tick_list
        labels: ["Why is a review needed?"]
        options:
          child_died: ["The child has died"]
          child_seriously_harmed: ["The child has been seriously harmed"]
          learning_opportunity: ["There is learning for agencies"]
      parents:
        section: family
        items:
          - set: {relationship: parent_carer}
            fields:
              name: {labels: ["Parent or carer"], section: family}
            skip_if_blank: [name]
      siblings:
        labels: ["Brothers and sisters"]
        type: lines
        section: family
        parts: {name: text, date_of_birth: date, gender: text, address: text}
      agencies:
        section: services
        repeat:
          start: ["Service #"]
          fields:
            agency: {labels: ["Service name"]}
            key_worker: {labels: ["Worker"]}
            contact: {labels: ["Contact"]}
            reason: {labels: ["Reason for involvement"]}
      case_outline: {labels: ["What happened?"]}
""")


def _p(text: str, bold: bool = False) -> str:
    return wx.paragraph(wx.label_run(text, bold))


def build() -> bytes:
    blocks = [_p("Northshire Children's Partnership", True),
              _p("Safeguarding practice review referral", True), _p("The child", True)]
    for label, answer in [("Full name of child", "Robin Example"), ("Date of birth", "3.4.2012"),
                          ("Gender", ""), ("School or nursery", ""),
                          ("Home address", "1 Sample Street\nTestbury")]:
        blocks += [_p(label, True)] + [_p(ln) for ln in answer.split("\n")]
    blocks += [_p("Who does the child live with? (tick one)", True),
               _p("[ ] In care"), _p("[X] Parent(s) at home"), _p("Family members – No"),
               wx.paragraph(wx.tick_runs(False, "legacy") + wx.run(" Other")),
               _p("Why is a review needed?", True),
               _p("☒ The child has been seriously harmed"),
               _p("The child has died – No"), _p("There is learning for agencies – Yes"),
               _p("Family", True), _p("Parent or carer", True), _p("Alex Example"),
               _p("Brothers and sisters", True), _p("Sam Example, 01/02/2015, male"),
               _p("Kit Example, 3 March 2018, female, 4 Mock Close, Mockham"),
               _p("Services involved", True)]
    services = [("Exampletown School", "Jo Teacher", "01632 960001", "Attendance"),
                ("Sampleford Health", "", "01632 960002", "Health visits"),
                ("Testbury Police", "DS Casey", "", "")]
    for n, (agency, worker, contact, reason) in enumerate(services, 1):
        blocks.append(_p(f"Service {n}", True))
        for label, answer in [("Service name", agency), ("Worker", worker),
                              ("Contact", contact), ("Reason for involvement", reason)]:
            blocks += [_p(label, True), _p(answer)]
    blocks += [_p("What happened?", True), _p("First paragraph."), _p(""), _p("Second."),
               _p("Declaration", True)]
    return _docx(blocks)


def test_a_form_without_tables_reads_by_yaml_alone(tmp_path: Path) -> None:
    path = tmp_path / "referral.yaml"
    path.write_text(MAPPING, encoding="utf-8")
    mapping = load_mapping_file(path)
    rec = parse_document(build(), "referral.docx", board="northshire",
                         mappings=[mapping]).record.model_dump(mode="json")
    child = rec["child"]
    assert (child["full_name"], child["date_of_birth"]) == ("Robin Example", "2012-04-03")
    assert child["gender"] == "Not stated"  # blank answer: the ``set:`` value stays
    assert child["school"] == "None given"  # the default
    assert child["previous_address"] == child["address"] == "1 Sample Street\nTestbury"
    assert child["lives_with"] == "home"  # "[X] Parent(s) at home", not "[ ] In care"
    assert rec["reasons"] == ["child_seriously_harmed", "learning_opportunity"]
    assert rec["parents"] == [{"relationship": "parent_carer", "name": "Alex Example",
                               "date_of_birth": None, "address": None}]
    assert rec["siblings"] == [
        {"name": "Sam Example", "date_of_birth": "2015-02-01", "gender": "male", "address": None},
        {"name": "Kit Example", "date_of_birth": "2018-03-03", "gender": "female",
         "address": "4 Mock Close, Mockham"}]
    assert rec["agencies"] == [
        {"agency": "Exampletown School", "key_worker": "Jo Teacher", "contact": "01632 960001",
         "reason": "Attendance"},
        {"agency": "Sampleford Health", "key_worker": None, "contact": "01632 960002",
         "reason": "Health visits"},
        {"agency": "Testbury Police", "key_worker": "DS Casey", "contact": None, "reason": None}]
    assert rec["case_outline"] == "First paragraph.\n\nSecond."
    assert rec["warnings"] == []
