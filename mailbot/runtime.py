"""Everything one board's work needs, built once from config and settings.

A :class:`BoardRuntime` bundles the board, its directory, the store, the
mailbox and the sender, the template composer and the clock. The daemon,
the demo and the tests all build one the same way (``build_runtime``), so
there is one path from configuration to a working board.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol

from mailbot.config import (
    Board, ExchangeMailbox, GraphMailbox, GraphSending, ImapMailbox, MaildirMailbox, MaildirSending, SmtpSending,
)
from mailbot.directory import Directory
from mailbot.mailbox.base import Mailbox, MailRef
from mailbot.outbound.base import Sender
from mailbot.outbound.compose import Composer
from mailbot.store.db import Store


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


class SystemClock:
    """The real time, timezone-aware UTC."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc)


@dataclass
class FixedClock:
    """A clock tests and the demo move by hand."""

    current: dt.datetime

    def now(self) -> dt.datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current = self.current + dt.timedelta(**delta)

    def set(self, when: dt.datetime) -> None:
        self.current = when


@dataclass
class BoardRuntime:
    board: Board
    store: Store
    mailbox: Mailbox
    sender: Sender
    clock: Clock
    data_dir: Path
    directory: Directory = field(init=False)
    composer: Composer = field(init=False)
    #: The last message handled in this run (IMAP resumes after it).
    checkpoint: MailRef | None = field(default=None, init=False)
    #: The thread sending this board's outbox while the daemon runs it (``mailbot.outbound.deliverer``).
    deliverer: Any = field(default=None, init=False)
    #: The worker process reading the next message while the daemon runs it (``mailbot.inbound.parse_ahead``).
    parse_ahead: Any = field(default=None, init=False)
    #: This instance's lease on the board while the daemon runs (``mailbot.store.leases.Hold``):
    #: ``None`` outside the daemon (the demo, tests, one-off commands), which keep no leases.
    lease: Any = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.directory = Directory(self.board.config)
        self.composer = Composer(self.board)

    @property
    def slug(self) -> str:
        return self.board.slug

    def now(self) -> dt.datetime:
        return self.clock.now()

    def today(self) -> dt.date:
        return self.board.calendar.today(self.now())

    @property
    def attachments_dir(self) -> Path:
        path = self.data_dir / "attachments" / self.slug
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(path, 0o700)
        return path

    def close(self) -> None:
        if self.parse_ahead is not None:
            self.parse_ahead.stop()
            self.parse_ahead = None
        for part in (self.mailbox, self.sender):
            try:
                part.close()
            except Exception:  # closing a broken connection must not stop shutdown
                pass


def _maildir_path(board: Board, data_dir: Path, configured: str | None, leaf: str) -> Path:
    path = board.resolve_path(configured) if configured else data_dir / "mail" / board.slug / leaf
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def make_mailbox(board: Board, data_dir: Path) -> Mailbox:
    """The board's mailbox backend from its config."""
    settings = board.config.mailbox
    if isinstance(settings, MaildirMailbox):
        from mailbot.mailbox.maildir import MaildirMailbox as Impl

        return Impl(_maildir_path(board, data_dir, settings.path, "inbox"))
    if isinstance(settings, ImapMailbox):
        from mailbot.transports import imap_from_config

        return imap_from_config(board, settings, data_dir)
    if isinstance(settings, ExchangeMailbox):
        from mailbot.transports import exchange_from_config

        return exchange_from_config(board, settings)
    if isinstance(settings, GraphMailbox):
        from mailbot.transports import graph_mailbox_from_config

        return graph_mailbox_from_config(board, settings, data_dir)
    raise TypeError(type(settings).__name__)


def make_sender(board: Board, data_dir: Path) -> Sender:
    settings = board.config.sending
    if isinstance(settings, MaildirSending):
        from mailbot.outbound.maildir_outbox import MaildirOutbox

        return MaildirOutbox(_maildir_path(board, data_dir, settings.path, "outbox"))
    if isinstance(settings, SmtpSending):
        from mailbot.transports import smtp_from_config

        return smtp_from_config(board, settings, data_dir)
    if isinstance(settings, GraphSending) and isinstance(board.config.mailbox, GraphMailbox):
        from mailbot.transports import graph_sender_from_config

        return graph_sender_from_config(board, board.config.mailbox, data_dir)
    raise TypeError(type(settings).__name__)


def build_runtime(
    board: Board,
    store: Store,
    data_dir: Path,
    clock: Clock | None = None,
    mailbox: Mailbox | None = None,
    sender: Sender | None = None,
) -> BoardRuntime:
    from mailbot.outbound import journal

    journal.register(store.url, data_dir)
    return BoardRuntime(
        board=board,
        store=store,
        mailbox=mailbox or make_mailbox(board, data_dir),
        sender=sender or make_sender(board, data_dir),
        clock=clock or SystemClock(),
        data_dir=data_dir,
    )


Factory = Callable[[Board], BoardRuntime]
