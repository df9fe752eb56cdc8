"""Which instance works which board: a lease row per board, with heartbeat and fencing token.

Several ``mailbot run`` on one PostgreSQL share the boards through the
``board_leases`` table, and nothing else: no second coordinator to run.
Why a row rather than advisory locks: a row is seen by every connection
(``mailbot status`` shows holder and heartbeat), survives a connection
pooler, and carries a fencing token that the outbox's claims, marks and
releases match on; an advisory lock lives and dies with one session, which
would have to stay open beside the pool and be watched on its own.

- ``acquire`` takes a board nobody holds, or whose holder let it expire
  (``ttl`` seconds, by the database's clock, after its last heartbeat), by
  compare-and-set on (holder, token): two instances never both win, and
  the winner's ``token`` is one more than any before. A holder on this
  host whose process is gone (a restart after SIGKILL) is taken at once.
- ``renew`` (every ``ttl / 6`` seconds) moves the expiry on; a board whose
  row no longer names this instance and token is lost.
- A holder trusts its lease only for half the ``ttl`` after the start of its
  last successful renewal (``Hold.valid``): it starts no email after that,
  while another instance can take the board only after the whole ``ttl``,
  so an email in flight has the other half to finish.
- ``release`` on a clean stop makes the board free at once.

On SQLite there is one instance: ``single_instance`` holds a lock on a file
beside the database for the life of the process, a second start is refused
with one line, and the one instance takes every lease at once (force).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import func, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from mailbot.errors import MailbotError
from mailbot.store.db import Store
from mailbot.store.models import BoardLease

#: ``MAILBOT_LEASE_SECONDS``: how long a board stays with an instance that stopped renewing.
LEASE_ENV = "MAILBOT_LEASE_SECONDS"
DEFAULT_TTL = 30.0
#: Share of the ``ttl`` a holder trusts its lease for after a renewal (see the module's docstring).
TRUST = 0.5


def lease_seconds() -> float:
    return float(os.environ.get(LEASE_ENV) or DEFAULT_TTL)


#: ``MAILBOT_INSTANCE_HOST``: the machine's name in lease rows and ``mailbot status`` (default the hostname).
HOST_ENV = "MAILBOT_INSTANCE_HOST"


def instance_name() -> str:
    """``host:pid:pidns.nonce``: the machine and process an operator can find; the nonce is new per start.

    The pid namespace is part of it so that two containers sharing a host
    name (``network_mode: host``) never judge each other's pids.
    """
    host = (os.environ.get(HOST_ENV) or socket.gethostname())[:100].replace(":", "-")
    return f"{host}:{os.getpid()}:{_pid_namespace()}.{secrets.token_hex(3)}"


def _pid_namespace() -> str:
    try:
        return str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        return "0"


def describe(holder: str | None) -> str:
    """``host pid N`` for people (status, logs); the nonce is for the database."""
    if not holder:
        return "nobody"
    host, _, rest = holder.rpartition(":")[0].rpartition(":")
    return f"{host} pid {rest}" if host else holder


@dataclass
class Hold:
    """This instance's lease on one board: what its claims carry, and whether to trust it still."""

    board: str
    claimant: str
    token: int
    renewed_at: float  # monotonic time the last successful renewal started
    ttl: float
    lost: threading.Event = field(default_factory=threading.Event)
    #: A clean stop is under way: start nothing new (the email in flight still gets its mark).
    stopping: threading.Event = field(default_factory=threading.Event)

    def valid(self) -> bool:
        """Held, not stopping, and renewed recently enough that no other instance can have it yet."""
        return (not self.lost.is_set() and not self.stopping.is_set()
                and time.monotonic() < self.renewed_at + self.ttl * TRUST)


#: What a board's runtime carries while this instance coordinates boards but does not hold it.
NOT_HELD = Hold(board="", claimant="", token=-1, renewed_at=float("-inf"), ttl=0.0)
NOT_HELD.lost.set()


