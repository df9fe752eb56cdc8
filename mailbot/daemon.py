"""The run loop: drain each board's mailbox, send the outbox, do due work, wait.

One thread per board, so a slow or unreachable mailbox never holds up
another board. Every pass is idempotent ("what is waiting now?"), so a
restart or a crash at any point changes nothing: the ledger knows what was
handled, the outbox knows what was sent.

Nothing a pass meets stops a board's loop: an unreachable mailbox is
tracked and alerted on (``health``); a database that stops answering
(``StoreUnavailable``) or any unexpected error ends the pass, and the loop
waits with a growing backoff and runs the pass again, since nothing it did
was committed half-way. The wait between passes is the mailbox's IDLE.
The outbox is sent by a thread per board (``Deliverer``) while the loop
reads the next message; it also keeps the outbox's retry times. Under
``mailbot.service.run`` a worker process reads the message after the one
being handled (``mailbot.inbound.parse_ahead``), and each board is worked
only while this instance holds its lease (``rt.lease``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect
import logging
import threading
import time
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from mailbot.errors import MailboxAuthError, MailboxError
from mailbot.inbound.pipeline import handle_message
from mailbot.mailbox.base import Folder, IncomingMessage, MailRef
from mailbot.outbound.deliverer import Deliverer
from mailbot.outbound.outbox import (
    deliver_pending,
    recover_interrupted,
    seconds_to_next_retry,
    server_unwell,
)
from mailbot.runtime import BoardRuntime
from mailbot.store.db import is_outage
from mailbot.workflow import health

log = logging.getLogger("mailbot.daemon")
#: Waits after a failed pass (database away, unexpected error): first, then doubling up to the cap.
RETRY_INITIAL = 0.5
RETRY_MAX = 60.0
#: Handled messages moved out of the inbox together (where the mailbox can: IMAP MOVE).
MOVE_BATCH = 20
#: Wait between passes while the board's lease awaits a renewal (the pass left its work).
LEASE_UNSURE_WAIT = 1.0
#: Longest wait on a mailbox that cannot be interrupted (no ``interrupt``): how late it sees a stop.
UNINTERRUPTIBLE_WAIT = 2.0


@dataclass
class PassStats:
    handled: int = 0
    held: int = 0
    sent: int = 0
    failed_sends: int = 0
    folders: list[str] = field(default_factory=list)


def _fetch(rt: BoardRuntime, limit: int | None):  # noqa: ANN202
    """New mail only, from the checkpoint, where the backend can resume (IMAP).

    The first pass after start has no checkpoint and scans the whole inbox,
    so a message handled just before a crash but never moved is moved now.
    """
    if rt.checkpoint is not None and "after" in inspect.signature(rt.mailbox.fetch_new).parameters:
        return rt.mailbox.fetch_new(limit=limit, after=rt.checkpoint)  # type: ignore[call-arg]
    return rt.mailbox.fetch_new(limit=limit)


def _working(rt: BoardRuntime, stop: threading.Event | None) -> bool:
    """Whether the board's work goes on: not asked to stop, and the lease (if kept) still trusted."""
    return (stop is None or not stop.is_set()) and (rt.lease is None or rt.lease.valid())


