"""A business manager settles a held message by replying, through real Dovecot and SMTP (issue 14, item 6).

The commands act once; the refusals (wrong sender, forwarded, spoofed,
replayed token, not threaded) act on nothing.
"""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage

import pytest
from sqlalchemy import func, select

from mailbot.daemon import drain
from mailbot.demo.seed import load_state
from mailbot.store.models import Case, MessageSeen, ScopingRequest
from mailbot.workflow import digest
from tests.conftest import SAMPLES
from tests.flow.test_intake_imap import imap_board, imap_runtime  # noqa: F401 - fixtures
from tests.flow.conftest import clock, ws_board  # noqa: F401 - fixtures

BM = "businessmanager@westsussex-scb.example"
CHAIR = "chair@westsussex-scb.example"
SCHOOL = "dsl@downland-academy.example"
PASS = ("mx.westsussex-scb.example; dkim=pass header.d=westsussex-scb.example; "
        "spf=pass smtp.mailfrom=westsussex-scb.example; dmarc=pass header.from=westsussex-scb.example")
FAIL = PASS.replace("dmarc=pass", "dmarc=fail")


def _mail(frm: str, subject: str, body: str, mid: str, *, auth: str | None = None,
          in_reply_to: str | None = None) -> bytes:
    m = EmailMessage()
    if auth:
        m["Authentication-Results"] = auth
    m["From"], m["To"], m["Subject"], m["Message-ID"] = frm, "lscb@westsussex-scb.example", subject, mid
    if in_reply_to:
        m["In-Reply-To"] = m["References"] = in_reply_to
    m.set_content(body)
    return bytes(m)


def _run(rt, dovecot, *raws: bytes) -> None:  # noqa: ANN001
    for raw in raws:
        dovecot.deliver(raw)
    while drain(rt).handled:
        pass


def _sent(smtp_server) -> list[EmailMessage]:
    return [email.message_from_bytes(m.raw, policy=policy.default) for m in smtp_server.received()]


def _subject(m: EmailMessage) -> str:
    return " ".join(str(m["Subject"]).split())


def _school(rt) -> ScopingRequest:  # noqa: ANN001
    with rt.store.session() as s:
        return s.scalar(select(ScopingRequest).where(ScopingRequest.case_id == 1,
                                                     ScopingRequest.agency.like("Downland%")))


@pytest.fixture
def held(imap_runtime, dovecot, smtp_server):  # noqa: F811
    """The school's unclear reply is held; its notice went to the business manager with a token."""
    rt = imap_runtime
    load_state(rt, SAMPLES / "emails" / "bot-state.json", SAMPLES)
    _run(rt, dovecot, _mail(f"Carys Lamberton <{SCHOOL}>", "Re: Scoping request [WS-2026-0001]",
                            "We have looked into this and there is nothing for you.", "<school-1@downland.example>"))
    (notice,) = [m for m in _sent(smtp_server) if _subject(m).startswith("Needs attention")]
    token = next(w for w in _subject(notice).split() if w.startswith("HOLD-"))
    assert token in notice.get_body(("plain",)).get_content() and "NOT KNOWN" in notice.get_body(("plain",)).get_content()
    return rt, notice, token


def _reply(notice, body: str, mid: str, *, frm: str = BM, auth: str | None = PASS, subject: str | None = None,
           thread: bool = True) -> bytes:  # noqa: ANN001
    return _mail(f"Business Manager <{frm}>", subject or f"RE: {_subject(notice)}", body, mid, auth=auth,
                 in_reply_to=notice["Message-ID"] if thread else None)


