"""Chair's replies as the world writes them (issue 14): remarks, edits, conditions, auto-replies, forwards."""

from __future__ import annotations

from email.message import EmailMessage

from tests.approvals.conftest import BM, CHAIR, PASS, draft, outgoing, parsed, reply_to_draft, run
from tests.approvals.test_protocol import _edited_docx
from mailbot.workflow.drafts import DOCX

D1 = "#V85YF8"


def test_approve_with_remarks_and_the_edited_document_sends_that_document(rt):
    edited = _edited_docx()
    raw = reply_to_draft(rt, D1, "APPROVE – but I have reworded the second paragraph, see attached\n\nRosalind\n",
                         message_id="<remarks-1@westsussex-scb.example>",
                         attachments=[("notification v2.docx", edited, DOCX)])
    run(rt, [raw])
    (sent,) = outgoing(rt, "notification")
    docs = [p for p in parsed(sent).iter_attachments() if p.get_filename().endswith(".docx")]
    assert [d.get_content() for d in docs] == [edited]
    assert draft(rt, D1).status == "sent" and draft(rt, D1).edited_document_id is not None


def test_an_approval_with_a_condition_is_refused_and_the_chair_told_why(rt):
    run(rt, [reply_to_draft(rt, D1, "Approve once the dates are corrected", message_id="<cond-1@westsussex-scb.example>")])
    assert outgoing(rt, "notification") == []
    (told,) = outgoing(rt, "approval_refused")
    assert "condition" in parsed(told).get_body(("plain",)).get_content()
    assert draft(rt, D1).status == "awaiting_approval"


def test_the_chairs_out_of_office_in_welsh_is_never_answered(rt):
    raw = reply_to_draft(rt, D1, "Rwyf allan o'r swyddfa tan ddydd Llun.\n\nI am out of the office until Monday.",
                         message_id="<ooo-1@westsussex-scb.example>")
    run(rt, [raw])
    assert outgoing(rt, "notification") == [] and outgoing(rt, "approval_refused") == []
    d = draft(rt, D1)
    assert d.status == "awaiting_approval" and not d.refusals


def test_an_unclear_reply_sent_by_a_machine_from_the_chairs_address_is_not_answered(rt):
    raw = reply_to_draft(rt, D1, "Your message has been received and will be dealt with shortly.",
                         message_id="<robot-1@westsussex-scb.example>")
    raw = b"Return-Path: <>\r\n" + raw
    run(rt, [raw])
    assert outgoing(rt, "approval_refused") == []
    assert draft(rt, D1).status == "awaiting_approval"


def test_an_approval_forwarded_by_the_business_manager_is_refused_for_that_reason(rt):
    d = draft(rt, D1)
    msg = EmailMessage()
    msg["Authentication-Results"] = PASS
    msg["From"] = f"Business Manager <{BM}>"
    msg["To"] = "WSSCB Mailbox <lscb@westsussex-scb.example>"
    msg["Subject"] = f"FW: RE: Draft for approval: {d.title} [WS-2026-0001] {D1}"
    msg["Message-ID"] = "<fwd-1@westsussex-scb.example>"
    msg.set_content(f"The Chair approved this by phone.\n\nFrom: Dr Rosalind Ashcombe <{CHAIR}>\nSent: today\n"
                    "Subject: RE: Draft\n\nAPPROVE\n")
    run(rt, [bytes(msg)])
    assert outgoing(rt, "notification") == []
    d = draft(rt, D1)
    assert d.status == "awaiting_approval"
    assert any("approvals must come from the Chair" in r for r in d.refusals)
    notices = [parsed(n).get_body(("plain",)).get_content() for n in outgoing(rt, "notice")]
    assert any("approvals must come from the Chair" in n for n in notices)
