"""Deciding what a file really is from its bytes, not its name.

Used by the parsers and by mail intake: a ``.docx`` that is really a PDF,
an encrypted Office file (an OLE container whatever its extension), an
Outlook ``.msg`` or a ``winmail.dat`` all need different handling.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePath

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_TNEF = b"\x78\x9f\x3e\x22"

#: Which sniffed types each file-name extension may legitimately hold.
EXTENSION_TYPES: dict[str, frozenset[str]] = {
    ".docx": frozenset({"docx", "encrypted-office"}),
    ".docm": frozenset({"docx", "encrypted-office"}),
    ".doc": frozenset({"doc", "encrypted-office"}),
    ".pdf": frozenset({"pdf"}),
    ".msg": frozenset({"msg"}),
    ".dat": frozenset({"tnef", "unknown"}),
    ".xlsx": frozenset({"xlsx", "encrypted-office"}),
    ".rtf": frozenset({"rtf"}),
}


def _ole_kind(data: bytes) -> str:
    """Tell OLE containers apart by the stream names in their directory."""
    def has(name: str) -> bool:
        return name.encode("utf-16-le") in data

    if has("EncryptionInfo") and has("EncryptedPackage"):
        return "encrypted-office"
    if has("__substg1.0_"):
        return "msg"
    if has("WordDocument"):
        return "doc"
    if has("Workbook") or has("Book"):
        return "xls"
    return "ole"


def _zip_kind(data: bytes) -> str:
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        head = data[:65536]
        if b"word/" in head:
            return "docx"
        return "zip"
    if "word/document.xml" in names:
        return "docx"
    if any(n.startswith("xl/") for n in names):
        return "xlsx"
    if any(n.startswith("ppt/") for n in names):
        return "pptx"
    return "zip"


def sniff_type(data: bytes, filename: str = "") -> str:
    """The file's real type by content.

    One of ``empty``, ``pdf``, ``docx``, ``xlsx``, ``pptx``, ``zip``, ``doc``,
    ``xls``, ``encrypted-office``, ``msg``, ``ole``, ``tnef``, ``rtf``,
    ``unknown``.  ``filename`` is accepted for symmetry with callers but never
    overrides the content.
    """
    if not data:
        return "empty"
    if data.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    if data.startswith(_OLE):
        return _ole_kind(data)
    if data.startswith(_TNEF):
        return "tnef"
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if data.lstrip()[:5].lower() == b"{\\rtf":
        return "rtf"
    return "unknown"


def name_allows(filename: str, kind: str) -> bool:
    """False when the name promises a type the content is not."""
    allowed = EXTENSION_TYPES.get(PurePath(filename).suffix.lower())
    return allowed is None or kind in allowed