def drain(rt: BoardRuntime, limit: int | None = None, stop: threading.Event | None = None) -> PassStats:
    """Handle everything waiting in the mailbox; each message's emails go out before it is moved.

    A burst of fifty messages does not hold the first one's replies until
    the fiftieth is read. With a deliverer (``rt.deliverer``, the daemon's)
    the emails go from its thread while the next message is read; without one (the demo,
    tests) they are sent here, and while the sending server is failing,
    sending waits for its retry time instead of being tried once per message.
    Sending before the MOVE is safe: the ledger already holds the message as
    handled, so if the MOVE never happens the next pass moves it and does
    nothing else; and the replies do not wait for the MOVE (slow in a big
    folder). Where the mailbox can move many at once (IMAP), handled
    messages are moved ``MOVE_BATCH`` at a time (``_move``). With a
    read-ahead worker (``rt.parse_ahead``, the daemon's) the next message is
    read there while this one is handled. Once ``stop`` is set or the
    board's lease cannot be trusted, the message in hand is finished and
    the pass ends (what was handled is still moved).
    """
    stats = PassStats()
    deliverer = rt.deliverer
    reader = rt.parse_ahead
    # A mailbox that moves many at once (IMAP) gets them in batches: a round trip each.
    batch = MOVE_BATCH if hasattr(rt.mailbox, "move_many") else 1
    to_move: list[tuple[MailRef, Folder]] = []
    messages = _fetch(rt, limit)
    depth = getattr(reader, "depth", 1) if reader is not None else 0
    for incoming, upcoming in _look_ahead(messages, depth):
        if not _working(rt, stop):
            break
        ahead = None
        if reader is not None:  # this message as a worker read it; the next ones go to workers now
            ahead = reader.take(hashlib.sha256(incoming.raw).hexdigest())
            for following in upcoming:
                reader.submit(following.raw)
        folder = handle_message(rt, incoming, ahead)
        if deliverer is not None:
            deliverer.kick()
        elif not server_unwell(rt.store, rt.slug, rt.now()):
            _count(stats, deliver_pending(rt.store, rt.sender, rt.slug, rt.now(), hold=rt.lease))
        to_move.append((incoming.ref, folder))
        if len(to_move) >= batch:
            _move(rt, to_move)
        stats.handled += 1
        stats.held += folder is Folder.NEEDS_ATTENTION
        stats.folders.append(folder.value)
    _move(rt, to_move)
    _send(rt, deliverer, stats)
    return stats


def _move(rt: BoardRuntime, to_move: list[tuple[MailRef, Folder]]) -> None:
    """Move handled messages out of the inbox; the checkpoint follows only what was moved.

    Should the move fail, the pass ends with the messages still in the inbox
    and below no checkpoint: the next pass offers them again, the ledger
    knows them, and they are moved then.
    """
    if not to_move:
        return
    move_many = getattr(rt.mailbox, "move_many", None)
    if move_many is not None:
        move_many(to_move)
    else:
        for ref, folder in to_move:
            rt.mailbox.move(ref, folder)
    rt.checkpoint = to_move[-1][0]
    to_move.clear()


def _look_ahead(messages: Iterable[IncomingMessage], depth: int = 1,
                ) -> Iterator[tuple[IncomingMessage, list[IncomingMessage]]]:
    """Each message with the (up to) ``depth`` after it, fetched ahead.

    Fetching the next message may fail (the mailbox went away): the messages
    in hand are handled first, then the error ends the pass, as it would have.
    """
    it = iter(messages)
    window: list[IncomingMessage] = []
    failure: Exception | None = None
    while True:
        while failure is None and len(window) < depth + 1:
            try:
                following = next(it, None)
            except Exception as err:  # noqa: BLE001 - raised once what was fetched is handled
                failure = err
                break
            if following is None:
                break
            window.append(following)
        if not window:
            break
        current = window.pop(0)
        yield current, list(window)
    if failure is not None:
        raise failure


def _send(rt: BoardRuntime, deliverer: Deliverer | None, stats: PassStats | None = None) -> None:
    """Everything due in the outbox: handed to the deliverer's thread, or sent here."""
    if deliverer is not None:
        deliverer.kick()
        return
    result = deliver_pending(rt.store, rt.sender, rt.slug, rt.now(), hold=rt.lease)
    if stats is not None:
        _count(stats, result)


def _count(stats: PassStats, result: tuple[int, int]) -> None:
    stats.sent += result[0]
    stats.failed_sends += result[1]


def one_pass(rt: BoardRuntime, stop: threading.Event | None = None) -> PassStats:
    """A full pass with mailbox health tracked; never raises for mailbox trouble."""
    deliverer = rt.deliverer
    try:
        stats = drain(rt, stop=stop)
    except MailboxError as err:
        health.mailbox_failed(rt, err, auth=isinstance(err, MailboxAuthError))
        _send(rt, deliverer)  # alerts go by SMTP
        return PassStats()
    health.mailbox_ok(rt)
    if not _working(rt, stop):
        return stats
    from mailbot.schedule import due

    due.run_due_work(rt)
    _send(rt, deliverer)
    return stats


