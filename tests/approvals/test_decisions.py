"""From the sub-group's recommendation to the Chair's decision to drafted notifications."""

from __future__ import annotations

import datetime as dt
import io
from email.message import EmailMessage

from docx import Document
from sqlalchemy import select

from mailbot.records import Decision, SubgroupDecision
from mailbot.store.approvals_models import Draft
from mailbot.store.models import Case, MessageSeen
from mailbot.workflow.decisions import record_decision
from tests.approvals.conftest import (BM, CHAIR, NOTIFY, addresses, outgoing, parsed, reply_to_draft, run,
                                      sample)
from tests.conftest import SAMPLES

PANEL = "panel@nationalpanel.example"


def _new_case(rt) -> str:  # noqa: ANN001
    run(rt, [sample("06")])  # a referral from a known agency opens WS-2026-0002
    return "WS-2026-0002"


def _recommend(rt, reference: str, recommendation: str) -> None:  # noqa: ANN001
    with rt.store.transaction() as s:
        case = s.scalar(select(Case).where(Case.reference == reference))
        record_decision(s, rt, case, Decision(board=rt.slug, form="test", subgroup=SubgroupDecision(
            recommendation=recommendation, reasons="The sub-group's reasons.")), source="test")


def _drafts(rt, reference: str) -> list[Draft]:  # noqa: ANN001
    with rt.store.session() as s:
        case = s.scalar(select(Case).where(Case.reference == reference))
        return list(s.scalars(select(Draft).where(Draft.case_id == case.id).order_by(Draft.id)))


def _answer(rt, d: Draft, body: str, mid: str, attachments=()) -> None:  # noqa: ANN001
    row = next(m for m in outgoing(rt, "draft") if m.message_id == d.message_id)
    run(rt, [reply_to_draft(rt, d.token, body, message_id=mid, subject=f"RE: {row.subject}",
                            attachments=list(attachments))])


def _docx_text(data: bytes) -> str:
    return "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)


def test_scr_decision_by_reply_drafts_both_notifications_with_reviewer(rt):
    ref = _new_case(rt)
    _recommend(rt, ref, "scr")
    (request,) = _drafts(rt, ref)
    assert request.kind == "decision_request" and request.status == "awaiting_approval"
    asked = next(m for m in outgoing(rt, "draft") if m.message_id == request.message_id)
    body = parsed(asked).get_body(("plain",)).get_content()
    assert "SCR" in body and "ALTERNATIVE REVIEW:" in body and "NO REVIEW:" in body and asked.recipients == [CHAIR]

    _answer(rt, request, "SCR\nLead reviewer: Dr Imogen Tasker\n\nRosalind", "<dec-1@westsussex-scb.example>")
    drafts = _drafts(rt, ref)
    assert [(d.kind, d.status) for d in drafts] == [
        ("decision_request", "answered"), ("scr_notification", "awaiting_approval"),
        ("agencies_letter", "awaiting_approval")]
    with rt.store.session() as s:
        case = s.scalar(select(Case).where(Case.reference == ref))
        assert case.decision == "scr" and case.decided_on == dt.date(2026, 2, 16)
    assert drafts[1].due_on == dt.date(2026, 2, 23)  # 5 working days after Monday 16 February
    assert outgoing(rt, "notification") == []  # nothing leaves the board before approval

    _answer(rt, drafts[1], "APPROVE", "<app-1@westsussex-scb.example>")
    (sent,) = outgoing(rt, "notification")
    msg = parsed(sent)
    assert addresses(msg, "To") == sorted(NOTIFY) and addresses(msg, "Cc") == [CHAIR]
    assert "Dr Imogen Tasker" in msg.get_body(("plain",)).get_content()
    letter = next(p for p in msg.iter_attachments() if p.get_filename().endswith(".docx")).get_content()
    text = _docx_text(letter)
    assert "Dr Imogen Tasker" in text and "I decided that a Serious Case Review should be undertaken" in text
    assert "Olivia Jessop" in text  # the child named on the referral


def test_no_review_decision_notifies_the_panel_with_the_referral_and_sin(rt):
    ref = _new_case(rt)
    _recommend(rt, ref, "no_review")
    (request,) = _drafts(rt, ref)
    _answer(rt, request, "NO REVIEW: the criteria are not met; a single-agency review is under way",
            "<dec-2@westsussex-scb.example>")
    notice = _drafts(rt, ref)[1]
    assert notice.kind == "no_scr_notification" and len(notice.enclosure_ids) == 1
    assert notice.due_on == dt.date(2026, 3, 2)  # 14 days
    sin = b"%PDF-1.4 fictional serious incident notification"
    _answer(rt, notice, "Approved - SIN attached", "<app-2@westsussex-scb.example>",
            [("Serious incident notification.pdf", sin, "application/pdf")])
    (sent,) = outgoing(rt, "notification")
    msg = parsed(sent)
    assert addresses(msg, "To") == [PANEL] and addresses(msg, "Cc") == [CHAIR]
    names = sorted(p.get_filename() for p in msg.iter_attachments())
    assert len(names) == 3 and "Serious incident notification.pdf" in names
    assert any("referral" in n.lower() for n in names)
    letter = next(p for p in msg.iter_attachments() if p.get_filename().startswith(ref)).get_content()
    assert "the criteria are not met" in _docx_text(letter)
    assert all("serious incident" not in parsed(n).get("Subject", "").lower() for n in outgoing(rt, "notice"))