def test_not_known_by_reply_settles_the_held_message_once(held, dovecot, smtp_server):
    rt, notice, token = held
    assert _school(rt).status == "outstanding"
    _run(rt, dovecot, _reply(notice, "NOT KNOWN\n\nThanks, Sam", "<settle-1@westsussex-scb.example>"))
    assert _school(rt).status == "not_known"
    with rt.store.session() as s:
        row = s.scalar(select(MessageSeen).where(MessageSeen.settle_token == token))
        assert row.resolved_at is not None and row.settled_by == BM and "not known" in row.settled_as
    confirmations = [m for m in _sent(smtp_server) if _subject(m).startswith("Settled")]
    assert len(confirmations) == 1 and confirmations[0]["To"].addresses[0].addr_spec == BM
    _subject_line, text, _html = digest.render(rt, rt.today())
    settled = text.split("SETTLED BY REPLY", 1)[1]
    manager = rt.board.config.business_managers[0].name
    assert "not known to Downland" in settled and manager in settled
    # the same token again (a replay) acts on nothing and the business manager is told why
    _run(rt, dovecot, _reply(notice, "IGNORE", "<settle-2@westsussex-scb.example>"))
    refused = [m for m in _sent(smtp_server) if _subject(m).startswith("Not settled")]
    assert len(refused) == 1 and "already settled" in refused[0].get_body(("plain",)).get_content()
    with rt.store.session() as s:
        assert s.scalar(select(MessageSeen).where(MessageSeen.settle_token == token)).settled_as.startswith("not known")


def test_return_by_reply_marks_the_return_in(held, dovecot):
    rt, notice, _token = held
    _run(rt, dovecot, _reply(notice, "RETURN", "<settle-3@westsussex-scb.example>"))
    school = _school(rt)
    assert school.status == "returned" and school.answered_at is not None


@pytest.mark.parametrize("how", ["wrong sender", "forwarded", "spoofed", "not threaded", "unclear"])
def test_refusals_act_on_nothing(held, dovecot, smtp_server, how):
    rt, notice, token = held
    raw = {
        "wrong sender": lambda: _reply(notice, "NOT KNOWN", "<r-1@x.example>", frm=CHAIR),
        "forwarded": lambda: _reply(notice, "NOT KNOWN", "<r-2@x.example>", subject=f"FW: {_subject(notice)}"),
        "spoofed": lambda: _reply(notice, "NOT KNOWN", "<r-3@x.example>", auth=FAIL),
        "not threaded": lambda: _reply(notice, "NOT KNOWN", "<r-4@x.example>", thread=False),
        "unclear": lambda: _reply(notice, "Yes I think it is probably not known", "<r-5@x.example>"),
    }[how]()
    _run(rt, dovecot, raw)
    assert _school(rt).status == "outstanding"
    with rt.store.session() as s:
        row = s.scalar(select(MessageSeen).where(MessageSeen.settle_token == token))
        assert row.resolved_at is None and row.settled_by is None
    assert not [m for m in _sent(smtp_server) if _subject(m).startswith("Settled")]


def test_referral_by_reply_reads_the_held_message_again_and_opens_the_case(imap_runtime, dovecot, smtp_server):  # noqa: F811
    rt = imap_runtime
    load_state(rt, SAMPLES / "emails" / "bot-state.json", SAMPLES)
    _run(rt, dovecot, (SAMPLES / "emails" / "14-unknown-sender-referral.eml").read_bytes())
    with rt.store.session() as s:
        row = s.scalar(select(MessageSeen).where(MessageSeen.kind == "unknown_sender"))
        token, cases_before = row.settle_token, s.scalar(select(func.count()).select_from(Case))
    (notice,) = [m for m in _sent(smtp_server) if token in _subject(m)]
    _run(rt, dovecot, _reply(notice, "REFERRAL", "<settle-ref@westsussex-scb.example>"))
    with rt.store.session() as s:
        row = s.scalar(select(MessageSeen).where(MessageSeen.settle_token == token))
        assert row.settled_as.startswith("a referral (WS-2026-")
        assert s.scalar(select(func.count()).select_from(Case)) == cases_before + 1
    assert [m for m in _sent(smtp_server) if _subject(m).startswith("Settled")]
