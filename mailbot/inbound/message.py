"""An incoming email as mailbot reads it.

``read_message`` turns raw bytes into a :class:`MailMessage`: decoded
headers, the sender's address, threading ids, the new text of the body and
every attachment, wherever the sending client put it (inline parts, parts
labelled ``application/octet-stream``, forwarded ``message/rfc822``
messages, Outlook ``.msg`` files, ``winmail.dat``). Nothing here decides what
the message *is*; that is the classifier's job.

Hostile mail is bounded: nesting depth, attachment count and total size are
capped and a breach becomes ``MailProblem`` with a one-line reason.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr

from mailparser_reply import EmailReplyParser

from mailbot.inbound.attachments import Attachment, collect_attachments
from mailbot.errors import MailbotError

_MSGID = re.compile(r"<[^<>\s]+>")
MAX_HEADER_BYTES = 256 * 1024


class MailProblem(MailbotError):
    """The message itself cannot be read safely (reason is one line)."""


@dataclass
class MailMessage:
    raw_sha256: str
    message_id: str | None
    subject: str
    from_addr: str
    from_name: str
    sender_addr: str | None
    reply_to: list[str]
    to: list[str]
    cc: list[str]
    in_reply_to: list[str]
    references: list[str]
    headers: dict[str, list[str]]
    text: str
    new_text: str
    attachments: list[Attachment] = field(default_factory=list)
    content_type: str = "text/plain"
    report_type: str | None = None
    email: EmailMessage | None = None

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None

    def header_all(self, name: str) -> list[str]:
        return self.headers.get(name.lower(), [])

    @property
    def thread_ids(self) -> list[str]:
        """Every Message-ID this message says it answers, nearest first."""
        seen: list[str] = []
        for mid in [*self.in_reply_to, *reversed(self.references)]:
            if mid not in seen:
                seen.append(mid)
        return seen


def _ids(value: str | None) -> list[str]:
    return _MSGID.findall(value or "")


def _safe_str(value: object) -> str:
    try:
        return " ".join(str(value).split())
    except Exception:  # a header the email package cannot decode at all
        return ""


def _addresses(msg: Message, name: str) -> list[str]:
    try:
        values = [str(v) for v in msg.get_all(name, [])]
    except Exception:
        return []
    return [a.lower() for _n, a in getaddresses(values) if "@" in a]


def body_text(msg: Message) -> str:
    """The plain text of a message (HTML turned into text when that is all there is)."""
    part = None
    if isinstance(msg, EmailMessage):
        try:
            part = msg.get_body(preferencelist=("plain", "html"))
        except Exception:
            part = None
    if part is None:
        return ""
    try:
        content = part.get_content()
    except Exception:
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", errors="replace")
    if not isinstance(content, str):
        return ""
    if part.get_content_type() == "text/html":
        content = html_to_text(content)
    return content.replace("\r\n", "\n")


def html_to_text(html: str) -> str:
    """A rough text of an HTML body; Outlook's reply separator ends the new text."""
    html = re.sub(r"(?is)<(script|style|head)\b.*?</\1>", "", html)
    html = re.sub(r'(?is)<div[^>]*id="(divRplyFwdMsg|appendonsend)".*', "", html)
    html = re.sub(r"(?is)<hr[^>]*>.*", "", html) if "divRplyFwdMsg" in html else html
    html = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</tr>", "\n", html)
    text = re.sub(r"(?s)<[^>]+>", "", html)
    import html as htmllib

    return htmllib.unescape(text)


_OUTLOOK_BLOCK = re.compile(
    r"(?im)^\s*(-{2,}\s*Original Message\s*-{2,}|_{5,}|From:\s.*\n\s*(Sent|Date):\s)"
)


def new_text(text: str) -> str:
    """Only what the sender wrote now: no quoted history, signatures or client footers."""
    cut = _OUTLOOK_BLOCK.search(text)
    if cut:
        text = text[: cut.start()]
    try:
        parsed = EmailReplyParser(languages=["en"]).parse_reply(text=text)
    except Exception:
        parsed = text
    lines = [ln for ln in (parsed or "").splitlines() if not ln.lstrip().startswith(">")]
    out = "\n".join(lines).strip()
    out = re.sub(r"(?im)^\s*Sent from my \w+.*$", "", out).strip()
    return out


def read_message(raw: bytes) -> MailMessage:
    """Decode one raw message; raises ``MailProblem`` for mail that cannot be read safely."""
    if not raw:
        raise MailProblem("the message is empty")
    head_end = raw.find(b"\r\n\r\n")
    head_end = head_end if head_end >= 0 else raw.find(b"\n\n")
    if (head_end < 0 and len(raw) > MAX_HEADER_BYTES) or head_end > MAX_HEADER_BYTES:
        raise MailProblem("the message headers are larger than 256 KB")
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
    except Exception as err:  # the email package raises many kinds
        raise MailProblem(f"the message cannot be decoded ({type(err).__name__})") from err
    headers: dict[str, list[str]] = {}
    for key in msg.keys():
        k = key.lower()
        if k not in headers:
            try:
                headers[k] = [_safe_str(v) for v in msg.get_all(key, [])]
            except Exception:
                headers[k] = []
    from_values = headers.get("from", [])
    name, addr = parseaddr(from_values[0] if from_values else "")
    sender = _addresses(msg, "sender")
    text = body_text(msg)
    attachments = collect_attachments(msg)
    ctype = msg.get_content_type()
    mid = _ids(headers.get("message-id", [""])[0] if headers.get("message-id") else "")
    return MailMessage(
        raw_sha256=hashlib.sha256(raw).hexdigest(),
        message_id=mid[0] if mid else None,
        subject=(headers.get("subject") or [""])[0],
        from_addr=addr.lower(),
        from_name=name,
        sender_addr=sender[0] if sender else None,
        reply_to=_addresses(msg, "reply-to"),
        to=_addresses(msg, "to"),
        cc=_addresses(msg, "cc"),
        in_reply_to=_ids((headers.get("in-reply-to") or [""])[0]),
        references=_ids(" ".join(headers.get("references", []))),
        headers=headers,
        text=text,
        new_text=new_text(text),
        attachments=attachments,
        content_type=ctype,
        report_type=(msg.get_param("report-type") or None) if ctype == "multipart/report" else None,
        email=msg if isinstance(msg, EmailMessage) else None,
    )
