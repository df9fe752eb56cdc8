"""Turning a template and a context into a finished email.

Templates are plain files by purpose (``templates/email/scoping/request.txt``):
the first line is ``Subject: …``, then a blank line, then the body, all
Jinja2. A board may replace any of them by pointing ``templates:`` in its
config at a folder with the same layout. Every email mailbot writes is
built here, so every one carries the same headers: the board mailbox as
From, the case reference in the subject, a Message-ID of ours, threading
headers, and ``Auto-Submitted: auto-generated`` (RFC 3834).
"""

from __future__ import annotations

import datetime as dt
import mimetypes
import secrets
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any, Iterable

import jinja2

from mailbot.config import Board, Person
from mailbot.resources import templates_dir


@dataclass(frozen=True)
class OutgoingAttachment:
    filename: str
    data: bytes
    content_type: str | None = None


def _british(value: dt.date | dt.datetime | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return value.strftime("%d/%m/%Y")


def _long_date(value: dt.date | dt.datetime | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return f"{value.strftime('%A')} {value.day} {value.strftime('%B %Y')}"


class Composer:
    """Renders a board's templates into emails."""

    def __init__(self, board: Board) -> None:
        self.board = board
        folders = []
        if board.config.templates:
            folders.append(str(board.resolve_path(board.config.templates)))
        folders.append(str(templates_dir()))
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(folders),
            undefined=jinja2.StrictUndefined,
            autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
            keep_trailing_newline=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["british"] = _british
        self.env.filters["long_date"] = _long_date
        domain = board.config.mailbox_address.email.rsplit("@", 1)[1]
        self.domain = domain

    def base_context(self) -> dict[str, Any]:
        cfg = self.board.config
        vocab = getattr(self.board.regime, "vocabulary", None) or {}
        return {"board": cfg, "vocab": vocab}

    def render(self, purpose: str, context: dict[str, Any]) -> tuple[str, str, str | None]:
        """(subject, text body, html body or None) of a template."""
        ctx = {**self.base_context(), **context}
        text = self.env.get_template(f"email/{purpose}.txt").render(ctx)
        first, _, body = text.partition("\n")
        if not first.startswith("Subject:"):
            raise jinja2.TemplateError(f"template email/{purpose}.txt must start with 'Subject:'")
        html = None
        try:
            html = self.env.get_template(f"email/{purpose}.html").render(ctx)
        except jinja2.TemplateNotFound:
            pass
        return " ".join(first.removeprefix("Subject:").split()), body.strip() + "\n", html

    def new_message_id(self, kind: str, case_reference: str | None, now: dt.datetime) -> str:
        stamp = now.strftime("%Y%m%d%H%M%S")
        tail = f".{case_reference.lower()}" if case_reference else ""
        return f"<{stamp}.{kind}.{secrets.token_hex(4)}{tail}@{self.domain}>"

    def build(
        self,
        purpose: str,
        *,
        kind: str,
        to: Iterable[Person | str],
        now: dt.datetime,
        context: dict[str, Any] | None = None,
        cc: Iterable[Person | str] = (),
        case_reference: str | None = None,
        in_reply_to: str | None = None,
        references: Iterable[str] = (),
        attachments: Iterable[OutgoingAttachment] = (),
        reply_to: str | None = None,
    ) -> EmailMessage:
        subject, text, html = self.render(purpose, {"case_reference": case_reference, **(context or {})})
        if case_reference and f"[{case_reference}]" not in subject:
            subject = f"{subject} [{case_reference}]"
        msg = EmailMessage()
        mailbox = self.board.config.mailbox_address
        msg["From"] = formataddr((mailbox.name, mailbox.email))
        msg["To"] = ", ".join(_addr(p) for p in to)
        cc_list = [_addr(p) for p in cc]
        if cc_list:
            msg["Cc"] = ", ".join(cc_list)
        if reply_to:
            msg["Reply-To"] = reply_to
        msg["Subject"] = subject
        msg["Date"] = format_datetime(now if now.tzinfo else now.replace(tzinfo=dt.timezone.utc))
        msg["Message-ID"] = self.new_message_id(kind, case_reference, now)
        refs = [r for r in references if r]
        if in_reply_to:
            msg["In-Reply-To"] = in_reply_to
            if in_reply_to not in refs:
                refs.append(in_reply_to)
        if refs:
            msg["References"] = " ".join(refs)
        msg["Auto-Submitted"] = "auto-generated"
        msg["X-Auto-Response-Suppress"] = "OOF, AutoReply"
        msg["X-Mailbot-Kind"] = kind
        msg.set_content(text)
        if html:
            msg.add_alternative(html, subtype="html")
        for att in attachments:
            ctype = att.content_type or mimetypes.guess_type(att.filename)[0] or "application/octet-stream"
            maintype, _, subtype = ctype.partition("/")
            msg.add_attachment(att.data, maintype=maintype, subtype=subtype, filename=att.filename)
        return msg


def _addr(p: Person | str) -> str:
    return p.formatted() if isinstance(p, Person) else p


def recipients_of(msg: EmailMessage) -> list[str]:
    from email.utils import getaddresses

    values = [str(v) for h in ("To", "Cc", "Bcc") for v in msg.get_all(h, [])]
    seen: list[str] = []
    for _name, addr in getaddresses(values):
        if addr and addr.lower() not in seen:
            seen.append(addr.lower())
    return seen


def template_root() -> Path:
    return templates_dir()