class LeaseLost(MailbotError):
    """The board's lease is no longer this instance's: the transaction it guarded was rolled back."""


def fence(hold: Hold) -> Callable[[Session], None]:
    """A ``Store.fenced`` check: the lease row still names ``hold`` and has not expired.

    On PostgreSQL the row is read ``FOR SHARE``: an instance taking the
    board over (an UPDATE of that row) waits until this transaction has
    committed, so no work guarded by a lost lease ever lands after the
    takeover, however long this process was paused.
    """
    def check(s: Session) -> None:
        query = select(BoardLease.expires_at).where(
            BoardLease.board == hold.board, BoardLease.holder == hold.claimant, BoardLease.token == hold.token)
        if s.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(read=True)
        expires_at = s.scalar(query)
        if expires_at is None or expires_at <= _db_now(s):
            hold.lost.set()
            raise LeaseLost(f"{hold.board}: the lease (token {hold.token}) is no longer this instance's")
    return check


def _db_now(s: Session) -> dt.datetime:
    """The database's clock (naive UTC), so instances on machines whose clocks differ agree."""
    if s.get_bind().dialect.name == "postgresql":
        return s.scalar(select(func.timezone("UTC", func.clock_timestamp())))
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _process_gone(holder: str, me: str) -> bool:
    """A holder on this host and pid namespace whose process has ended (or is this pid, from an earlier start)."""
    host, pid, nonce = (holder.split(":") + ["", ""])[:3]
    my_host, my_pid, my_nonce = me.split(":")
    if host != my_host or not pid.isdigit() or nonce.partition(".")[0] != my_nonce.partition(".")[0]:
        return False
    if pid == my_pid:
        return nonce != my_nonce
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


class Leases:
    """This instance's leases on one database."""

    def __init__(self, store: Store, ttl: float | None = None, name: str | None = None,
                 force: bool = False) -> None:
        self.store = store
        self.ttl = ttl if ttl is not None else lease_seconds()
        self.name = name or instance_name()
        self.force = force  # take every board, held or not (the one SQLite instance)
        self.held: dict[str, Hold] = {}
        self._lock = threading.Lock()

    def acquire(self, boards: list[str]) -> list[Hold]:
        """Take what is free among ``boards``; returns the new holds."""
        wanted = [b for b in boards if b not in self.held]
        if not wanted:
            return []
        started = time.monotonic()
        won: list[Hold] = []
        with self.store.transaction() as s:
            now = _db_now(s)
            table = BoardLease.__table__
            rows = s.execute(select(table).where(table.c.board.in_(wanted))).all()
            missing = set(wanted) - {row.board for row in rows}
            if missing:  # a board no instance has run yet gets its row (another instance may be adding it too)
                s.execute(_insert_once(s, table), [{"board": b, "holder": None, "token": 0} for b in sorted(missing)])
                rows = s.execute(select(table).where(table.c.board.in_(wanted))).all()
            for row in rows:
                board = row.board
                free = (row.holder is None or row.expires_at is None or row.expires_at <= now
                        or self.force or _process_gone(row.holder, self.name))
                if not free:
                    continue
                old_holder, old_token = row.holder, row.token
                token = old_token + 1
                changed = s.execute(
                    update(BoardLease).where(
                        BoardLease.board == board, BoardLease.token == old_token,
                        BoardLease.holder.is_(None) if old_holder is None else BoardLease.holder == old_holder)
                    .values(holder=self.name, token=token, acquired_at=now, heartbeat_at=now,
                            expires_at=now + dt.timedelta(seconds=self.ttl), alerted_at=None)
                    .execution_options(synchronize_session=False)).rowcount
                if changed:
                    won.append(Hold(board, self.name, token, started, self.ttl))
        with self._lock:
            for hold in won:
                self.held[hold.board] = hold
        return won

    def renew(self) -> list[Hold]:
        """Move every held lease's expiry on; returns the holds lost (marked ``lost``)."""
        with self._lock:
            holds = list(self.held.values())
        if not holds:
            return []
        started = time.monotonic()
        with self.store.transaction() as s:
            now = _db_now(s)
            s.execute(update(BoardLease)
                      .where(BoardLease.holder == self.name, BoardLease.board.in_([h.board for h in holds]))
                      .values(heartbeat_at=now, expires_at=now + dt.timedelta(seconds=self.ttl))
                      .execution_options(synchronize_session=False))
            mine = dict(s.execute(select(BoardLease.board, BoardLease.token)
                                  .where(BoardLease.holder == self.name)).all())
        lost = []
        for hold in holds:
            if mine.get(hold.board) == hold.token:
                hold.renewed_at = started
            else:
                lost.append(hold)
        for hold in lost:
            self._forget(hold)
        return lost

    def release(self, hold: Hold) -> None:
        """Give the board up now (a clean stop): any instance may take it at its next round."""
        self._forget(hold)
        with self.store.transaction() as s:
            now = _db_now(s)
            s.execute(update(BoardLease)
                      .where(BoardLease.board == hold.board, BoardLease.holder == self.name,
                             BoardLease.token == hold.token)
                      .values(holder=None, expires_at=now)
                      .execution_options(synchronize_session=False))

    def _forget(self, hold: Hold) -> None:
        hold.lost.set()
        with self._lock:
            if self.held.get(hold.board) is hold:
                del self.held[hold.board]


