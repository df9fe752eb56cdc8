"""Caps that keep a hostile attachment from costing us time or memory.

Attachments come from outside the board.  Before any reader touches a file
we check its size; an Office file's zip members are checked against the
central directory *and* inflated through a counting stream, so a zip bomb
is stopped at the cap however its headers lie; and any XML part carrying a
DOCTYPE or entity declaration is refused (no legitimate .docx has one), so
no XML parser downstream ever sees entities to expand.  ``open_office_zip``
hands back the XML parts it inflated and scanned, so a reader parses those
bytes instead of inflating every part a second time.
"""

from __future__ import annotations

import io
import logging
import zipfile
import zlib
from dataclasses import dataclass

from mailbot.errors import ParseError
from mailbot.sizes import too_large

log = logging.getLogger("mailbot.parsers")


@dataclass(frozen=True, slots=True)
class Limits:
    """Every cap in one place (bytes, counts, seconds)."""

    max_file_bytes: int = 25 * 1024 * 1024
    max_members: int = 1000
    max_member_bytes: int = 64 * 1024 * 1024
    max_total_bytes: int = 160 * 1024 * 1024
    max_ratio: int = 200
    max_pdf_pages: int = 60
    pdf_seconds: float = 20.0
    convert_seconds: float = 60.0


LIMITS = Limits()
_CHUNK = 256 * 1024
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_FORBIDDEN = (b"<!DOCTYPE", b"<!ENTITY", "<!DOCTYPE".encode("utf-16-le"),
              "<!ENTITY".encode("utf-16-le"), "<!DOCTYPE".encode("utf-16-be"))


def check_size(data: bytes, limits: Limits = LIMITS) -> None:
    """Refuse empty files and files over the size cap before reading them."""
    if not data:
        raise ParseError("the attachment is empty (0 bytes)", "empty")
    if len(data) > limits.max_file_bytes:
        raise ParseError(too_large("the attachment", len(data), limits.max_file_bytes), "too_large")


def _inflate_capped(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
    """Inflate one member, stopping as soon as it passes ``cap`` bytes."""
    out = io.BytesIO()
    with zf.open(info) as stream:
        while chunk := stream.read(_CHUNK):
            if out.tell() + len(chunk) > cap:
                raise ParseError("the attachment inflates beyond the size limit "
                                 "(a zip bomb); it was not unpacked", "zip_bomb")
            out.write(chunk)
    return out.getvalue()


def refuse_entities(blob: bytes) -> None:
    """Refuse an XML part that declares a DOCTYPE or entities (UTF-8 or UTF-16)."""
    # Every marker holds the byte "!", which most parts lack: one memchr settles those.
    if b"!" in blob and any(marker in blob for marker in _FORBIDDEN):
        raise ParseError("the attachment contains an XML entity declaration "
                         "(DOCTYPE), which a real Office file never has; "
                         "it was not read", "xml_entities")


def check_office_zip(data: bytes, what: str = ".docx", limits: Limits = LIMITS) -> zipfile.ZipFile:
    """Open an Office zip only after every member passes the caps (see ``open_office_zip``)."""
    return open_office_zip(data, what, limits)[0]


def open_office_zip(data: bytes, what: str = ".docx",
                    limits: Limits = LIMITS) -> tuple[zipfile.ZipFile, dict[str, bytes]]:
    """Open an Office zip only after every member passes the caps.

    Returns the open ``ZipFile`` and its XML parts (``.xml``, ``.rels``,
    ``.vml``) by member name, as ``ZipFile.read`` would give them (for a
    name stored twice, the last): each was inflated (capped) and scanned
    for DOCTYPE/ENTITY. Other parts are bounded by their declared sizes,
    which ``zipfile`` enforces when it reads them.
    """
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as err:
        raise ParseError(f"the attachment is damaged (not a complete {what} file)",
                         "damaged") from err
    if len(infos) > limits.max_members:
        raise ParseError(f"the attachment has too many parts ({len(infos)})", "zip_bomb")
    declared = 0
    for info in infos:
        declared += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if (info.file_size > limits.max_member_bytes or declared > limits.max_total_bytes
                or (ratio > limits.max_ratio and info.file_size > 1024 * 1024)):
            raise ParseError("the attachment inflates beyond the size limit "
                             "(a zip bomb); it was not unpacked", "zip_bomb")
    inflated = 0
    xml: dict[str, bytes] = {}
    try:
        for info in infos:
            if not info.filename.lower().endswith(_XML_SUFFIXES):
                continue
            blob = _inflate_capped(zf, info, min(limits.max_member_bytes,
                                                 limits.max_total_bytes - inflated))
            inflated += len(blob)
            refuse_entities(blob)
            xml[info.filename] = blob
    # ValueError: a lying local header seeks before the start; RuntimeError: an encrypted member.
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, ValueError,
            RuntimeError) as err:
        raise ParseError(f"the attachment is damaged (not a complete {what} file)",
                         "damaged") from err
    return zf, xml
