"""The mailbox interface every backend (Maildir, IMAP, Exchange) provides.

The daemon never talks to a mail server directly: it asks a ``Mailbox`` for
messages not yet handled, handles each one, records it in the database
ledger, then asks the mailbox to move it out of the inbox. The database is
the ledger; folders are a courtesy that keeps the inbox short. If the move
is lost (crash between commit and move) the message is offered again and the
ledger recognises it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Iterator, Protocol, runtime_checkable


class Folder(str, Enum):
    """Where a handled message goes."""

    PROCESSED = "processed"
    NEEDS_ATTENTION = "needs-attention"


@dataclass(frozen=True)
class MailRef:
    """Where one message sits in one mailbox.

    ``uid`` is the backend's own id (Maildir key, IMAP UID, EWS item id);
    ``uidvalidity`` is IMAP's, else ``None``.
    """

    mailbox: str
    folder: str
    uid: str
    uidvalidity: str | None = None


@dataclass(frozen=True)
class IncomingMessage:
    ref: MailRef
    raw: bytes


@runtime_checkable
class Mailbox(Protocol):
    """A board's incoming mailbox."""

    name: str

    def fetch_new(self, limit: int | None = None) -> Iterator[IncomingMessage]:
        """Messages waiting in the inbox, oldest first, without marking them read."""

    def move(self, ref: MailRef, folder: Folder) -> None:
        """Move a handled message out of the inbox (idempotent)."""

    def wait(self, timeout: float) -> bool:
        """Block until new mail may have arrived or ``timeout`` seconds pass.

        Returns True when the server announced something. Backends without
        push (Maildir, polling IMAP) sleep and return False.
        """

    def close(self) -> None:
        """Release connections."""
