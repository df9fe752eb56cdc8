"""Where a crash-harness run happens: the board mailbox, the SMTP server, the database."""

from __future__ import annotations

import imaplib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

BOARD = "west-sussex"


class Smtp(Protocol):
    host: str
    port: int

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def received(self) -> list: ...  # ReceivedMail: rcpt_tos, raw


class DatabaseServer(Protocol):
    def start(self) -> None: ...
    def stop(self, mode: str = "fast") -> None: ...


@dataclass(frozen=True)
class Imap:
    host: str
    port: int
    user: str
    password: str

    def connect(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4(self.host, self.port, timeout=30)
        conn.login(self.user, self.password)
        return conn


@dataclass
class Target:
    """Where a run happens: the mailbox, the SMTP server, the database."""

    imap: Imap
    smtp: Smtp
    database_url: str
    workdir: Path
    database: DatabaseServer | None = None  # needed for "database" faults
