"""The one entry point: bytes in, a contract record (or a clear refusal) out.

The file is read first (``parsers.source``: size, real type, decryption,
the reader behind its caps), and only then any mapping: recognising the
form, reading it, and a record that always validates.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Sequence

from mailbot.errors import ParseError
from mailbot.records import RECORD_TYPES
from parsers.document import Slot, flatten
from parsers.engine import Engine, ExplainItem
from parsers.mapping import FormMapping
from parsers.printed import printed_for
from parsers.recognise import recognise
from parsers.seams import mend
from parsers.source import read_document
from parsers.tolerant import validate_record

log = logging.getLogger("mailbot.parsers")


@dataclass
class ParseResult:
    record: object
    form_id: str
    explain: list[ExplainItem] = field(default_factory=list)
    source_type: str = ""
    #: Required fields not found or read by a weak rule (names only), for a person to check.
    doubted: list[str] = field(default_factory=list)


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
    printed = printed_for(mapping.blank_form, mapping.source)
    if mend(doc, mapping, printed):  # a PDF's page breaks, settled by what the form prints
        slots = flatten(doc)
    engine = Engine(slots, mapping, doc.form_fields, printed)
    data_out = engine.run()
    data_out.update(board=board, form=mapping.id, warnings=engine.warnings)
    if isinstance(data_out.get("decision"), dict):
        data_out["decision"]["board"] = board
    record = validate_record(RECORD_TYPES[mapping.form_type], data_out, engine.warnings)
    log.info("parsed %s as %s (%d warnings)", kind, mapping.id, len(engine.warnings))
    return ParseResult(record, mapping.id, engine.explain if explain else [], kind,
                       list(engine.doubted))
