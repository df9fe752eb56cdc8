"""Finding attachments wherever mail clients put them.

A form may arrive as a normal attachment, an inline part, a part labelled
``application/octet-stream`` or with the wrong extension, inside a forwarded
message (``message/rfc822``), inside an attached Outlook ``.msg``, or inside
``winmail.dat`` (TNEF). We collect them all; what a file *is* is decided
later from its content, never from its label.

Limits keep hostile mail bounded: nesting depth, number of attachments and
their total size. A breach is reported once as a problem attachment, which
the pipeline turns into a one-line reason.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from email.message import Message

from mailbot.sizes import limit_mb

log = logging.getLogger("mailbot.inbound")

MAX_DEPTH = 5
MAX_ATTACHMENTS = 50
MAX_TOTAL_BYTES = 60 * 1024 * 1024
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_TNEF = b"\x78\x9f\x3e\x22"
_SKIP_TYPES = {"message/delivery-status", "text/rfc822-headers", "message/disposition-notification"}


@dataclass
class Attachment:
    filename: str
    declared_type: str
    data: bytes
    #: How it was carried: ``direct``, ``forwarded``, ``msg`` or ``tnef``.
    via: str = "direct"
    #: A reason the attachment could not be taken out, else None.
    problem: str | None = None
    #: This item stands for a limit the message broke (the rest was not looked at).
    limit: bool = False


#: Names Windows reserves whatever the extension (``CON.docx`` opens the console).
_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\.|$)",
                       re.IGNORECASE)


def safe_filename(name: str | None, fallback: str = "attachment") -> str:
    """A file name with no path, control characters or tricks, at most 120 characters.

    Stored files are named by their content's SHA-256, never by this; the
    safe name is only a label (the digest, the name an attachment is sent
    on with), so it must never carry a path, a control or bidi character, a
    name Windows reserves, or a leading dot.
    """
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").split("/")[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name)
    name = re.sub(r"[^\w.\- ()&,+'–]", "_", name).strip(" .")
    if not name or set(name) <= {"_", "."}:
        name = fallback
    if _RESERVED.match(name):
        name = "_" + name
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 110] + dot + ext[:9]) if dot else name[:120]
    return name


class _Collector:
    def __init__(self) -> None:
        self.items: list[Attachment] = []
        self.total = 0
        self.overflow: str | None = None

    def add(self, att: Attachment) -> None:
        if self.overflow:
            return
        if len(self.items) >= MAX_ATTACHMENTS:
            self.overflow = f"the message has more than {MAX_ATTACHMENTS} attachments"
            return
        self.total += len(att.data)
        if self.total > MAX_TOTAL_BYTES:
            self.overflow = f"the attachments are larger than {limit_mb(MAX_TOTAL_BYTES)} in total"
            return
        self.items.append(att)


def _is_attachment(part: Message) -> bool:
    ctype = part.get_content_type()
    if ctype == "message/rfc822":
        return True
    if part.is_multipart() or ctype in _SKIP_TYPES:
        return False
    disposition = (part.get_content_disposition() or "").lower()
    filename = part.get_filename()
    if disposition == "attachment" or filename:
        return True
    return not ctype.startswith("text/")


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    return data if isinstance(data, bytes) else b""


def _walk(msg: Message, out: _Collector, depth: int, via: str) -> None:
    if depth > MAX_DEPTH:
        out.overflow = out.overflow or "attachments are nested more than 5 levels deep"
        return
    if msg.is_multipart():
        payload = msg.get_payload()
        for part in payload if isinstance(payload, list) else []:
            if out.overflow:
                return  # a limit was hit: the rest is not looked at
            if not isinstance(part, Message):
                continue
            if part.is_multipart() and part.get_content_type() != "message/rfc822":
                _walk(part, out, depth + 1, via)
            else:
                _leaf(part, out, depth, via)
        return
    if depth > 0:  # a non-multipart forwarded message: its body may be the form
        _leaf(msg, out, depth, via)


def _leaf(part: Message, out: _Collector, depth: int, via: str) -> None:
    if not _is_attachment(part):
        return
    ctype = part.get_content_type()
    try:
        raw_name = part.get_filename()
    except Exception:
        raw_name = None
    if ctype == "message/rfc822":
        inner = part.get_payload()
        inner_msg = inner[0] if isinstance(inner, list) and inner else inner
        if isinstance(inner_msg, Message):
            _walk(inner_msg, out, depth + 1, "forwarded")
        return
    data = _payload(part)
    name = safe_filename(raw_name)
    if data.startswith(_TNEF) or name.lower() == "winmail.dat":
        _tnef(data, out, via)
        return
    if data.startswith(_OLE) and (name.lower().endswith(".msg") or "outlook" in ctype):
        _outlook_msg(data, out, depth, name)
        return
    out.add(Attachment(filename=name, declared_type=ctype, data=data, via=via))


def _tnef(data: bytes, out: _Collector, via: str) -> None:
    try:
        from tnefparse import TNEF

        tnef = TNEF(data)
        for att in tnef.attachments:
            payload = att.data if isinstance(att.data, bytes) else bytes(att.data or b"")
            out.add(Attachment(safe_filename(att.long_filename() or att.name), "application/octet-stream", payload, "tnef"))
    except Exception as err:  # tnefparse raises assorted errors on damaged input
        log.info("winmail.dat could not be unpacked (%s)", type(err).__name__)
        out.add(Attachment("winmail.dat", "application/ms-tnef", data, via, problem="a winmail.dat attachment could not be unpacked"))


def _outlook_msg(data: bytes, out: _Collector, depth: int, name: str) -> None:
    try:
        import extract_msg

        item = extract_msg.openMsg(data)
        try:
            for att in getattr(item, "attachments", []):
                payload = getattr(att, "data", None)
                if isinstance(payload, bytes):
                    fname = getattr(att, "longFilename", None) or getattr(att, "shortFilename", None)
                    out.add(Attachment(safe_filename(fname), "application/octet-stream", payload, "msg"))
                elif payload is not None and hasattr(payload, "attachments"):
                    for inner in payload.attachments:  # a .msg inside a .msg
                        if isinstance(getattr(inner, "data", None), bytes):
                            out.add(Attachment(safe_filename(inner.longFilename), "application/octet-stream", inner.data, "msg"))
        finally:
            item.close()
    except Exception as err:  # extract-msg raises many kinds on damaged files
        log.info("an Outlook .msg attachment could not be opened (%s)", type(err).__name__)
        out.add(Attachment(name, "application/vnd.ms-outlook", data, "msg", problem="an attached Outlook message could not be opened"))


def collect_attachments(msg: Message) -> list[Attachment]:
    """Every attachment of ``msg``; a final problem item when a limit was hit."""
    out = _Collector()
    _walk(msg, out, 0, "direct")
    items = list(out.items)
    if out.overflow:
        items.append(Attachment("(limit)", "application/octet-stream", b"", problem=out.overflow, limit=True))
    return items
