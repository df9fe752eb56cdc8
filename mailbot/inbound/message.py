"""An incoming email as mailbot reads it.

``read_message`` turns raw bytes into a :class:`MailMessage`: decoded
headers, the sender's address, threading ids, the new text of the body and
every attachment, wherever the sending client put it (inline parts, parts
labelled ``application/octet-stream``, forwarded ``message/rfc822``
messages, Outlook ``.msg`` files, ``winmail.dat``). Nothing here decides what
the message *is*; that is the classifier's job.

Hostile mail is bounded: the message size, header size, nesting depth,
attachment count and total size are capped and a breach becomes
``MailProblem`` (or a problem attachment) with a one-line reason. Text is
only ever scanned by linear-time code over a capped prefix, so no body can
make a regular expression backtrack for minutes.

The sender is read strictly: ``from_addr`` is empty (an unknown sender)
unless the From header holds exactly one address, written literally (not
produced by decoding an encoded-word), in ASCII. Look-alikes therefore never
reach the directory looking like a listed address.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass, field
from email import errors
from email.message import EmailMessage, Message
from email.utils import getaddresses

import html as htmllib

from mailbot.errors import MailbotError
from mailbot.inbound.attachments import Attachment, collect_attachments
from mailbot.inbound.autoreply import automatic
from mailbot.inbound.delivery import DeliveryReport, delivery_report
from mailbot.inbound.replytext import new_text as reply_new_text
from mailbot.sizes import too_large

_MSGID = re.compile(r"<[^<>\s]{1,998}>")
MAX_HEADER_BYTES = 256 * 1024
#: Larger than any message the attachment caps (60 MB decoded) allow.
MAX_MESSAGE_BYTES = 100 * 1024 * 1024
#: Cheap upper bounds checked before parsing: lines that could open a MIME
#: part, and ``boundary=`` parameters (each one a nesting level). The email
#: package's cost grows with both (nesting quadratically); real mail from
#: agencies has a handful of each, a 1,000-attachment message ~1,000 lines.
MAX_PART_LINES = 2000
MAX_BOUNDARIES = 200
_BOUNDARY_PARAM = re.compile(rb"(?i)boundary[ \t]*=")
#: Threading ids kept: In-Reply-To and the newest References.
MAX_THREAD_IDS = 50
#: Text scanned for the sender's new words (replies put them first).
MAX_SCAN_CHARS = 32 * 1024
#: HTML converted to text for the body (the rest is quoted history).
MAX_HTML_CHARS = 2 * 1024 * 1024


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
    #: What a delivery report says (failed / delayed / delivered, for whom); None for other mail.
    delivery: DeliveryReport | None = None
    #: The parsed MIME tree; None when read ahead in a worker (``parse_ahead``): nothing
    #: after reading needs it (delivery reports are read here, into ``delivery``).
    email: EmailMessage | None = None

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None

    def header_all(self, name: str) -> list[str]:
        return self.headers.get(name.lower(), [])

    @property
    def automatic(self) -> bool:
        """Any sign a machine sent it (``autoreply.automatic``): mailbot never writes back to it."""
        return self.delivery is not None or automatic(self.headers, self.from_addr)

    @property
    def thread_ids(self) -> list[str]:
        """Every Message-ID this message says it answers, nearest first (at most 50)."""
        ids = dict.fromkeys([*self.in_reply_to, *reversed(self.references)])
        return list(ids)[:MAX_THREAD_IDS]


def _ids(value: str | None, keep_last: bool = False) -> list[str]:
    found = _MSGID.findall(value or "")
    return found[-MAX_THREAD_IDS:] if keep_last else found[:MAX_THREAD_IDS]


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_lower(address: str) -> str:
    """Lower-case A–Z only: ``str.lower`` turns the Kelvin sign (U+212A) into ``k``."""
    return address.translate(_ASCII_LOWER)


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
    return [ascii_lower(a) for _n, a in getaddresses(values) if "@" in a][:MAX_THREAD_IDS]


def _unfold(value: str) -> str:
    return " ".join(value.split())


def sender_of(msg: Message) -> tuple[str, str]:
    """(display name, address) of the one author, or ``("", "")`` when it is not clear.

    Refused (an unknown sender): no From, several From headers or addresses,
    a header the parser had to repair, an address that is not literally in
    the raw header (``=?utf-8?q?x=40police...?=`` decodes to an address the
    sending domain's DMARC never vouched for), or one that is not ASCII.
    """
    try:
        raw = [v for k, v in msg.raw_items() if k.lower() == "from"]
        if len(raw) != 1:
            return "", ""
        header = msg["from"]
        addresses = list(getattr(header, "addresses", ()))
        defects = [d for d in getattr(header, "defects", ())
                   if isinstance(d, errors.InvalidHeaderDefect)]
    except Exception:  # a header the email package cannot parse at all
        return "", ""
    if len(addresses) != 1 or defects:
        return "", ""
    name, addr = str(addresses[0].display_name or ""), str(addresses[0].addr_spec or "")
    literal = _unfold(str(raw[0])).lower()
    if (not addr.isascii() or addr.count("@") != 1 or addr.startswith('"')
            or addr.lower() not in literal or "=?" in addr):
        return _safe_str(name), ""
    return _safe_str(name), ascii_lower(addr)


def _headers(msg: Message) -> dict[str, list[str]]:
    """Every header, decoded, by lower-case name: one pass (``get_all`` per name is quadratic)."""
    headers: dict[str, list[str]] = {}
    try:
        items = msg.raw_items()
    except Exception:
        return headers
    policy = msg.policy
    for key, value in items:
        try:
            decoded = _safe_str(policy.header_fetch_parse(key, value))
        except Exception:  # a header the email package cannot decode at all
            decoded = ""
        headers.setdefault(key.lower(), []).append(decoded)
    return headers


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


def _drop_elements(html: str, tag: str) -> str:
    """``html`` without ``<tag …>…</tag>`` blocks, in linear time (unclosed: to the end)."""
    lower = html.lower()
    out: list[str] = []
    pos = 0
    while True:
        start = lower.find(f"<{tag}", pos)
        if start < 0:
            out.append(html[pos:])
            return "".join(out)
        after = lower[start + len(tag) + 1: start + len(tag) + 2]
        if after and (after.isalnum() or after in "-_:"):  # <header> is not <head>
            out.append(html[pos: start + 1])
            pos = start + 1
            continue
        out.append(html[pos:start])
        end = lower.find(f"</{tag}", start)
        if end < 0:
            return "".join(out)
        close = lower.find(">", end)
        pos = len(html) if close < 0 else close + 1


def html_to_text(html: str) -> str:
    """The text of an HTML body as it reads on screen: paragraphs apart, quotes marked ``>``.

    Newlines in the HTML source are spaces (Outlook wraps its source
    anywhere); ``<br>`` and block ends are line breaks, ``</p>`` ends a
    paragraph; ``<blockquote>`` content is prefixed ``>`` like a plain-text
    quote; Outlook's reply container (``divRplyFwdMsg``/``appendonsend``)
    ends the new text. Every pattern is bounded, so hostile HTML costs
    linear time.
    """
    html = html[:MAX_HTML_CHARS]
    for tag in ("script", "style", "head"):
        html = _drop_elements(html, tag)
    cut = re.search(r'(?i)<div\b[^<>]{0,2000}?id="(divRplyFwdMsg|appendonsend)"', html)
    if cut:
        html = html[: cut.start()]
    elif "divRplyFwdMsg" in html:
        hr = re.search(r"(?i)<hr\b", html)
        html = html[: hr.start()] if hr else html
    html = re.sub(r"[\r\n\t]+", " ", html)
    html = re.sub(r"(?i)<blockquote\b[^<>]{0,2000}>", "\n\x01", html)
    html = re.sub(r"(?i)</blockquote[ \t]{0,20}>", "\x02\n", html)
    html = re.sub(r"(?i)</p[ \t]{0,20}>", "\n\n", html)
    html = re.sub(r"(?i)<br\b[^<>]{0,200}>|</div[ \t]{0,20}>|</tr[ \t]{0,20}>|<hr\b[^<>]{0,200}>|</h\d>|</li>",
                  "\n", html)
    text = htmllib.unescape(re.sub(r"<[^<>]*>", "", html))
    return _mark_quotes(text)


def _mark_quotes(text: str) -> str:
    """Lines between blockquote marks (\\x01 … \\x02) prefixed ``>``, once per level."""
    out: list[str] = []
    depth = 0
    for line in text.split("\n"):
        opens, closes = line.count("\x01"), line.count("\x02")
        depth += opens
        clean = line.replace("\x01", "").replace("\x02", "").strip(" ")
        out.append(("> " * depth + clean) if depth and clean.strip() else clean)
        depth = max(0, depth - closes)
    return "\n".join(out)


def _tidy(text: str) -> str:
    """The first 32 KB, trailing spaces gone and blank runs squeezed (linear)."""
    out: list[str] = []
    blank = 0
    for line in text[:MAX_SCAN_CHARS].splitlines():
        line = line.rstrip()
        blank = blank + 1 if not line else 0
        if blank <= 1:
            out.append(line)
    return "\n".join(out)


def new_text(text: str) -> str:
    """Only what the sender wrote now (``replytext``): no quoted history, signatures or client footers."""
    return reply_new_text(_tidy(text))


def read_message(raw: bytes) -> MailMessage:
    """Decode one raw message; raises ``MailProblem`` for mail that cannot be read safely."""
    if not raw:
        raise MailProblem("the message is empty")
    if len(raw) > MAX_MESSAGE_BYTES:
        raise MailProblem(too_large("the message", len(raw), MAX_MESSAGE_BYTES))
    ends = [i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0]
    head_end = min(ends) if ends else -1
    if (head_end < 0 and len(raw) > MAX_HEADER_BYTES) or head_end > MAX_HEADER_BYTES:
        raise MailProblem("the message headers are larger than 256 KB")
    if raw.count(b"\n--") > MAX_PART_LINES:
        raise MailProblem(f"the message has more than {MAX_PART_LINES} parts")
    if len(_BOUNDARY_PARAM.findall(raw)) > MAX_BOUNDARIES:
        raise MailProblem("the message's parts are nested too deeply")
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
    except RecursionError as err:
        raise MailProblem("the message's parts are nested too deeply") from err
    except Exception as err:  # the email package raises many kinds
        raise MailProblem(f"the message cannot be decoded ({type(err).__name__})") from err
    try:
        return _read(raw, msg)
    except RecursionError as err:  # forwarded messages inside forwarded messages…
        raise MailProblem("the message's parts are nested too deeply") from err


def _read(raw: bytes, msg: Message) -> MailMessage:
    headers = _headers(msg)
    name, addr = sender_of(msg)
    sender = _addresses(msg, "sender")
    text = body_text(msg)
    attachments = collect_attachments(msg)
    ctype = msg.get_content_type()
    report_type = (str(msg.get_param("report-type") or "").lower() or None) if ctype == "multipart/report" else None
    subject = (headers.get("subject") or [""])[0]
    mid = _ids(headers.get("message-id", [""])[0] if headers.get("message-id") else "")
    return MailMessage(
        raw_sha256=hashlib.sha256(raw).hexdigest(),
        message_id=mid[0] if mid else None,
        subject=subject,
        from_addr=addr,
        from_name=name,
        sender_addr=sender[0] if sender else None,
        reply_to=_addresses(msg, "reply-to"),
        to=_addresses(msg, "to"),
        cc=_addresses(msg, "cc"),
        in_reply_to=_ids((headers.get("in-reply-to") or [""])[0]),
        references=_ids(" ".join(headers.get("references", [])), keep_last=True),
        headers=headers,
        text=text,
        new_text=new_text(text),
        attachments=attachments,
        content_type=ctype,
        report_type=report_type,
        delivery=delivery_report(msg, subject, (headers.get("from") or [""])[0], addr, report_type, text, headers),
        email=msg if isinstance(msg, EmailMessage) else None,
    )
