"""The durable outbox: emails are rows first, sent after commit.

``queue`` writes a finished email into the ``outbox`` table inside the
caller's transaction, so the email exists if and only if the change that
caused it was committed. The row keeps the email's bytes exactly as they go
on the wire (CRLF, no Bcc), so sending never parses or rebuilds it.

``deliver_pending`` sends what is pending:

- one commit claims a batch (``pending`` → ``sending``), in id order;
- each email is handed to the server and, the moment the server takes
  it, noted in the sent journal (``journal``: a small database of its own,
  so the note never waits for the board loop's commit); the batch's rows
  are then marked ``sent`` in one commit (on SQLite without an fsync, see
  ``_quick_commits``). Without a journal each row is marked in a commit of
  its own at once. Either way a crash can leave at most the one email in
  flight neither noted nor marked;
- a transient failure puts that row back to ``pending`` with a later
  ``next_attempt_at`` (backoff) and hands the rest of the batch back to
  wait for the same moment, so they still go in order; a permanent one
  marks it ``failed``, with an audit row. A failure of the server itself
  (unreachable, sign-in refused) is not counted against the email: an
  outage of our own server never makes an email ``failed``.

Each claim carries the claimant (the instance, ``host:pid:nonce``) and the
fencing token of its lease on the board (``mailbot.store.leases``); the
marks and releases match on both, so an instance whose lease was taken over
never settles a row another instance now owns. Batches are short (``BATCH``)
and, on PostgreSQL, each email is marked the moment the server takes it, so
a change of holder never finds accepted emails still in ``sending``.

A row found in ``sending`` when an instance has just acquired a board
(``recover_interrupted``) was claimed by a holder that is gone (rows the
new holder's own claim carries are never touched): a row the journal notes
as taken is marked ``sent``, every other one goes back to ``pending``. All but (at most) one per
deliverer of those were never handed to the server; the one in
flight may have been accepted in the instant before the crash and is sent
again with the *same* Message-ID — the honest at-least-once result, which
mail clients and threading treat as one message — and the audit trail
records the retry. If the database itself fails mid-batch, what this
process knows (which rows went, which never started) is kept in memory and
written as soon as the database answers again (``settle_leftovers``).

The ``dedupe_key`` column is unique: the same logical email (the
acknowledgement of one message, the request to one agency on one case, the
nth reminder) can be queued once only, whatever happens.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from typing import Iterator

from sqlalchemy import Connection, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from mailbot.errors import SendError
from mailbot.outbound.base import Sender
from mailbot.outbound.compose import recipients_of
from mailbot.outbound.journal import digest, journal_for, note_taken
from mailbot.outbound.composed import ComposedEmail
from mailbot.outbound.smtp import wire_form
from mailbot.store.db import Store
from mailbot.store.leases import Hold
from mailbot.store.models import AuditEntry, BoardLease, OutboxMail

log = logging.getLogger("mailbot.outbound")
MAX_ATTEMPTS = 12
#: Rows claimed at a time: what a change of board holder can find claimed but not yet sent.
BATCH = 10
#: First retry delay after a transient failure; doubles per attempt, capped at an hour.
RETRY_BASE_SECONDS = 15.0


_QUEUED = select(OutboxMail.__table__.c.id).where(OutboxMail.__table__.c.dedupe_key == bindparam("key"))


def queue(
    session: Session,
    *,
    board: str,
    kind: str,
    dedupe_key: str,
    message: EmailMessage | ComposedEmail,
    now: dt.datetime,
    case_id: int | None = None,
    flush: bool = True,
) -> OutboxMail | None:
    """Add ``message`` to the outbox; ``None`` if this dedupe key was queued before.

    ``flush=False`` leaves the row to the transaction's next flush or its
    commit (no ``id`` until then): a caller queuing many at once saves a
    round of the unit of work per email.

    A ``ComposedEmail`` (what ``Composer.build`` returns) is stored as it
    was written; an ``EmailMessage`` is flattened (``wire_form``).
    """
    if any(isinstance(o, OutboxMail) and o.dedupe_key == dedupe_key for o in session.new):
        return None  # queued in this transaction, not flushed yet (``flush=False``)
    # The check concerns outbox rows only, flushed or seen above: a Core statement on the
    # transaction's connection, with no autoflush and no ORM compile (a referral queues ten).
    existing = session.connection().execute(_QUEUED, {"key": dedupe_key}).scalar()
    if existing is not None:
        return None
    row = OutboxMail(
        board=board,
        case_id=case_id,
        kind=kind,
        dedupe_key=dedupe_key,
        message_id=str(message["Message-ID"]),
        recipients=recipients_of(message),
        subject=str(message["Subject"]),
        raw=message.raw if isinstance(message, ComposedEmail) else wire_form(message),
        created_at=_naive(now),
        status="pending",
        attempts=0,
    )
    session.add(row)
    if flush:
        session.flush()
    return row


def _naive(now: dt.datetime) -> dt.datetime:
    return now.astimezone(dt.timezone.utc).replace(tzinfo=None) if now.tzinfo else now


def recover_interrupted(store: Store, board: str, now: dt.datetime, hold: Hold | None = None) -> int:
    """Rows left in ``sending`` by a crash go back to ``pending`` (audited); returns how many.

    With ``hold`` (the lease this instance has just acquired), only rows
    whose claim is not that hold's: a live holder's claims are never reset.
    A row the journal notes as taken by the server is marked ``sent``
    instead: it went, and only its mark was lost.
    """
    journal = journal_for(store.url)
    taken = journal.taken(board) if journal is not None else {}
    table = OutboxMail.__table__
    with store.transaction() as s:
        query = select(OutboxMail).where(OutboxMail.board == board, OutboxMail.status == "sending")
        if hold is not None:
            query = query.where(or_(table.c.claimant.is_(None), table.c.claim_token.is_(None),
                                    table.c.claimant != hold.claimant, table.c.claim_token != hold.token))
        rows = s.scalars(query).all()
        for row in rows:
            if row.id in taken and taken[row.id][1] == digest(row.raw):
                row.status, row.sent_at, row.last_error = "sent", taken[row.id][0], None
                action = "sent_confirmed_after_crash"
            else:
                row.status = "pending"
                action = "send_retry_after_crash"
            row.claimant = row.claim_token = None
            s.add(AuditEntry(board=board, case_id=row.case_id, at=_naive(now), actor="mailbot",
                             action=action, detail=f"outbox {row.id} ({row.kind})"))
        resent = sum(row.status == "pending" for row in rows)
    if journal is not None:
        journal.forget(sorted(taken))
    return resent


@dataclass
class _BoardState:
    """What this process knows that the database may not, per store and board.

    ``sent`` and ``unsent`` are rows it claimed but could not settle because
    the database failed; ``server_retry_at`` is when the sending server,
    which just failed transiently, is worth trying again.
    """

    sent: dict[int, tuple[dt.datetime, Claim]] = field(default_factory=dict)  # handed over: mark ``sent``
    unsent: dict[int, Claim] = field(default_factory=dict)  # never handed over: back to ``pending``
    server_retry_at: dt.datetime | None = None
    server_failures: int = 0  # server-side failures in a row (the outage's length, for backoff)
    lock: threading.Lock = field(default_factory=threading.Lock)


_STATE: dict[tuple[str, str], _BoardState] = {}
_STATE_LOCK = threading.Lock()


def _state(store: Store, board: str) -> _BoardState:
    with _STATE_LOCK:
        return _STATE.setdefault((store.url, board), _BoardState())


def settle_leftovers(store: Store, board: str) -> int:
    """Write down what an earlier batch could not (the database was down); returns rows settled."""
    state = _state(store, board)
    with state.lock:
        if not state.sent and not state.unsent:
            return 0
        with store.transaction() as s:
            for row_id, (at, claim) in state.sent.items():
                s.execute(_claimed_by(update(OutboxMail.__table__), claim)
                          .where(OutboxMail.id == row_id).values(status="sent", sent_at=at, last_error=None))
            for row_id, claim in state.unsent.items():
                _release(s, [row_id], claim)
        done = len(state.sent) + len(state.unsent)
        state.sent.clear()
        state.unsent.clear()
    log.info("outbox: settled %d row(s) left over from a database outage", done)
    return done


#: Who claimed a row: (claimant, lease token); (None, None) where no lease is kept.
Claim = tuple[str | None, int | None]
NO_CLAIM: Claim = (None, None)


def _claim_of(hold: Hold | None) -> Claim:
    return NO_CLAIM if hold is None else (hold.claimant, hold.token)


def _claimed_by(stmt, claim: Claim):  # noqa: ANN001, ANN202
    """``stmt`` limited to rows in ``sending`` under this claim (any claim where no lease is kept)."""
    table = OutboxMail.__table__
    stmt = stmt.where(table.c.status == "sending")
    if claim[0] is not None:
        stmt = stmt.where(table.c.claimant == claim[0], table.c.claim_token == claim[1])
    return stmt


def _release(s: Session, ids: list[int], claim: Claim = NO_CLAIM, not_before: dt.datetime | None = None) -> None:
    """Claimed rows never handed over go back to ``pending``, their attempt not counted."""
    table = OutboxMail.__table__
    values: dict = {"status": "pending", "attempts": table.c.attempts - 1, "claimant": None, "claim_token": None}
    if not_before is not None:
        values["next_attempt_at"] = not_before
    s.execute(_claimed_by(update(table), claim).where(table.c.id.in_(ids)).values(**values))


@dataclass(frozen=True)
class _Claimed:
    id: int
    kind: str
    raw: bytes
    recipients: list[str]
    attempts: int


def _claim(store: Store, board: str, t: dt.datetime, limit: int, hold: Hold | None = None) -> list[_Claimed]:
    """Due pending rows → ``sending`` in one commit; only rows this call won are returned.

    The UPDATE is conditional on ``pending`` and says which rows it changed
    (RETURNING; one UPDATE per row where the database lacks it), so two
    deliverers (the board's loop and the scheduler's tick) never both win a row.
    With a lease, the claim is made only while the lease row still names
    this holder and token, locked (shared) until the claim commits, so a
    takeover is ordered after it and its recovery sees these rows.
    """
    table = OutboxMail.__table__
    claimant, token = _claim_of(hold)
    if hold is not None and not hold.valid():
        return []
    with store.transaction() as s:
        if hold is not None and not _still_held(s, hold):
            hold.lost.set()
            return []
        ids = s.scalars(
            select(table.c.id)
            .where(table.c.board == board, table.c.status == "pending")
            .where((table.c.next_attempt_at.is_(None)) | (table.c.next_attempt_at <= t))
            .order_by(table.c.id)
            .limit(limit)
        ).all()
        if not ids:
            return []
        claim = (update(table).where(table.c.status == "pending")
                 .values(status="sending", attempts=table.c.attempts + 1, claimant=claimant, claim_token=token))
        if store.engine.dialect.update_returning:
            won = s.scalars(claim.where(table.c.id.in_(ids)).returning(table.c.id)).all()
        else:
            won = [i for i in ids if s.execute(claim.where(table.c.id == i)).rowcount]  # type: ignore[attr-defined]
        if not won:
            return []
        rows = s.execute(
            select(table.c.id, table.c.kind, table.c.raw, table.c.recipients, table.c.attempts)
            .where(table.c.id.in_(won)).order_by(table.c.id)
        ).all()
    return [_Claimed(r.id, r.kind, bytes(r.raw), list(r.recipients), r.attempts) for r in rows]


def _still_held(s: Session, hold: Hold) -> bool:
    lease = BoardLease.__table__
    return s.scalar(select(lease.c.token).where(lease.c.board == hold.board, lease.c.holder == hold.claimant,
                                                lease.c.token == hold.token).with_for_update(read=True)) is not None


def _hand_over(sender: Sender, raw: bytes, recipients: list[str]) -> None:
    send_raw = getattr(sender, "send_raw", None)
    if send_raw is not None:
        send_raw(raw, recipients)
        return
    from email import message_from_bytes

    sender.send(message_from_bytes(raw, policy=policy.default), recipients)  # type: ignore[arg-type]


def _failed(store: Store, board: str, row: _Claimed, err: SendError, t: dt.datetime,
            claim: Claim = NO_CLAIM) -> dt.datetime | None:
    """Record a send failure; returns when to try again (``None``: permanent, never).

    A server-side failure (unreachable, sign-in refused) is not the email's:
    its attempt is not counted, so an outage of our own server, however long
    or frequent, never makes an email ``failed``; the retries back off with
    the outage's own run of failures instead.
    """
    state = _state(store, board)
    server_side = err.server_side and not err.permanent
    with state.lock:
        state.server_failures = state.server_failures + 1 if server_side else 0
        outage = state.server_failures
    permanent = err.permanent or (not server_side and row.attempts >= MAX_ATTEMPTS)
    retry_at = None
    with store.transaction() as s:
        db_row = s.get(OutboxMail, row.id)
        assert db_row is not None
        if db_row.status != "sending" or (claim[0] is not None
                                          and (db_row.claimant, db_row.claim_token) != claim):
            return t  # another holder owns it now: its outcome is theirs to record
        db_row.claimant = db_row.claim_token = None
        db_row.last_error = str(err)[:500]
        if permanent:
            db_row.status = "failed"
            s.add(AuditEntry(board=board, case_id=db_row.case_id, at=t, actor="mailbot",
                             action="send_failed", detail=f"outbox {row.id} ({row.kind}): {db_row.last_error}"))
        else:
            db_row.status = "pending"
            tries = outage if server_side else row.attempts
            if server_side:
                db_row.attempts = row.attempts - 1
            delay = min(3600.0, RETRY_BASE_SECONDS * 2 ** min(tries, 8))
            db_row.next_attempt_at = t + dt.timedelta(seconds=delay)
        retry_at = db_row.next_attempt_at
    log.warning("outbox %s not sent (%s, permanent=%s)", row.id, type(err).__name__, permanent)
    return None if permanent else retry_at


def deliver_pending(store: Store, sender: Sender, board: str, now: dt.datetime, limit: int = BATCH,
                    hold: Hold | None = None) -> tuple[int, int]:
    """Send pending mail of one board; returns (sent, failed).

    With ``hold`` (this instance's lease on the board), nothing is claimed
    or started once the lease cannot be trusted (``Hold.valid``).
    """
    settle_leftovers(store, board)
    t = _naive(now)
    claim = _claim_of(hold)
    batch = _claim(store, board, t, limit, hold)
    if not batch:
        return 0, 0
    sent = failed = 0
    settled: set[int] = set()
    retry_at: dt.datetime | None = None
    state = _state(store, board)
    journal = journal_for(store.url)
    marked: list[int] = []
    deferred: list[int] = []  # taken and noted in the journal: their marks go in one commit at the end
    try:
        with store.engine.connect() as conn, _quick_commits(conn):
            defer = conn.dialect.name == "sqlite"  # elsewhere every mark at once: a new holder finds it
            try:
                for row in batch:
                    if hold is not None and not hold.valid():
                        break  # the lease may be another's soon: the rest go back, to whoever holds it
                    try:
                        _hand_over(sender, row.raw, row.recipients)
                    except SendError as err:
                        retry_at = _failed(store, board, row, err, t, claim)
                        settled.add(row.id)
                        if retry_at is None:
                            failed += 1
                            continue
                        break  # the server is unwell: the rest of the batch waits for this row's retry, in order
                    noted = note_taken(journal, board, row.id, row.raw, t)  # first: the instant a crash resends
                    settled.add(row.id)
                    state.server_failures = 0
                    sent += 1
                    if noted and defer:
                        deferred.append(row.id)  # a crash now finds the note: no need to wait for the lock
                    else:
                        _mark_sent(conn, state, [row.id], t, claim)
                        marked.append(row.id)
                    log.info("outbox %s sent (%s, %d recipients)", row.id, row.kind, len(row.recipients))
            finally:
                if deferred:
                    _mark_sent(conn, state, deferred, t, claim)
                    marked.extend(deferred)
    finally:
        state.server_retry_at = retry_at
        if journal is not None and marked:
            with contextlib.suppress(Exception):
                journal.forget(marked)  # their marks are committed
        rest = [row.id for row in batch if row.id not in settled]
        if rest:
            try:
                with store.transaction() as s:
                    _release(s, rest, claim, not_before=retry_at)
            except BaseException:
                with state.lock:
                    state.unsent.update(dict.fromkeys(rest, claim))
                raise
    return sent, failed


def _mark_sent(conn: Connection, state: _BoardState, ids: list[int], t: dt.datetime, claim: Claim) -> None:
    """Commit ``sent`` for rows the server took; if that fails, this process keeps them to settle."""
    table = OutboxMail.__table__
    try:
        conn.execute(_claimed_by(update(table), claim).where(table.c.id.in_(ids))
                     .values(status="sent", sent_at=t, last_error=None))
        conn.commit()
    except BaseException:
        with state.lock:
            state.sent.update(dict.fromkeys(ids, (t, claim)))
        raise


@contextlib.contextmanager
def _quick_commits(conn: Connection) -> Iterator[None]:
    """On SQLite, "sent" marks committed without an fsync: the duplicate window shrinks to a write.

    The instant between the server's "250" and the "sent" commit is the one
    place a crash can send an email twice, and a synchronous commit spends it
    waiting for the disk. In WAL mode with ``synchronous=NORMAL`` the mark
    survives a crash of the daemon as soon as it is written; only a power cut
    or an operating-system crash could undo it, which takes the daemon down
    too, and its next start sends the email again with the same Message-ID —
    the at-least-once result a crash gives anyway. Nothing else is committed
    this way: the connection is set back before it returns to the pool.

    Not on PostgreSQL: its server can crash while the daemon lives on, and an
    asynchronous commit lost that way would leave the row ``sending`` under a
    daemon that no longer knows it; there a commit is a round trip anyway.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    conn.exec_driver_sql("PRAGMA synchronous=NORMAL")
    try:
        yield
    finally:
        try:
            conn.rollback()
            conn.exec_driver_sql("PRAGMA synchronous=FULL")
            conn.commit()
        except Exception:  # noqa: BLE001 - never hand a quick-commit connection back to the pool
            conn.invalidate()


def server_unwell(store: Store, board: str, now: dt.datetime) -> bool:
    """Whether the last delivery attempt failed transiently and its retry is not due yet."""
    retry_at = _state(store, board).server_retry_at
    return retry_at is not None and retry_at > _naive(now)


def seconds_to_server_retry(store: Store, board: str, now: dt.datetime) -> float:
    """Seconds until the sending server, after a transient failure, is worth trying again (0: now)."""
    retry_at = _state(store, board).server_retry_at
    return 0.0 if retry_at is None else max(0.0, (retry_at - _naive(now)).total_seconds())


def seconds_to_next_retry(store: Store, board: str, now: dt.datetime) -> float | None:
    """Seconds until the earliest pending email falls due (0 if one is due now); ``None`` if none waits."""
    table = OutboxMail.__table__
    with store.transaction() as s:
        due = s.scalar(select(func.min(table.c.next_attempt_at))
                       .where(table.c.board == board, table.c.status == "pending"))
        waiting_now = s.scalar(select(table.c.id).where(
            table.c.board == board, table.c.status == "pending", table.c.next_attempt_at.is_(None)).limit(1))
    if waiting_now is not None:
        return 0.0
    return None if due is None else max(0.0, (due - _naive(now)).total_seconds())
