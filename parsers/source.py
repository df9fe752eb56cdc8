"""Any supported file into the document model: the checks first, then the reader.

Order matters for safety: size first, then the real type by content (a
file that is not what its name says is refused), then decryption, then the
reader for that type behind its caps.  The blank form a mapping names is
read the same way as an agency's filled copy.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Sequence

from mailbot.errors import ParseError
from parsers.document import Document
from parsers.safety import LIMITS, Limits, check_size
from parsers.sniff import name_allows, sniff_type

_NAMES = {"pdf": "a PDF", "docx": "a Word .docx file", "doc": "a Word 97-2003 .doc file",
          "msg": "an Outlook message", "tnef": "a winmail.dat (TNEF) file",
          "xlsx": "an Excel workbook", "encrypted-office": "an encrypted Office file",
          "zip": "a zip archive", "rtf": "an RTF file", "unknown": "an unknown kind of file"}


def read_document(data: bytes, filename: str, passwords: Sequence[str] = (),
                  limits: Limits = LIMITS) -> tuple[Document, str]:
    """The document model of any supported file, and the type it really was."""
    check_size(data, limits)
    kind = sniff_type(data, filename)
    if not name_allows(filename, kind):
        suffix = PurePath(filename).suffix.lower()
        raise ParseError(f"the attachment is named {suffix} but is really "
                         f"{_NAMES.get(kind, kind)}; it was not read", "wrong_type")
    if kind == "encrypted-office":
        from parsers.decrypt import decrypt_office
        data = decrypt_office(data, passwords)
        kind = sniff_type(data, filename)
    if kind == "docx":
        from parsers.docx_reader import read_docx
        return read_docx(data, limits), kind
    if kind == "pdf":
        from parsers.pdf_reader import read_pdf
        return read_pdf(data, limits), kind
    if kind == "doc":
        from parsers.doc_convert import convert_doc
        from parsers.docx_reader import read_docx
        return read_docx(convert_doc(data, limits), limits), kind
    raise ParseError(f"the attachment is {_NAMES.get(kind, kind)}, not a form this bot can "
                     "read; please send .docx or PDF", "unsupported_type")
