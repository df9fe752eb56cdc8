"""The wire bytes of the emails we compose, written directly.

Every email mailbot writes has one shape: headers, a text body (with an
HTML alternative when the template has one) and attachments. Building it
as an ``EmailMessage`` and flattening it again for the outbox cost ~9 ms
an email with a Word attachment, most of it the header registry parsing
every header (content headers included) twice and the generator writing a
37 KB attachment line by line: a referral sends nine.

This module writes the same bytes ``EmailMessage(policy=POLICY)`` with
``set_content`` / ``add_alternative`` / ``add_attachment`` and then
``BytesGenerator`` with CRLF would write — the same header order, folding
and encoded words (RFC 2047), RFC 2231 filenames, the same choice of
7bit / 8bit / quoted-printable / base64 for text and base64 lines of 76 —
only the multipart boundaries are drawn differently (same form). It gets
there by doing the cheap cases itself and handing the others to the stdlib:

- an unstructured, date or message-id header whose value is short,
  printable ASCII with single spaces is written as it is (the registry
  would write it unchanged);
- any other header (addresses, non-ASCII, long, attachment filenames) is
  folded by the registry itself, memoised, since the same addresses and
  content types recur on every email.

``tests/outbound/test_mime.py`` checks it byte for byte against the stdlib.
"""

from __future__ import annotations

import binascii
import functools
import random
import re
import sys
import urllib.parse
from email import policy as email_policy
from email import quoprimime
from email.headerregistry import (
    BaseHeader,
    DateHeader,
    HeaderRegistry,
    MessageIDHeader,
    UnstructuredHeader,
)
from email.message import MIMEPart


class _HeaderClasses(HeaderRegistry):
    """The standard header classes, each made once.

    The stdlib registry builds a new class with ``type()`` for every header
    it parses; the classes are the same every time, so keeping them changes
    nothing else.
    """

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made


#: ``email.policy.default`` with the header classes kept (the policy every email we write uses).
POLICY = email_policy.default.clone(header_factory=_HeaderClasses())
#: ``POLICY`` as the outbox stores mail: CRLF line ends, 8-bit headers refused (encoded words instead).
WIRE = POLICY.clone(linesep="\r\n")
_MAX = POLICY.max_line_length  # 78
_CRLF = b"\r\n"
_NL = re.compile(r"\r\n|\r|\n")
_SIMPLE = re.compile(r"[\x21-\x7e]+(?: [\x21-\x7e]+)*")
_BOUNDARY_DIGITS = len(repr(sys.maxsize - 1))


def _simple(value: str) -> bool:
    """Printable ASCII words with single spaces and no encoded-word marker: the registry writes it as is."""
    return _SIMPLE.fullmatch(value) is not None and "=?" not in value


@functools.lru_cache(maxsize=1024)
def _registry(name: str, value: str) -> tuple[bytes, str]:
    """(folded line, decoded value) of a header as ``msg[name] = value`` then the generator give them."""
    _, parsed = WIRE.header_store_parse(name, value)  # what ``msg[name] = value`` stores
    return WIRE.fold_binary(name, parsed), str(parsed)


@functools.lru_cache(maxsize=64)
def _plain(name: str) -> bool:
    """Headers the registry writes back unchanged when short and simple (not addresses, not MIME ones)."""
    return issubclass(POLICY.header_factory[name], (UnstructuredHeader, DateHeader, MessageIDHeader))


def header(name: str, value: str) -> tuple[bytes, str]:
    """(the folded header line with CRLF, its value as ``str(msg[name])`` would give it)."""
    if len(name) + 2 + len(value) <= _MAX and _plain(name) and _simple(value):
        return f"{name}: {value}\r\n".encode("ascii"), value
    if name.lower() == "message-id" and len(value) < _MAX and " " not in value and _simple(value):
        return f"{name}:\r\n {value}\r\n".encode("ascii"), value  # ours are long: the registry's fold
    return _registry(name, value)


def _lines(text: str) -> bytes:
    """A payload string with the generator's line ends (every CR, LF or CRLF → CRLF)."""
    return _NL.sub("\r\n", text).encode("ascii", "surrogateescape")


def _encode_text(text: str) -> tuple[str, bytes]:
    """(transfer encoding, body with CRLF) as ``set_content(text)`` under ``POLICY`` chooses them.

    The same heuristic as ``email.contentmanager``: 7bit, or 8bit for
    non-ASCII, while every line fits in 78 octets; otherwise the shorter of
    quoted-printable and base64 judged on the first ten lines.
    """
    lines = text.encode("utf-8").splitlines()
    if max((len(x) for x in lines), default=0) <= _MAX:
        body = b"\r\n".join(lines) + b"\r\n"
        return ("7bit" if body.isascii() else "8bit"), body
    sniff = b"\n".join(lines[:10]) + b"\n"
    sniff_qp = quoprimime.body_encode(sniff.decode("latin-1"), _MAX)
    if len(sniff_qp) > len(binascii.b2a_base64(sniff)):
        return "base64", _base64(b"\n".join(lines) + b"\n")
    if len(lines) <= 10:
        return "quoted-printable", _lines(sniff_qp)
    return "quoted-printable", _lines(quoprimime.body_encode((b"\n".join(lines) + b"\n").decode("latin-1"), _MAX))


def _base64(data: bytes) -> bytes:
    """Base64 in lines of 76 (57 octets each), as ``add_attachment`` writes it, with CRLF."""
    encoded = binascii.b2a_base64(data, newline=False)
    if not encoded:
        return b""
    return b"\r\n".join([encoded[i:i + 76] for i in range(0, len(encoded), 76)]) + b"\r\n"


