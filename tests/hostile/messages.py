"""Hostile and malformed messages, each with what the intake must make of it.

Every message is addressed to the sample board. Most come from a known
agency contact (the police's scoping contact, in the thread of its request)
so the bot's answer to the sender can be checked too; some come from an
unknown sender, who must never be answered. ``HOSTILE`` lists
``(name, build, expected)``: ``build()`` returns the raw bytes and
``expected`` is ``(kind, outcome, reason fragment, sender told)``.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

from tests.conftest import SAMPLES

POLICE = "public.protection.reviews@police.sussex.example"
REQUEST = "<20260119093007.scoping_request.f85e85f0.ws-2026-0001@westsussex-scb.example>"
RETURN_DOCX = (SAMPLES / "forms/west-sussex/summary-of-involvement/summary-01.docx").read_bytes()
HELD = "needs-attention"


def head(message_id: str, *, sender: str = f"DS Ruth Calloway <{POLICE}>", extra: str = "",
         content_type: str = "text/plain; charset=utf-8") -> bytes:
    return (
        f"From: {sender}\r\nTo: WSSCB Mailbox <lscb@westsussex-scb.example>\r\n"
        f"Subject: RE: Scoping request [WS-2026-0001]\r\nDate: Mon, 16 Feb 2026 08:30:00 +0000\r\n"
        f"Message-ID: <{message_id}@police.sussex.example>\r\nIn-Reply-To: {REQUEST}\r\nReferences: {REQUEST}\r\n"
        f"MIME-Version: 1.0\r\n{extra}Content-Type: {content_type}\r\n"
    ).encode()


def _b64(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


def with_attachment(message_id: str, data: bytes, filename: str = "Summary of Involvement.docx",
                    **kw: str) -> bytes:
    return head(message_id, content_type='multipart/mixed; boundary="=_b"', **kw) + (
        b"\r\n--=_b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease find our return attached.\r\n"
        b"--=_b\r\nContent-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document\r\n"
        b'Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="'
        + filename.encode() + b'"\r\n\r\n' + _b64(data) + b"--=_b--\r\n"
    )


def bad_sample(name: str) -> Callable[[], bytes]:
    return lambda: with_attachment(f"bad-{name}", (SAMPLES / "bad" / name).read_bytes())


def bad_boundary() -> bytes:
    return head("boundary", content_type='multipart/mixed; boundary="never-used"') + (
        b"\r\n--other\r\nContent-Type: text/plain\r\n\r\nPlease see attached.\r\n--other--\r\n")


def no_boundary() -> bytes:
    return head("noboundary", content_type="multipart/mixed") + b"\r\n--x\r\nContent-Type: text/plain\r\n\r\nhi\r\n"


def broken_base64() -> bytes:
    return head("b64", content_type='multipart/mixed; boundary="=_b"') + (
        b"\r\n--=_b\r\nContent-Type: text/plain\r\n\r\nReturn attached.\r\n--=_b\r\n"
        b"Content-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document\r\n"
        b'Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="return.docx"\r\n\r\n'
        b"!!!*** not base64 at all ***!!!\r\n====\r\n--=_b--\r\n")


def broken_encodings() -> bytes:
    """Unknown charsets, undecodable bytes and bad encoded-words around a perfectly good form."""
    raw = with_attachment("encodings", RETURN_DOCX, filename="=?x-unknown?q?Summary?=.docx",
                          extra="X-Note: =?utf-8?b?!!!?= =?x-nope?q?abc?= NOTE\r\n")
    raw = raw.replace(b"NOTE", b"caf\xe9 \xff\xfe\x80")
    raw = raw.replace(b"Subject: RE: Scoping", b"Subject: =?utf-8?q?=ZZ?= RE: \xff\xfe Scoping")
    return raw.replace(b"Content-Type: text/plain; charset=utf-8\r\n\r\nPlease",
                       b"Content-Type: text/plain; charset=x-evil\r\nContent-Transfer-Encoding: quoted-printable"
                       b"\r\n\r\n=ZZ=\xff Please")


def huge_headers() -> bytes:
    return head("huge", extra="X-Filler: " + "x" * 300_000 + "\r\n") + b"\r\nhello\r\n"


def many_headers() -> bytes:
    return head("manyheaders", extra="".join(f"X-H{i}: v\r\n" for i in range(6_000))) + b"\r\nhello\r\n"


def thousand_attachments() -> bytes:
    parts = b"".join(b"--=_b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; "
                     b'filename="part%d.bin"\r\n\r\npart %d\r\n' % (i, i) for i in range(1000))
    return head("thousand", content_type='multipart/mixed; boundary="=_b"') + b"\r\n" + parts + b"--=_b--\r\n"


def nested_multipart(depth: int, tag: str) -> bytes:
    body = b"Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"x.docx\"\r\n\r\nx\r\n"
    for i in range(depth):
        b = b"n%d" % i
        body = (b'Content-Type: multipart/mixed; boundary="' + b + b'"\r\n\r\n--' + b + b"\r\n" + body
                + b"\r\n--" + b + b"--\r\n")
    return head(tag, content_type="text/plain").replace(b"Content-Type: text/plain\r\n", b"") + body


def nested_forwards(depth: int) -> bytes:
    body = b"Content-Type: text/plain\r\n\r\nthe end\r\n"
    for _ in range(depth):
        body = b"Content-Type: message/rfc822\r\n\r\nFrom: x@police.sussex.example\r\nSubject: fwd\r\n" + body
    return head("forwards", content_type="text/plain").replace(b"Content-Type: text/plain\r\n", b"") + body


def garbage() -> bytes:
    return bytes((i * 7919 + 13) % 256 for i in range(20_000))


def script_bomb() -> bytes:
    return head("script", content_type="text/html; charset=utf-8") + b"\r\n" + b"<script><div <a " * 60_000


def newline_flood() -> bytes:
    return head("newlines") + b"\r\n" + b" \n\n \t\n" * 400_000 + b"not known to us"


def oversized() -> bytes:
    return head("oversized") + b"\r\n" + b"x" * (100 * 1024 * 1024 + 10)


def unknown_with_bad_attachment() -> bytes:
    return with_attachment("unknown-bad", (SAMPLES / "bad" / "referral-truncated.docx").read_bytes(),
                           sender="Someone <someone@attacker.example>")


def sample(prefix: str) -> Callable[[], bytes]:
    return lambda: next(p for p in sorted((SAMPLES / "emails").glob(f"{prefix}*.eml"))).read_bytes()


Expected = tuple[str, str, str, bool]
#: (name, build, (kind, outcome, reason fragment, the sender is told))
HOSTILE: list[tuple[str, Callable[[], bytes], Expected]] = [
    ("truncated docx", bad_sample("referral-truncated.docx"),
     ("unreadable_attachment", HELD, "damaged (not a complete .docx", True)),
    ("zip bomb", bad_sample("referral-bomb.docx"), ("unreadable_attachment", HELD, "zip bomb", True)),
    ("billion laughs", bad_sample("referral-laughs.docx"),
     ("unreadable_attachment", HELD, "XML entity declaration", True)),
    ("a letter, not a form", bad_sample("letter-from-gp.docx"),
     ("not_a_form", HELD, "attachment is not a recognised form", True)),
    ("empty file", bad_sample("referral.docx"), ("unreadable_attachment", HELD, "empty (0 bytes)", True)),
    ("genuine: not known (02)", sample("02"), ("not_known", "processed", "", False)),
    ("boundary never used", bad_boundary, ("unmatched", HELD, "a reply with no form attached", False)),
    ("multipart without boundary", no_boundary, ("unmatched", HELD, "a reply with no form attached", False)),
    ("broken base64 form", broken_base64, ("unreadable_attachment", HELD, "named as a .docx file", True)),
    ("broken encodings around a good form", broken_encodings, ("scoping_return", "processed", "", False)),
    ("headers over 256 KB", huge_headers, ("unreadable_message", HELD, "headers are larger than 256 KB", False)),
    ("6,000 headers", many_headers, ("unmatched", HELD, "a reply with no form attached", False)),
    ("1,000 attachments", thousand_attachments,
     ("unreadable_attachment", HELD, "more than 50 attachments", True)),
    ("multipart nested 300 deep", lambda: nested_multipart(300, "deep"),
     ("unreadable_message", HELD, "nested too deeply", False)),
    ("multipart nested 8 deep", lambda: nested_multipart(8, "eight"),
     ("unreadable_attachment", HELD, "nested more than 5 levels deep", True)),
    ("forwards nested 3,000 deep", lambda: nested_forwards(3000),
     ("unreadable_message", HELD, "nested too deeply", False)),
    ("binary garbage", garbage, ("unknown_sender", HELD, "sender is not in the board directory", False)),
    ("script and tag flood", script_bomb, ("unmatched", HELD, "a reply with no form attached", False)),
    ("blank-line flood", newline_flood, ("unmatched", HELD, "a reply with no form attached", False)),
    ("over 100 MB", oversized, ("unreadable_message", HELD, "too large to read", False)),
    ("unknown sender, damaged form", unknown_with_bad_attachment,
     ("unknown_sender", HELD, "sender is not in the board directory", False)),
    ("empty message", lambda: b"", ("unreadable_message", HELD, "the message is empty", False)),
    ("genuine: police return (03)", sample("03"), ("scoping_return", "processed", "", False)),
]
