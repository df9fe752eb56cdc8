"""Answers that are only a pointer to a portal or a link (issue 14, item 2)."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from mailbot.daemon import drain
from mailbot.demo.mailbox import deliver
from mailbot.inbound.portal import portal_pointer
from mailbot.store.models import MessageSeen, ScopingRequest
from tests.schedule.conftest import REFERRAL, london, make_board  # noqa: F401 - fixture

D = dt.date
POLICE = "Sussex Police"


@pytest.mark.parametrize("subject, text, names", [
    ("RE: Scoping request", "Please see the attached message.", ["message.html", "message.rpmsg"]),
    ("Scoping return", "You have received a secure email from Sussex Police. To view the message, click the "
     "link below. Egress Protect", []),
    ("[secure] RE: Scoping request", "This message has been encrypted. Sign in at https://portal.nhs.example "
     "to read it.", []),
    ("RE: Scoping request", "Ruth has shared a file with you: https://sussexpolice.sharepoint.com/:w:/s/x/y", []),
    ("RE: Scoping request", "Our return: https://drive.google.com/file/d/abc/view", []),
])
def test_pointers(subject, text, names):
    assert portal_pointer(subject, text, names)


@pytest.mark.parametrize("subject, text, names", [
    ("RE: Scoping request", "Our return is attached. Our policy is at https://police.example/policy", ["return.docx"]),
    ("RE: Scoping request", "Not known to us.", []),
    ("RE: Scoping request", "We will send it securely next week.", []),
])
def test_not_pointers(subject, text, names):
    assert portal_pointer(subject, text, names) is None


def test_a_portal_answer_is_held_for_a_person_and_the_agency_not_chased(make_board):  # noqa: F811
    b = make_board(london(D(2026, 2, 16)))
    b.deliver(REFERRAL)
    with b.store.session() as s:
        request = s.scalar(select(ScopingRequest).where(ScopingRequest.agency == POLICE))
        to, mid = request.contact_email, request.message_id
    msg = EmailMessage()
    msg["From"] = f"DS Ruth Calloway <{to}>"
    msg["To"] = "lscb@westsussex-scb.example"
    msg["Subject"] = "RE: Scoping request"
    msg["Message-ID"] = "<portal-1@police.sussex.example>"
    msg["In-Reply-To"] = mid
    msg.set_content("Ruth Calloway has sent you a protected message.\n\nTo view the message, click Read the message.")
    msg.add_attachment(b"<html>Microsoft Purview Message Encryption</html>", maintype="text", subtype="html",
                       filename="message.html")
    msg.add_attachment(b"\x76\xe8\x04\x60" * 16, maintype="application", subtype="x-microsoft-rpmsg-message",
                       filename="message.rpmsg")
    deliver(b.data_dir / "mail" / b.board.slug / "inbox", [bytes(msg)], start=1_800_000_000)
    while drain(b.rt).handled:
        pass
    with b.store.session() as s:
        seen = s.scalar(select(MessageSeen).where(MessageSeen.message_id == "<portal-1@police.sussex.example>"))
        assert seen.kind == "portal_pointer" and seen.outcome == "needs-attention"
        assert "portal" in seen.reason and "forward" in seen.reason
        assert s.scalar(select(ScopingRequest).where(ScopingRequest.agency == POLICE)).held_at is not None
    for day in (D(2026, 3, 4), D(2026, 3, 9), D(2026, 3, 11)):
        b.at(london(day, 9))
        b.one_pass()
    chased = [r for r in b.outbox("chase", "escalation") if to in r.recipients]
    assert chased == [] and b.outbox("chase")  # the others are chased as before


def test_a_text_only_bounce_without_our_message_id_marks_the_request_to_that_address(make_board):  # noqa: F811
    """Some servers return neither our Message-ID nor a DSN: the failed address finds the request."""
    b = make_board(london(D(2026, 2, 16)))
    b.deliver(REFERRAL)
    with b.store.session() as s:
        to = s.scalar(select(ScopingRequest).where(ScopingRequest.agency == POLICE)).contact_email
    bounce = (f"From: MAILER-DAEMON@mx.police.example\r\nTo: lscb@westsussex-scb.example\r\n"
              f"Subject: failure notice\r\nMessage-ID: <b-1@mx.police.example>\r\n\r\n"
              f"Hi. This is the qmail-send program at mx.police.example.\r\n"
              f"I'm afraid I wasn't able to deliver your message to the following addresses.\r\n"
              f"This is a permanent error; I've given up. Sorry it didn't work out.\r\n\r\n"
              f"<{to}>:\r\nSorry, no mailbox here by that name. (#5.1.1)\r\n").encode()
    deliver(b.data_dir / "mail" / b.board.slug / "inbox", [bounce], start=1_800_000_100)
    while drain(b.rt).handled:
        pass
    with b.store.session() as s:
        assert s.scalar(select(ScopingRequest).where(ScopingRequest.agency == POLICE)).bounced_at is not None
        assert s.scalar(select(MessageSeen).where(MessageSeen.message_id == "<b-1@mx.police.example>")).kind == "bounce"


def test_a_portal_answer_ignored_by_the_business_manager_is_chased_again(make_board):  # noqa: F811
    from mailbot.store.models import OutboxMail

    b = make_board(london(D(2026, 2, 16)))
    b.deliver(REFERRAL)
    with b.store.session() as s:
        request = s.scalar(select(ScopingRequest).where(ScopingRequest.agency == POLICE))
        to, mid = request.contact_email, request.message_id
    inbox = b.data_dir / "mail" / b.board.slug / "inbox"
    pointer = (f"From: <{to}>\r\nTo: lscb@westsussex-scb.example\r\nSubject: RE: Scoping request\r\n"
               f"Message-ID: <portal-2@police.sussex.example>\r\nIn-Reply-To: {mid}\r\n\r\n"
               "Our return: https://drive.google.com/file/d/abc/view\r\n").encode()
    deliver(inbox, [pointer], start=1_800_000_200)
    while drain(b.rt).handled:
        pass
    with b.store.session() as s:
        held = s.scalar(select(MessageSeen).where(MessageSeen.message_id == "<portal-2@police.sussex.example>"))
        notice = s.scalar(select(OutboxMail).where(OutboxMail.dedupe_key.endswith(f":notice:held:{held.id}")))
        subject, notice_id, token = notice.subject, notice.message_id, held.settle_token
    reply = (f"Authentication-Results: mx.westsussex-scb.example; dkim=pass; spf=pass; dmarc=pass\r\n"
             f"From: <businessmanager@westsussex-scb.example>\r\nTo: lscb@westsussex-scb.example\r\n"
             f"Subject: RE: {subject}\r\nMessage-ID: <ignore-1@westsussex-scb.example>\r\n"
             f"In-Reply-To: {notice_id}\r\n\r\nIGNORE\r\n").encode()
    deliver(inbox, [reply], start=1_800_000_300)
    while drain(b.rt).handled:
        pass
    with b.store.session() as s:
        assert s.scalar(select(MessageSeen).where(MessageSeen.settle_token == token)).settled_as == "ignored"
        request = s.scalar(select(ScopingRequest).where(ScopingRequest.agency == POLICE))
        assert request.held_at is None and request.status == "outstanding"
