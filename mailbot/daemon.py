"""The run loop: drain each board's mailbox, send the outbox, do due work, wait.

One thread per board, so a slow or unreachable mailbox never holds up
another board. Every pass is idempotent ("what is waiting now?"), so a
restart or a crash at any point changes nothing: the ledger knows what was
handled, the outbox knows what was sent.
"""

from __future__ import annotations

import datetime as dt
import inspect
import logging
import threading
from dataclasses import dataclass, field

from mailbot.errors import MailboxAuthError, MailboxError
from mailbot.inbound.pipeline import handle_message
from mailbot.mailbox.base import Folder
from mailbot.outbound.outbox import deliver_pending, recover_interrupted
from mailbot.runtime import BoardRuntime
from mailbot.workflow import health

log = logging.getLogger("mailbot.daemon")


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


def drain(rt: BoardRuntime, limit: int | None = None) -> PassStats:
    """Handle everything waiting in the mailbox, then send what that caused."""
    stats = PassStats()
    for incoming in _fetch(rt, limit):
        folder = handle_message(rt, incoming)
        rt.mailbox.move(incoming.ref, folder)
        rt.checkpoint = incoming.ref
        stats.handled += 1
        stats.held += folder is Folder.NEEDS_ATTENTION
        stats.folders.append(folder.value)
    sent, failed = deliver_pending(rt.store, rt.sender, rt.slug, rt.now())
    stats.sent, stats.failed_sends = sent, failed
    return stats


def one_pass(rt: BoardRuntime) -> PassStats:
    """A full pass with mailbox health tracked; never raises for mailbox trouble."""
    try:
        stats = drain(rt)
    except MailboxError as err:
        health.mailbox_failed(rt, err, auth=isinstance(err, MailboxAuthError))
        deliver_pending(rt.store, rt.sender, rt.slug, rt.now())  # alerts go by SMTP
        return PassStats()
    health.mailbox_ok(rt)
    from mailbot.schedule import due

    due.run_due_work(rt)
    deliver_pending(rt.store, rt.sender, rt.slug, rt.now())
    return stats


def run_board(rt: BoardRuntime, stop: threading.Event, idle_timeout: float = 60.0) -> None:
    recovered = recover_interrupted(rt.store, rt.slug, rt.now())
    if recovered:
        log.warning("%s: %d outgoing emails interrupted by a crash will be sent again", rt.slug, recovered)
    backoff = 1.0
    while not stop.is_set():
        stats = one_pass(rt)
        if stats.handled:
            log.info("%s: handled %d messages (%d held), sent %d", rt.slug, stats.handled, stats.held, stats.sent)
        try:
            rt.mailbox.wait(idle_timeout)
            backoff = 1.0
        except MailboxError as err:
            health.mailbox_failed(rt, err, auth=isinstance(err, MailboxAuthError))
            stop.wait(backoff)
            backoff = min(backoff * 2, 300.0)


def run(runtimes: list[BoardRuntime], stop: threading.Event | None = None) -> None:
    """Run every board until ``stop`` is set (SIGTERM / Ctrl-C in the CLI)."""
    from mailbot.schedule import scheduler

    stop = stop or threading.Event()
    sched = scheduler.start(runtimes)  # before the threads: it serialises each board's sender
    threads = [threading.Thread(target=run_board, args=(rt, stop), name=f"board-{rt.slug}", daemon=True)
               for rt in runtimes]
    for t in threads:
        t.start()
    try:
        while any(t.is_alive() for t in threads) and not stop.is_set():
            stop.wait(1.0)
    finally:
        scheduler.stop(sched)
        stop.set()
        for t in threads:
            t.join(timeout=30)
        for rt in runtimes:
            rt.close()


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)
