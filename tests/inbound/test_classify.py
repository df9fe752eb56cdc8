"""The classifier on inline messages: machine mail, who sent it, what it carries."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from mailbot.config import load_board
from mailbot.directory import Directory
from mailbot.inbound import classify as k
from mailbot.inbound.classify import FormOutcome, SentInfo, classify, subject_reference
from mailbot.inbound.message import read_message
from mailbot.records import ScopingReturn
from tests.conftest import REPO

BOARD = load_board("west-sussex", REPO / "config")
DIRECTORY = Directory(BOARD.config)
PHRASES = ["not known to"]
THREAD = SentInfo("<req@westsussex-scb.example>", "scoping_request", "WS-2026-0001", "Sussex Police", 2)


def mail(frm="DS Ruth Calloway <public.protection.reviews@police.sussex.example>", subject="Re: Scoping request [WS-2026-0001]",
         body="Hello", **headers) -> bytes:
    m = EmailMessage()
    m["From"] = frm
    m["To"] = "lscb@westsussex-scb.example"
    m["Subject"] = subject
    m["Message-ID"] = "<x1@police.sussex.example>"
    for key, value in headers.items():
        m[key.replace("_", "-")] = value
    m.set_content(body)
    return bytes(m)


def run(raw: bytes, forms=(), thread=THREAD, ref="WS-2026-0001"):
    return classify(read_message(raw), BOARD.config, DIRECTORY, list(forms), thread, ref, PHRASES)


@pytest.mark.parametrize("headers", [
    {"Auto_Submitted": "auto-replied"},
    {"X_Autoreply": "yes"},
    {"Precedence": "auto_reply"},
])
def test_auto_replies_by_header(headers):
    assert run(mail(**headers)).kind == k.AUTO_REPLY


def test_auto_reply_by_subject_and_auto_submitted_no_is_not():
    assert run(mail(subject="Automatic reply: Scoping request [WS-2026-0001]")).kind == k.AUTO_REPLY
    assert run(mail(Auto_Submitted="no", body="This child is not known to us.")).kind == k.NOT_KNOWN


def test_mailing_list():
    assert run(mail(List_Id="<safeguarding-news.lists.example>")).kind == k.MAILING_LIST
    assert run(mail(Precedence="bulk")).kind == k.MAILING_LIST


def _report(report_type: str, body: str) -> bytes:
    return (
        "From: MAILER-DAEMON@mx.westsussex-scb.example\r\nTo: lscb@westsussex-scb.example\r\n"
        "Subject: Delivery Status Notification\r\nMessage-ID: <dsn1@mx.example>\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type={report_type}; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nReport\r\n"
        f"--b\r\nContent-Type: message/{'delivery-status' if report_type == 'delivery-status' else 'disposition-notification'}\r\n\r\n{body}\r\n"
        "--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <orig@westsussex-scb.example>\r\n--b--\r\n"
    ).encode()


def test_delivery_reports():
    bounce = run(_report("delivery-status", "Reporting-MTA: dns; mx\r\n\r\nFinal-Recipient: rfc822; a@b.example\r\nAction: failed\r\nStatus: 5.1.1"))
    assert bounce.kind == k.BOUNCE and bounce.original_message_id == "<orig@westsussex-scb.example>"
    delay = run(_report("delivery-status", "Reporting-MTA: dns; mx\r\n\r\nFinal-Recipient: rfc822; a@b.example\r\nAction: delayed\r\nStatus: 4.4.7"))
    assert delay.kind == k.DELAY
    assert run(_report("disposition-notification", "Disposition: manual-action/MDN-sent-manually; displayed")).kind == k.READ_RECEIPT


@pytest.mark.parametrize("sender", [
    "x@po1ice.sussex.example", "x@police-sussex.example", "x@evil.police.sussex.example", "x@sussex.example",
])
def test_look_alike_domains_are_unknown(sender):
    assert run(mail(frm=sender)).kind == k.UNKNOWN_SENDER


def test_sender_or_reply_to_never_make_an_unknown_from_known():
    raw = mail(frm="x@tidemill-nursery.example", Sender="public.protection.reviews@police.sussex.example",
               Reply_To="public.protection.reviews@police.sussex.example")
    assert run(raw).kind == k.UNKNOWN_SENDER


def test_only_the_boards_own_authentication_results_count():
    forged = "mx.westsussex-scb.example.attacker.example; dmarc=pass; dkim=pass; spf=pass"
    own_fail = "mx.westsussex-scb.example; dkim=fail header.d=police.sussex.example; spf=fail; dmarc=fail"
    assert run(mail(Authentication_Results=own_fail)).kind == k.SPOOFED
    # A forged 'pass' from another server does not rescue a failure stamped by ours.
    raw = mail(Authentication_Results=own_fail)
    raw = raw.replace(b"Authentication-Results:", f"Authentication-Results: {forged}\r\nAuthentication-Results:".encode(), 1)
    assert run(raw).kind == k.SPOOFED
    # A forged failure from another server does not count against a message.
    other_fail = "mx.attacker.example; dkim=fail; spf=fail; dmarc=fail"
    assert run(mail(Authentication_Results=other_fail, body="not known to us")).kind == k.NOT_KNOWN


def test_forms_decide_returns_and_problems():
    rec = ScopingReturn(board="west-sussex", form="west-sussex/summary-of-involvement")
    assert run(mail(), forms=[FormOutcome("a.docx", record=rec)]).kind == k.SCOPING_RETURN
    bad = FormOutcome("a.docx", error="the attachment is damaged", error_kind="damaged")
    assert run(mail(), forms=[bad]).kind == k.UNREADABLE
    letter = FormOutcome("a.docx", error="attachment is not a recognised form", error_kind="not_a_form")
    assert run(mail(), forms=[letter]).kind == k.NOT_A_FORM
    assert run(mail(body="Please see below.")).kind == k.UNMATCHED
    assert run(mail(subject="Hello", body="This child is not known to us."), thread=None, ref=None).kind == k.UNMATCHED


def test_chair_and_board_people():
    assert run(mail(frm="chair@westsussex-scb.example", body="APPROVE")).kind == k.CHAIR_REPLY
    assert run(mail(frm="Chair <CHAIR@WestSussex-SCB.example>")).kind == k.CHAIR_REPLY


def test_subject_reference_is_this_boards_only():
    assert subject_reference("Re: Scoping request [WS-2026-0001] – due", "WS") == "WS-2026-0001"
    assert subject_reference("Re: [BN-2026-0001]", "WS") is None
    assert subject_reference("no reference", "WS") is None
