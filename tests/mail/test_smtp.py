"""SmtpSender against a real aiosmtpd server on loopback."""

from __future__ import annotations

import email
from email import policy

import pytest

from mailbot.errors import SendAuthError, SendError
from mailbot.mailbox.oauth import StaticTokenProvider
from mailbot.outbound.base import Sender
from mailbot.outbound.smtp import PartialSendError, SmtpSender

from .helpers import outgoing

pytestmark = pytest.mark.timeout(60)


_open: list[SmtpSender] = []


@pytest.fixture(autouse=True)
def _close_senders():
    yield
    while _open:
        _open.pop().close()


def _sender(server, **kw) -> SmtpSender:
    sender = SmtpSender(server.host, server.port, security="plain", timeout=10, **kw)
    _open.append(sender)
    return sender


def test_send_envelope_and_headers(smtp_server):
    sender = _sender(smtp_server, envelope_from="bounces@lscb.example")
    assert isinstance(sender, Sender)
    msg = outgoing()
    msg["Bcc"] = "hidden@lscb.example"
    sender.send(msg, ["scoping@health.example", "hidden@lscb.example"])
    sender.send(outgoing("Second"), ["scoping@health.example"])  # same connection reused
    sender.close()

    first, second = smtp_server.received()
    assert first.mail_from == "bounces@lscb.example"
    assert first.rcpt_tos == ["scoping@health.example", "hidden@lscb.example"]
    parsed = email.message_from_bytes(first.raw, policy=policy.default)
    assert parsed["Subject"] == "Scoping request WS-2026-0007"
    assert parsed["Message-ID"] == msg["Message-ID"]
    assert parsed["Bcc"] is None  # never on the wire
    assert email.message_from_bytes(second.raw, policy=policy.default)["Subject"] == "Second"


def test_envelope_from_defaults_to_from_header(smtp_server):
    _sender(smtp_server).send(outgoing(), ["scoping@health.example"])
    assert smtp_server.received()[0].mail_from == "board@lscb.example"


def test_all_recipients_refused_is_permanent(smtp_server):
    smtp_server.refuse = {"nobody@health.example"}
    with pytest.raises(SendError) as info:
        _sender(smtp_server).send(outgoing(), ["nobody@health.example"])
    assert info.value.permanent
    assert "550" in str(info.value)
    assert "nobody@" not in str(info.value)  # no addresses in reasons


def test_deferred_recipient_is_transient(smtp_server):
    smtp_server.defer = {"busy@health.example"}
    with pytest.raises(SendError) as info:
        _sender(smtp_server).send(outgoing(), ["busy@health.example"])
    assert not info.value.permanent


def test_some_recipients_refused(smtp_server):
    smtp_server.refuse = {"nobody@health.example"}
    with pytest.raises(PartialSendError) as info:
        _sender(smtp_server).send(outgoing(), ["scoping@health.example", "nobody@health.example"])
    assert info.value.permanent
    assert info.value.refused == {"nobody@health.example": 550}
    assert smtp_server.received()[0].rcpt_tos == ["scoping@health.example"]


def test_server_down_is_transient_and_reconnects(smtp_server):
    sender = _sender(smtp_server)
    sender.send(outgoing(), ["a@health.example"])
    smtp_server.stop()
    with pytest.raises(SendError) as info:
        sender.send(outgoing(), ["a@health.example"])
    assert not info.value.permanent
    assert not isinstance(info.value, SendAuthError)
    smtp_server.start()
    sender.send(outgoing("After restart"), ["a@health.example"])
    sender.close()
    assert len(smtp_server.received()) == 2


def test_password_auth(smtp_server):
    smtp_server.require_auth(users={"bot@lscb.example": "s3cret"})
    _sender(smtp_server, username="bot@lscb.example", password="s3cret").send(
        outgoing(), ["a@health.example"])
    assert smtp_server.received()[0].auth_login == b"bot@lscb.example"

    with pytest.raises(SendAuthError):
        _sender(smtp_server, username="bot@lscb.example", password="wrong").send(
            outgoing(), ["a@health.example"])
    with pytest.raises(SendError) as info:  # no sign-in at all: refused at MAIL
        _sender(smtp_server).send(outgoing(), ["a@health.example"])
    assert info.value.permanent
    assert len(smtp_server.received()) == 1


def test_xoauth2_auth(smtp_server):
    smtp_server.require_auth(tokens={"bot@lscb.example": "tok-123"})
    _sender(smtp_server, username="bot@lscb.example",
            token_provider=StaticTokenProvider("tok-123")).send(outgoing(), ["a@health.example"])
    assert len(smtp_server.received()) == 1
    with pytest.raises(SendAuthError):
        _sender(smtp_server, username="bot@lscb.example",
                token_provider=StaticTokenProvider("expired")).send(outgoing(), ["a@health.example"])


@pytest.mark.parametrize("security", ["plain"])
def test_insecure_settings_refused_off_loopback(security):
    with pytest.raises(SendError) as info:
        SmtpSender("smtp.lscb.example", security=security)
    assert info.value.permanent
    SmtpSender("smtp.lscb.example", security=security, allow_insecure=True)
    SmtpSender("smtp.lscb.example")  # starttls on 587 is the default and fine


def test_tls_to_plain_server_is_transient(smtp_server):
    sender = SmtpSender(smtp_server.host, smtp_server.port, security="tls", timeout=5)
    with pytest.raises(SendError) as info:
        sender.send(outgoing(), ["a@health.example"])
    assert not info.value.permanent
