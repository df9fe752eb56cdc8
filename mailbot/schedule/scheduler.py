"""The scheduler: a minute tick per board that runs the due-work queries.

The due-work queries (``mailbot.schedule.due``) stay the source of truth:
each job asks the database "what is due now?" and the outbox dedupe keys
make every chase and digest exactly-once. APScheduler only supplies the
tick, so that chasing and the digest go on while a board's mailbox loop is
stuck (mailbox down, a long IDLE wait):

- one interval job per board (``due-work:<slug>``, every minute) kept in the
  board database's ``apscheduler_jobs`` table (``SQLAlchemyJobStore`` on the
  store's own engine), so it survives restarts;
- ``replace_existing`` on start, so a restart never adds a second job;
  ``coalesce`` and a long ``misfire_grace_time``, so after downtime the
  missed ticks run once; ``max_instances=1``, so ticks never overlap;
- the job is a module-level function named by reference with the board's
  slug as its argument (a pickled job must not hold a runtime): the daemon
  puts its runtimes in this module's registry before starting.

The board's own thread may send at the same moment as a tick, so ``start``
wraps each runtime's sender in a :class:`SerialSender` (one message at a
time through one connection).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from email.message import EmailMessage

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from mailbot.outbound.base import Sender
from mailbot.outbound.outbox import deliver_pending
from mailbot.runtime import BoardRuntime
from mailbot.store.db import Store, schema_lock
from mailbot.store.leases import NOT_HELD, LeaseLost, fence

log = logging.getLogger("mailbot.schedule")

JOB_PREFIX = "due-work:"
JOB_FUNC = "mailbot.schedule.scheduler:due_work"
INTERVAL_SECONDS = 60
MISFIRE_GRACE_SECONDS = 7 * 24 * 3600

_RUNTIMES: dict[str, BoardRuntime] = {}
_LOCKS: dict[str, threading.Lock] = {}


class SerialSender:
    """A sender that two threads can share: one send at a time."""

    def __init__(self, inner: Sender) -> None:
        self.inner = inner
        self._lock = threading.Lock()

    def send(self, message: EmailMessage, recipients: list[str]) -> None:
        with self._lock:
            self.inner.send(message, recipients)

    def send_raw(self, raw: bytes, recipients: list[str]) -> None:
        """The outbox's stored bytes, as they are when the inner sender can take them."""
        with self._lock:
            send_raw = getattr(self.inner, "send_raw", None)
            if send_raw is not None:
                send_raw(raw, recipients)
                return
            from email import message_from_bytes, policy

            self.inner.send(message_from_bytes(raw, policy=policy.default), recipients)  # type: ignore[arg-type]

    def close(self) -> None:
        with self._lock:
            self.inner.close()


def register_runtimes(runtimes: list[BoardRuntime]) -> None:
    """Put the daemon's runtimes where ``due_work`` finds them by slug."""
    for rt in runtimes:
        if not isinstance(rt.sender, SerialSender):
            rt.sender = SerialSender(rt.sender)
        _RUNTIMES[rt.slug] = rt
        _LOCKS.setdefault(rt.slug, threading.Lock())


def unregister(slugs: set[str]) -> None:
    """Boards no longer run (removed from the configuration while the daemon runs)."""
    for slug in slugs:
        _RUNTIMES.pop(slug, None)


def unregister_all() -> None:
    _RUNTIMES.clear()


def due_work(slug: str) -> int:
    """The job: one board's due work, then its outbox. Never raises."""
    rt = _RUNTIMES.get(slug)
    if rt is None:
        log.warning("due-work tick for board %s, which this daemon does not run", slug)
        return 0
    if rt.lease is not None and not rt.lease.valid():
        return 0  # another instance holds the board (or this one is stopping): its due work is theirs
    lock = _LOCKS[slug]
    if not lock.acquire(blocking=False):
        return 0  # the previous tick is still at work
    try:
        from mailbot.schedule import due  # importing the package registers the jobs

        with _fenced(rt):
            done = due.run_due_work(rt)
        deliver_pending(rt.store, rt.sender, rt.slug, rt.now(), hold=rt.lease)
        return done
    except LeaseLost:
        log.info("%s: lease lost during due work; the new holder does it", slug)
        return 0
    except Exception:  # one bad tick must not stop the next one
        log.exception("%s: due work failed; it is retried on the next tick", slug)
        return 0
    finally:
        lock.release()


def _fenced(rt: BoardRuntime) -> contextlib.AbstractContextManager:
    """Every transaction of the due work checks, in the database, that this instance still holds the board."""
    if rt.lease is None or rt.lease is NOT_HELD:
        return contextlib.nullcontext()
    return rt.store.fenced(fence(rt.lease))


def make_scheduler(store: Store) -> BackgroundScheduler:
    """A scheduler whose jobs live in ``store``; its table is made first, under the schema lock
    (instances started together on one PostgreSQL would otherwise race to create it)."""
    jobstore = SQLAlchemyJobStore(engine=store.engine)
    with store.engine.begin() as conn:
        schema_lock(conn)
        jobstore.jobs_t.create(conn, checkfirst=True)
    return BackgroundScheduler(
        jobstores={"default": jobstore},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
        timezone="Europe/London",
    )


def add_jobs(scheduler: BackgroundScheduler, slugs: list[str]) -> None:
    """One due-work job per board; jobs of boards no longer run are removed."""
    for slug in slugs:
        scheduler.add_job(JOB_FUNC, "interval", seconds=INTERVAL_SECONDS, args=[slug],
                          id=f"{JOB_PREFIX}{slug}", name=f"due work for {slug}",
                          replace_existing=True, coalesce=True, max_instances=1,
                          misfire_grace_time=MISFIRE_GRACE_SECONDS)
    for job in scheduler.get_jobs():
        if job.id.startswith(JOB_PREFIX) and job.id.removeprefix(JOB_PREFIX) not in slugs:
            scheduler.remove_job(job.id)


def start(runtimes: list[BoardRuntime], *, paused: bool = False) -> BackgroundScheduler:
    """Register the runtimes, start the scheduler on their database, add the jobs.

    All runtimes of one daemon share one store; the job store lives in it.
    """
    if not runtimes:
        raise ValueError("no boards to schedule")
    register_runtimes(runtimes)
    scheduler = make_scheduler(runtimes[0].store)
    scheduler.start(paused=paused)
    try:
        add_jobs(scheduler, [rt.slug for rt in runtimes])
    except BaseException:  # the database went away: leave nothing running behind
        scheduler.shutdown(wait=False)
        unregister_all()
        raise
    log.info("scheduler started: due work every %ds for %s", INTERVAL_SECONDS,
             ", ".join(rt.slug for rt in runtimes))
    return scheduler


def stop(scheduler: BackgroundScheduler) -> None:
    """Stop ticking; a tick under way finishes first."""
    if scheduler.running:
        scheduler.shutdown(wait=True)
    unregister_all()