def _text_part(text: str, subtype: str, mime_version: bool) -> bytes:
    cte, body = _encode_text(text)
    head = (f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
            f"Content-Transfer-Encoding: {cte}\r\n").encode("ascii")
    if mime_version:
        head += b"MIME-Version: 1.0\r\n"
    return head + _CRLF + body


def _disposition(filename: str) -> bytes:
    """``Content-Disposition: attachment`` with the filename as ``set_param`` and the registry write it.

    RFC 2231 for a name that is not ASCII (``filename*=utf-8''…``), split
    into numbered sections when it does not fit a line: the registry's own
    rules (``_fold_mime_parameters``), restated because every scoping form
    has a new name. A name with control characters goes to the registry.
    """
    if not filename or any(c < " " or c == "\x7f" or "\udc80" <= c <= "\udcff" for c in filename):
        return _registry_disposition(filename)
    head = "Content-Disposition: attachment;"
    pieces = [_PCT.get(c) or _pct(c) for c in filename]  # UTF-8 is per character: the parts join up
    if filename.isascii():
        charset, tstr = "us-ascii", 'filename="{}"'.format(filename.replace("\\", "\\\\").replace('"', '\\"'))
    else:
        charset = "utf-8"
        tstr = "filename*=utf-8''" + "".join(pieces)
    if len(head) + 1 + len(tstr) <= _MAX:
        lines = [f"{head} {tstr}"]
    elif len(tstr) + 2 <= _MAX:
        lines = [head, " " + tstr]
    else:
        lines, section, chrome = [head], 0, charset + "''"
        while pieces:  # each section: the most characters whose encoding fits (the registry's search, done once)
            room = _MAX - (len("filename") + len(str(section)) + 3 + len(chrome)) - 2
            split = used = 0
            while split < min(room, len(pieces)) and used + len(pieces[split]) <= room:
                used += len(pieces[split])
                split += 1
            lines.append(f" filename*{section}*={chrome}{''.join(pieces[:split])}")
            chrome, section, pieces = "", section + 1, pieces[split:]
            if pieces:
                lines[-1] += ";"
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


_PCT: dict[str, str] = {}


def _pct(c: str) -> str:
    """``urllib.parse.quote(c, safe="")``, remembered (a few hundred characters at most in practice)."""
    found = _PCT[c] = urllib.parse.quote(c, safe="")
    if len(_PCT) > 4096:
        _PCT.clear()
    return found


def _registry_disposition(filename: str) -> bytes:
    part = MIMEPart(policy=WIRE)
    part["Content-Disposition"] = "attachment"
    part.set_param("filename", filename, header="Content-Disposition", replace=True)
    return WIRE.fold_binary("Content-Disposition", part["Content-Disposition"])


def attachment_part(data: bytes, content_type: str, filename: str) -> bytes:
    """One attachment as ``add_attachment(data, maintype, subtype, filename=…)`` writes it."""
    return (header("Content-Type", content_type)[0] + b"Content-Transfer-Encoding: base64\r\n"
            + _disposition(filename) + b"MIME-Version: 1.0\r\n" + _CRLF + _base64(data))


def _boundary(parts: list[bytes]) -> str:
    """A boundary of the stdlib's form that no part's lines begin with."""
    while True:
        boundary = "=" * 15 + f"{random.randrange(sys.maxsize):0{_BOUNDARY_DIGITS}d}" + "=="
        marker = b"--" + boundary.encode("ascii")
        if not any(marker in p for p in parts):
            return boundary


def _multipart(subtype: str, parts: list[bytes], mime_version: bool) -> tuple[bytes, bytes]:
    """(content headers, body) of a multipart of ``parts`` (each headers, blank line, body)."""
    boundary = _boundary(parts)
    value = f'multipart/{subtype}; boundary="{boundary}"'
    line = f"Content-Type: {value}\r\n"
    if len(line) - 2 > _MAX:
        line = f'Content-Type: multipart/{subtype};\r\n boundary="{boundary}"\r\n'
    head = (b"MIME-Version: 1.0\r\n" if mime_version else b"") + line.encode("ascii")
    delimiter = f"\r\n--{boundary}\r\n".encode("ascii")
    body = (f"--{boundary}\r\n".encode("ascii") + delimiter.join(parts)
            + f"\r\n--{boundary}--\r\n".encode("ascii"))
    return head, body


def write(headers: list[bytes], text: str, html: str | None,
          attachments: list[tuple[bytes, str, str]]) -> bytes:
    """The whole email: folded ``headers``, then the body as ``build`` lays it out.

    ``attachments`` are (data, content type, filename).
    """
    if html is None:
        body_part = _text_part(text, "plain", mime_version=False)
    else:
        head, body = _multipart("alternative", [_text_part(text, "plain", False), _text_part(html, "html", True)],
                                mime_version=False)
        body_part = head + _CRLF + body
    if attachments:
        parts = [body_part] + [attachment_part(*a) for a in attachments]
        head, body = _multipart("mixed", parts, mime_version=True)
        return b"".join(headers) + head + _CRLF + body
    if html is None:
        content, _, payload = body_part.partition(_CRLF + _CRLF)  # single part: MIME-Version after its headers
        return b"".join(headers) + content + _CRLF + b"MIME-Version: 1.0\r\n" + _CRLF + payload
    head, _, payload = body_part.partition(_CRLF + _CRLF)
    return b"".join(headers) + b"MIME-Version: 1.0\r\n" + head + _CRLF + _CRLF + payload
