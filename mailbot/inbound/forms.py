"""Reading a message's attachments as forms: bytes and the board's mappings in, records out.

Pure: no database, no files, nothing sent. That is what lets the daemon
read the next message in a worker process (``parse_ahead``) while its board
thread handles this one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from mailbot.errors import ParseError
from mailbot.inbound.classify import FormOutcome
from mailbot.inbound.message import MailMessage

from mailbot.secrets import SecretRef

if TYPE_CHECKING:
    from mailbot.config import Board


class FormSource(Protocol):
    """What reading forms needs of a board (a ``Board``, or a ``FormReading``)."""

    @property
    def slug(self) -> str: ...

    @property
    def form_mappings(self) -> list[Any]: ...

    def form_passwords(self) -> list[str]: ...


@dataclass(frozen=True)
class FormReading:
    """Just what reading forms needs of a board: small, and picklable without the
    board's calendar, directory or templates (what the read-ahead worker is given)."""

    slug: str
    form_mappings: list[Any]
    password_refs: tuple[SecretRef, ...] = ()

    @classmethod
    def of(cls, board: Board) -> FormReading:
        return cls(board.slug, list(board.form_mappings), tuple(board.config.form_passwords))

    def form_passwords(self) -> list[str]:
        """Resolved when asked, as ``Board.form_passwords`` does."""
        return SecretRef.resolve_present(self.password_refs)


#: Document types forms come in; anything else attached (logos, calendar
#: invitations) is ignored rather than refused.
FORM_TYPES = {"docx", "pdf", "doc", "encrypted-office", "zip", "empty", "unknown-office"}


def read_forms(board: FormSource, msg: MailMessage, case_passwords: list[str]) -> list[FormOutcome]:
    """Parse every attachment that could be a form; never raises.

    A message that broke a limit (too many attachments, nested too deep) is
    not half-read: nothing in it is acted on, its one reason is the outcome.
    A file named as a form (``.docx``, ``.doc``, ``.pdf``) whose content is
    no document at all is damaged, not an ignorable logo.
    """
    from parsers import parse_document, sniff_type

    limit = next((a for a in msg.attachments if a.limit), None)
    if limit is not None:
        return [FormOutcome(limit.filename, error=limit.problem, error_kind="limit")]
    out: list[FormOutcome] = []
    for att in msg.attachments:
        sha = hashlib.sha256(att.data).hexdigest()
        if att.problem:
            out.append(FormOutcome(att.filename, error=att.problem, error_kind="damaged", sha256=sha))
            continue
        kind = sniff_type(att.data, att.filename)
        if kind not in FORM_TYPES and att.data:
            suffix = att.filename.lower().rsplit(".", 1)[-1] if "." in att.filename else ""
            if kind == "unknown" and suffix in _EXTENSIONS:
                why = (f"an attachment named as a .{suffix} file is not a readable document "
                       "(it may be damaged)")
                out.append(FormOutcome(att.filename, error=why, error_kind="damaged", sha256=sha,
                                       sniffed=kind))
                continue
            out.append(FormOutcome(att.filename, ignored=True, sha256=sha, sniffed=kind))
            continue
        try:
            result = parse_document(att.data, _named_by_content(att.filename, kind), board=board.slug,
                                    mappings=board.form_mappings,
                                    passwords=[*board.form_passwords(), *case_passwords])
        except ParseError as err:
            out.append(FormOutcome(att.filename, error=str(err), error_kind=err.kind, sha256=sha,
                                   data=att.data, sniffed=kind))
            continue
        out.append(FormOutcome(att.filename, record=result.record, sha256=sha, data=att.data,
                               sniffed=kind, doubted=result.doubted))
    return out


_EXTENSIONS = {"docx": ".docx", "pdf": ".pdf", "doc": ".doc"}


def _named_by_content(filename: str, kind: str) -> str:
    """Mail clients mislabel attachments: in mail, the content decides the type.

    ``mailbot parse`` (an admin's own file) still refuses a name that lies;
    here a real .docx sent as ``form.pdf`` is read as the .docx it is.
    """
    from parsers.sniff import name_allows

    if kind in _EXTENSIONS and not name_allows(filename, kind):
        return filename.rsplit(".", 1)[0] + _EXTENSIONS[kind]
    return filename