def recover(rt: BoardRuntime, stop: threading.Event) -> bool:
    """Outgoing emails a dead daemon had claimed go back to the queue (retried until the database answers).

    Must run before anything in this process sends for the board (its loop,
    the scheduler's tick): a row another live thread has claimed would
    otherwise be sent twice. Returns False if ``stop`` came first.
    """
    retry = RETRY_INITIAL
    while not stop.is_set():
        try:
            count = recover_interrupted(rt.store, rt.slug, rt.now(), rt.lease)
        except Exception as err:  # noqa: BLE001 - the database may be starting
            _pass_failed(rt, err, retry)
            _pause(rt, err, retry, stop)
            retry = min(retry * 2, RETRY_MAX)
            continue
        if count:
            log.warning("%s: %d outgoing emails claimed before a crash will be sent now", rt.slug, count)
        return True
    return False


def run_board(rt: BoardRuntime, stop: threading.Event, idle_timeout: float = 60.0,
              recovered: bool = False) -> None:
    """One board's loop until ``stop``: recover (unless done), then pass, wait, pass…; never raises."""
    if not recovered and not recover(rt, stop):
        return
    rt.deliverer = Deliverer(rt).start()
    try:
        _loop(rt, stop, idle_timeout)
    finally:
        rt.deliverer.stop()
        rt.deliverer = None


def _loop(rt: BoardRuntime, stop: threading.Event, idle_timeout: float) -> None:
    mailbox_backoff = 1.0
    retry = RETRY_INITIAL
    while not stop.is_set():
        try:
            with rt.store.fail_fast():
                stats = one_pass(rt, stop)
                wait = _next_wait(rt, idle_timeout)
        except Exception as err:  # noqa: BLE001 - the loop must go on whatever happened
            _pass_failed(rt, err, retry)
            _pause(rt, err, retry, stop)
            retry = min(retry * 2, RETRY_MAX)
            continue
        retry = RETRY_INITIAL
        if stats.handled:
            log.info("%s: handled %d messages (%d held)", rt.slug, stats.handled, stats.held)
        if rt.lease is not None and not rt.lease.valid():
            wait = min(wait, LEASE_UNSURE_WAIT)  # work was left for want of a renewal: look again soon
        if stop.is_set():
            break
        try:
            rt.mailbox.wait(wait if hasattr(rt.mailbox, "interrupt") else min(wait, UNINTERRUPTIBLE_WAIT))
            mailbox_backoff = 1.0
        except MailboxError as err:
            try:
                health.mailbox_failed(rt, err, auth=isinstance(err, MailboxAuthError))
            except Exception as store_err:  # noqa: BLE001 - recorded on the next pass
                _pass_failed(rt, store_err, mailbox_backoff)
            stop.wait(mailbox_backoff)
            mailbox_backoff = min(mailbox_backoff * 2, 300.0)


def _next_wait(rt: BoardRuntime, idle_timeout: float) -> float:
    """IDLE until new mail, or the earliest outgoing retry (unless the deliverer keeps those)."""
    if rt.deliverer is not None and rt.deliverer.ensure_running():
        return idle_timeout
    due = seconds_to_next_retry(rt.store, rt.slug, rt.now())
    return idle_timeout if due is None else max(0.2, min(idle_timeout, due))


def _pause(rt: BoardRuntime, err: Exception, retry: float, stop: threading.Event) -> None:
    """Wait before the next attempt; after a database outage, only until the database answers.

    A quarter of the backoff first (5 s at most; a database that answers but
    keeps failing is not hammered), then a ping every quarter second until it
    answers or the backoff is over. Resuming at once matters: what the
    previous pass could not write down (an email the server took) is kept
    in memory only until then.
    """
    if not is_outage(err):
        stop.wait(retry)
        return
    deadline = time.monotonic() + retry
    stop.wait(min(retry / 4, 5.0))
    while not stop.is_set() and time.monotonic() < deadline and not rt.store.ping():
        stop.wait(min(0.25, max(0.0, deadline - time.monotonic())))


def _pass_failed(rt: BoardRuntime, err: Exception, retry: float) -> None:
    """Log a failed pass by kind and place only: error texts may quote mail or SQL parameters."""
    if is_outage(err):
        log.warning("%s: database unavailable (%s); trying again in %.1fs", rt.slug, type(err).__name__, retry)
        return
    where = traceback.extract_tb(err.__traceback__)[-1] if err.__traceback__ else None
    log.error("%s: pass failed (%s at %s:%s); trying again in %.1fs", rt.slug, type(err).__name__,
              where.filename.rsplit("/", 1)[-1] if where else "?", where.lineno if where else "?", retry)


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)
