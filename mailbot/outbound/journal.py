"""On SQLite, a note of each email the server took, written the moment it took it.

SQLite lets one writer in at a time. While the board's loop commits a
message's work, the sending thread's "sent" mark for the email the server
has just accepted waits for that commit, and a crash during the wait would
leave the row ``sending``, to be sent again (same Message-ID) at the next
start. So right after the server's "250" the row's id goes into a small
database of its own beside the main one (``<database>-sent``: ids, board and
times only, never content), which only the sending thread writes, so the
note never waits. ``recover_interrupted`` marks a noted row ``sent`` instead
of sending it again. On PostgreSQL the mark waits for no other writer but
is still a round trip and a synchronous commit, so a daemon with a data
folder (``register``, done by ``build_runtime``) keeps the journal there
(``outbox-sent.db``); it is local, so it outlives a database restart.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import sqlite3
import threading
from pathlib import Path

from sqlalchemy.engine import make_url

log = logging.getLogger("mailbot.outbound")


class SentJournal:
    """Outbox rows the server accepted whose ``sent`` mark may not be committed yet."""

    def __init__(self, path: str) -> None:
        if not os.path.exists(path):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        self._conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("CREATE TABLE IF NOT EXISTS taken (id INTEGER PRIMARY KEY, board TEXT NOT NULL, "
                           "at TEXT NOT NULL, digest TEXT NOT NULL)")
        self._lock = threading.Lock()

    def note(self, board: str, row_id: int, raw: bytes, at: dt.datetime) -> None:
        with self._lock:
            self._conn.execute("INSERT OR REPLACE INTO taken VALUES (?, ?, ?, ?)",
                               (row_id, board, at.isoformat(), digest(raw)))

    def taken(self, board: str) -> dict[int, tuple[dt.datetime, str]]:
        """Row id -> (when the server took it, the digest of the bytes it took)."""
        with self._lock:
            rows = self._conn.execute("SELECT id, at, digest FROM taken WHERE board = ?", (board,)).fetchall()
        return {row_id: (dt.datetime.fromisoformat(at), dig) for row_id, at, dig in rows}

    def forget(self, ids: list[int]) -> None:
        if not ids:
            return
        with self._lock:
            self._conn.executemany("DELETE FROM taken WHERE id = ?", [(i,) for i in ids])


_JOURNALS: dict[str, SentJournal | None] = {}
_FOLDERS: dict[str, Path] = {}
_LOCK = threading.Lock()


def register(database_url: str, data_dir: Path) -> None:
    """Where a database without a file of its own (PostgreSQL) keeps its journal."""
    with _LOCK:
        _FOLDERS.setdefault(database_url, data_dir)


def journal_for(database_url: str) -> SentJournal | None:
    """The journal beside a SQLite database file, or in the registered data folder; else ``None``."""
    with _LOCK:
        if database_url not in _JOURNALS:
            _JOURNALS[database_url] = _open(database_url)
        return _JOURNALS[database_url]


def _open(database_url: str) -> SentJournal | None:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        path = url.database
        if not path or path == ":memory:" or path.startswith("file:"):
            return None
        where = f"{path}-sent"
    elif database_url in _FOLDERS:
        where = str(_FOLDERS[database_url] / "outbox-sent.db")
    else:
        return None
    try:
        return SentJournal(where)
    except (OSError, sqlite3.Error) as err:
        log.warning("outbox: no sent journal (%s); a crash may resend an email", type(err).__name__)
        return None


def digest(raw: bytes) -> str:
    """Names the email itself, so a note can never confirm another row that got its id."""
    return hashlib.sha256(raw).hexdigest()


def note_taken(journal: SentJournal | None, board: str, row_id: int, raw: bytes, at: dt.datetime) -> bool:
    """Note a row the server took; False if there is no journal or the note failed (mark it at once)."""
    if journal is None:
        return False
    try:
        journal.note(board, row_id, raw, at)
    except sqlite3.Error as err:
        log.warning("outbox %s: could not note it as taken (%s)", row_id, type(err).__name__)
        return False
    return True
