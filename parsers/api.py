"""The one entry point: bytes in, a contract record (or a clear refusal) out.

Order matters for safety: size first, then the real type by content (a
file that is not what its name says is refused), then decryption, then the
reader for that type behind its caps, and only then any mapping.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Sequence

from mailbot.errors import ParseError
from mailbot.records import RECORD_TYPES
from parsers.document import Document, Slot, flatten
from parsers.engine import Engine, ExplainItem
from parsers.mapping import FormMapping
from parsers.printed import printed_for
from parsers.recognise import recognise
from parsers.safety import LIMITS, Limits, check_size
from parsers.tolerant import validate_record
from parsers.sniff import name_allows, sniff_type

log = logging.getLogger("mailbot.parsers")

_NAMES = {"pdf": "a PDF", "docx": "a Word .docx file", "doc": "a Word 97-2003 .doc file",
          "msg": "an Outlook message", "tnef": "a winmail.dat (TNEF) file",
          "xlsx": "an Excel workbook", "encrypted-office": "an encrypted Office file",
          "zip": "a zip archive", "rtf": "an RTF file", "unknown": "an unknown kind of file"}


@dataclass
class ParseResult:
    record: object
    form_id: str
    explain: list[ExplainItem] = field(default_factory=list)
    source_type: str = ""
    #: Required fields not found or read by a weak rule (names only), for a person to check.
    doubted: list[str] = field(default_factory=list)


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


def parse_document(data: bytes, filename: str, *, board: str,
                   mappings: Sequence[FormMapping], passwords: Sequence[str] = (),
                   explain: bool = False) -> ParseResult:
    """Read an attachment as one of the board's forms.

    Raises ``ParseError`` (one line, no personal data) for anything that
    cannot be read, including ``not_a_form`` when no mapping recognises it.
    """
    doc, kind = read_document(data, filename, passwords)
    slots: list[Slot] = flatten(doc)
    mapping = recognise(slots, mappings)
    if mapping is None:
        raise ParseError("attachment is not a recognised form", "not_a_form")
    engine = Engine(slots, mapping, doc.form_fields,
                    printed_for(mapping.blank_form, mapping.source))
    data_out = engine.run()
    data_out.update(board=board, form=mapping.id, warnings=engine.warnings)
    if isinstance(data_out.get("decision"), dict):
        data_out["decision"]["board"] = board
    record = validate_record(RECORD_TYPES[mapping.form_type], data_out, engine.warnings)
    log.info("parsed %s as %s (%d warnings)", kind, mapping.id, len(engine.warnings))
    return ParseResult(record, mapping.id, engine.explain if explain else [], kind,
                       list(engine.doubted))