def _insert_once(s: Session, table):  # noqa: ANN001, ANN202
    """INSERT that leaves rows already there alone (another instance made them first)."""
    if s.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table).on_conflict_do_nothing()


def unheld_since(store: Store, older_than: float) -> list[tuple[str, dt.datetime, str | None]]:
    """Boards nobody has held for more than ``older_than`` seconds and nobody was told of yet."""
    with store.transaction() as s:
        now = _db_now(s)
        rows = s.execute(select(BoardLease.board, BoardLease.holder, BoardLease.expires_at)
                         .where(BoardLease.alerted_at.is_(None), BoardLease.expires_at.is_not(None),
                                BoardLease.expires_at < now - dt.timedelta(seconds=older_than))).all()
    return [(row.board, row.expires_at, row.holder) for row in rows]


def mark_alerted(s: Session, board: str, since: dt.datetime) -> bool:
    """Note the alert for this stretch unheld; False if another instance noted it first (or it is held again)."""
    return bool(s.execute(update(BoardLease).where(BoardLease.board == board, BoardLease.alerted_at.is_(None),
                                                   BoardLease.expires_at == since)
                          .values(alerted_at=_db_now(s)).execution_options(synchronize_session=False)).rowcount)


def holders(store: Store) -> dict[str, BoardLease]:
    """Every board's lease row (``mailbot status``)."""
    with store.session() as s:
        return {row.board: row for row in s.scalars(select(BoardLease))}


def database_now(store: Store) -> dt.datetime:
    with store.session() as s:
        return _db_now(s)


_FILE_LOCKS: dict[str, int] = {}


def single_instance(store: Store) -> bool:
    """On SQLite: lock the database for this process, or refuse; True when this is the one instance.

    A second instance would take every board from the first (``force``), so
    it must not start. The lock is an ``flock`` on ``<database>-instance``:
    the kernel drops it when the process ends, however it ends. Returns
    False on any other database (leases decide there).
    """
    url = make_url(store.url)
    if url.get_backend_name() != "sqlite":
        return False
    path = url.database
    if not path or path == ":memory:" or path.startswith("file:"):
        return True
    lock_path = f"{path}-instance"
    if lock_path in _FILE_LOCKS:
        return True
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise MailbotError("another mailbot instance is running on this SQLite database; "
                           "more than one needs PostgreSQL (MAILBOT_DATABASE_URL)") from None
    _FILE_LOCKS[lock_path] = fd
    return True


def release_single_instance(store: Store) -> None:
    url = make_url(store.url)
    fd = _FILE_LOCKS.pop(f"{url.database}-instance", None)
    if fd is not None:
        os.close(fd)