def _form_with_sections_2_3(ref: str) -> bytes:
    """referral-03 returned with its sections 2-3: sub-group met 06/02/2026, Chair decided 12/02/2026."""
    form = SAMPLES / "forms" / "west-sussex" / "referral" / "referral-03.docx"
    msg = EmailMessage()
    msg["From"] = "Harvey Radcliffe <harvey.radcliffe@childrens.westsussex-cc.example>"
    msg["To"] = "lscb@westsussex-scb.example"
    msg["Subject"] = f"Sections 2-3 completed [{ref}]"
    msg["Message-ID"] = "<form-decision@childrens.westsussex-cc.example>"
    msg.set_content("Sections 2 and 3 are now completed.")
    msg.add_attachment(form.read_bytes(), maintype="application", subtype="octet-stream", filename=form.name)
    return bytes(msg)


def test_decision_on_a_returned_referral_form_drafts_the_notifications(rt):
    rt.clock.set(dt.datetime(2026, 1, 20, 9, 0, tzinfo=dt.timezone.utc))  # opened before the form's dates
    ref = _new_case(rt)
    rt.clock.set(dt.datetime(2026, 2, 16, 9, 0, tzinfo=dt.timezone.utc))
    run(rt, [_form_with_sections_2_3(ref)])
    kinds = [(d.kind, d.status) for d in _drafts(rt, ref)]
    assert kinds == [("scr_notification", "awaiting_approval"), ("agencies_letter", "awaiting_approval")]
    assert _drafts(rt, ref)[0].due_on == dt.date(2026, 2, 19)  # decided 12/02/2026 on the form
    chair_mail = [m for m in outgoing(rt, "draft") if "Draft for approval" in m.subject]
    assert len(chair_mail) == 2 and all(m.recipients == [CHAIR] for m in chair_mail)
    assert outgoing(rt, "notification") == [] and BM not in {a for m in chair_mail for a in m.recipients}


def test_a_decision_dated_before_the_case_opened_is_held_with_one_line(rt):
    ref = _new_case(rt)  # opened Monday 16/02/2026, after the form's decision of 12/02/2026
    run(rt, [_form_with_sections_2_3(ref)])
    assert _drafts(rt, ref) == []
    with rt.store.session() as s:
        case = s.scalar(select(Case).where(Case.reference == ref))
        assert case.decision is None and case.decided_on is None
        assert [r.form_type for r in case.records] == ["referral"]  # the returned form is not kept
        held = s.scalar(select(MessageSeen).where(MessageSeen.outcome == "needs-attention",
                                                  MessageSeen.case_id == case.id))
    assert held.reason == ("The sub-group meeting (06/02/2026) is dated before the referral (16/02/2026): "
                           "one of the dates is wrong")
    told = [m for m in outgoing(rt, "notice") if BM in m.recipients]
    assert any("06/02/2026" in parsed(m).get_body(("plain",)).get_content() for m in told)


def test_a_chair_reply_deciding_before_the_recorded_notification_is_held_with_one_line(rt, caplog):
    ref = _new_case(rt)
    with rt.store.transaction() as s:  # a notification date typed a fortnight in the future on the form
        s.scalar(select(Case).where(Case.reference == ref)).notified_on = dt.date(2026, 3, 2)
    _recommend(rt, ref, "scr")
    (request,) = _drafts(rt, ref)
    _answer(rt, request, "SCR", "<dec-early@westsussex-scb.example>")
    assert [(d.kind, d.status) for d in _drafts(rt, ref)] == [("decision_request", "awaiting_approval")]
    with rt.store.session() as s:
        case = s.scalar(select(Case).where(Case.reference == ref))
        assert case.decision is None and case.decided_on is None
        held = s.scalars(select(MessageSeen).where(MessageSeen.outcome == "needs-attention")).all()
    assert [h.reason for h in held if "dated before" in (h.reason or "")] == [
        "Chair's reply not acted on: The Chair's decision (16/02/2026) is dated before the "
        "notification (02/03/2026): one of the dates is wrong"]
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.levelname == "ERROR"]  # a refusal, not a failure
    refusals = _drafts(rt, ref)[0].refusals
    assert len(refusals) == 1 and "is dated before the notification (02/03/2026)" in refusals[0]

