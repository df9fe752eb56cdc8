"""Never silent: an unreachable mailbox alerts admins and business managers once, and again on recovery."""

from __future__ import annotations

import email
from email import policy

from mailbot.daemon import one_pass
from mailbot.mailbox.imap import ImapMailbox
from mailbot.outbound.smtp import SmtpSender
from mailbot.runtime import build_runtime


def _subjects(smtp_server):
    """Subjects of the health emails (other due work, such as the digest, may also send)."""
    subjects = [str(email.message_from_bytes(m.raw, policy=policy.default)["Subject"]) for m in smtp_server.received()]
    return [s for s in subjects if s.startswith(("ALERT", "Resolved"))]


def test_mailbox_down_alerts_once_then_recovers(ws_board, store, tmp_path, clock, dovecot, smtp_server):
    mailbox = ImapMailbox("imap:test", dovecot.host, dovecot.port, username=dovecot.user, password=dovecot.password,
                          security="plain", max_attempts=1, backoff_initial=0.0, sleep=lambda _s: None)
    sender = SmtpSender(smtp_server.host, smtp_server.port, security="plain")
    rt = build_runtime(ws_board, store, tmp_path / "data", clock, mailbox=mailbox, sender=sender)
    one_pass(rt)  # reachable: fine
    dovecot.stop()
    one_pass(rt)
    clock.advance(minutes=10)
    one_pass(rt)
    assert _subjects(smtp_server) == []  # not yet: under the 15 minutes configured
    clock.advance(minutes=6)
    one_pass(rt)
    clock.advance(minutes=30)
    one_pass(rt)
    alerts = [s for s in _subjects(smtp_server) if s.startswith("ALERT")]
    assert alerts == ["ALERT: mailbot cannot reach the WSSCB mailbox"]
    [rcpts] = [m.rcpt_tos for m in smtp_server.received() if b"Subject: ALERT" in m.raw]
    assert sorted(rcpts) == ["admin@westsussex-scb.example", "businessmanager@westsussex-scb.example"]
    dovecot.start()
    clock.advance(minutes=1)
    one_pass(rt)
    one_pass(rt)
    assert [s for s in _subjects(smtp_server) if s.startswith("Resolved")] == [
        "Resolved: mailbot can reach the WSSCB mailbox again"]
    rt.close()


def test_wrong_password_alerts_at_once(ws_board, store, tmp_path, clock, dovecot, smtp_server):
    mailbox = ImapMailbox("imap:test", dovecot.host, dovecot.port, username=dovecot.user, password="wrong",
                          security="plain", max_attempts=1, sleep=lambda _s: None)
    sender = SmtpSender(smtp_server.host, smtp_server.port, security="plain")
    rt = build_runtime(ws_board, store, tmp_path / "data", clock, mailbox=mailbox, sender=sender)
    one_pass(rt)
    assert _subjects(smtp_server) == ["ALERT: mailbot cannot sign in to the WSSCB mailbox"]
    [raw] = [m.raw for m in smtp_server.received() if b"Subject: ALERT" in m.raw]
    body = email.message_from_bytes(raw, policy=policy.default).get_body().get_content()
    assert "refused mailbot's credentials" in body and "wrong" not in body.split("Last error:")[1].split("\n")[0]
    rt.close()
