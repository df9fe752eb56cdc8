"""Fictional messages for the mail transport tests (only .example addresses)."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid


def raw_message(n: int, subject: str | None = None) -> bytes:
    """A small RFC 5322 message with a unique Message-ID, CRLF line ends."""
    msg = EmailMessage()
    msg["From"] = f"agency{n}@police.example"
    msg["To"] = "board@lscb.example"
    msg["Subject"] = subject or f"Referral form {n}"
    msg["Message-ID"] = make_msgid(idstring=f"t{n}", domain="police.example")
    msg.set_content(f"Fictional test message number {n}.\n")
    return msg.as_bytes().replace(b"\n", b"\r\n")


def outgoing(subject: str = "Scoping request WS-2026-0007") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "board@lscb.example"
    msg["To"] = "scoping@health.example"
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="lscb.example")
    msg.set_content("Please search your records. (fictional)\n")
    return msg
