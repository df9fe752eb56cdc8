"""Crash harness: real Dovecot, real SMTP, a real daemon process, and faults.

One run feeds a stream of board mail (``corpus``) into a Dovecot INBOX in
bursts while the daemon (``child``, its own process) works through it, and
meanwhile, at random moments drawn from a seed:

- ``kill``: SIGKILL the daemon and start a new one at once;
- ``smtp``: stop the SMTP server, wait, start it again on the same port;
- ``database``: stop PostgreSQL (``fast`` or ``immediate``), wait, start it.

Then it lets the daemon finish (every message in the ledger, nothing left
to send, INBOX empty), stops it with SIGTERM and checks the outcome against
a reference run of the same stream without faults (``verify``):

- every message handled exactly once, with the same outcome as in the
  reference, and in exactly one folder;
- every email the reference sent, sent here too, to the same recipients,
  and none more; emails are compared by purpose (recipient, kind, subject,
  the message answered), so a second email for the same purpose is a
  duplicate and one the reference has but this run lacks is missing. An
  email the SMTP server took twice with the *same* Message-ID (a crash
  between the server's "250" and our commit) is counted apart, as the
  at-least-once resend it is;
- nothing sent that the outbox does not hold (no email of a rolled-back
  step), nothing left pending, nothing failed;
- every case as in the reference: stage, requests, records, drafts.
"""

from __future__ import annotations

import random
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from mailbot.store.models import MessageSeen, OutboxMail
from tests.crash import child
from tests.crash.corpus import Mail
from tests.crash.processes import Daemon, ForkServer
from tests.crash.target import BOARD, DatabaseServer, Imap, Smtp, Target
from tests.crash.verdict import Figures, Outcome, collect, dump, machine, verify

__all__ = ["Daemon", "DatabaseServer", "Figures", "ForkServer", "Imap", "Outcome", "Plan", "Smtp", "Target",
           "collect", "daemon_spec", "dump", "machine", "run", "seed_state", "verify"]
REPO = Path(__file__).resolve().parents[2]
#: How long a run must look finished before it is: the pass that emptied the INBOX
#: may still queue due work (escalations, the digest) right after its MOVEs.
SETTLE_SECONDS = 1.5


@dataclass
class Plan:
    """What one run does. Gaps are seconds; faults are drawn by weight."""

    faults: dict[str, float] = field(default_factory=lambda: {"kill": 1.0})
    fault_count: int = 30
    gap: tuple[float, float] = (0.05, 0.9)  # from one fault (or start) to the next
    outage: tuple[float, float] = (0.2, 1.5)  # how long SMTP or the database stays away
    feed_bursts: tuple[int, int] = (1, 25)  # messages appended at a time
    feed_pause: tuple[float, float] = (0.0, 0.6)
    seed: int = 1
    #: "stream": a thread feeds the whole stream while faults fall at random moments (some may
    #: fall after the work is done). "lockstep": mail is fed only when a fault comes due and the
    #: daemon has nothing left to do (a burst, then the fault at once), so with at least
    #: ``fault_count * feed_bursts[1]`` messages every fault finds work outstanding.
    feed: str = "stream"
    launch: str = "fork"  # or "exec": a fresh interpreter per start
    timeout: float = 600.0
    idle_timeout: float = 1.0  # IDLE is woken by new mail anyway; short, so SIGTERM ends it fast
    retry_base: float = 0.25  # outbox backoff base for the run (production: 15 s)
    pass_retry_max: float = 2.0
    smtp_timeout: float = 5.0  # a hung SMTP session gives up sooner (production: 30 s)
    #: Several instances on one database (PostgreSQL), each as its own "machine" (``host-N``):
    #: a kill falls on either; ``failover_share`` of the kills of the board's holder leave it
    #: down until another instance has taken the board (timed: ``Figures.failovers``).
    instances: int = 1
    lease_seconds: float | None = None  # None: the default (30 s)
    failover_share: float = 0.0


class Feeder(threading.Thread):
    """Appends the stream to the INBOX in bursts, oldest first.

    Started, it feeds the whole stream by itself ("stream" plans); not started,
    the harness calls ``burst`` when it wants more mail ("lockstep" plans).
    """

    def __init__(self, imap: Imap, mails: list[Mail], plan: Plan, rng: random.Random) -> None:
        super().__init__(name="crash-feeder", daemon=True)
        self.imap, self.mails, self.plan, self.rng = imap, mails, plan, rng
        self.error: BaseException | None = None
        self.fed = 0

    def run(self) -> None:
        try:
            while self.fed < len(self.mails):
                self.burst()
                time.sleep(self.rng.uniform(*self.plan.feed_pause))
        except BaseException as err:  # noqa: BLE001 - reported by the harness
            self.error = err

    def burst(self, count: int | None = None) -> None:
        """Append the next ``count`` messages (a random burst by default)."""
        count = self.rng.randint(*self.plan.feed_bursts) if count is None else count
        conn = self.imap.connect()
        try:
            for mail in self.mails[self.fed:self.fed + count]:
                typ, data = conn.append("INBOX", None, None, mail.raw)
                assert typ == "OK", data
                self.fed += 1
        finally:
            conn.logout()


def seed_state(database_url: str, data_dir: Path) -> None:
    """The schema and the sample case (``bot-state.json``), as the flow tests start."""
    from mailbot.config import load_board
    from mailbot.runtime import FixedClock, build_runtime
    from mailbot.demo.seed import load_state
    from mailbot.store.db import open_store
    from tests.conftest import SAMPLES

    store = open_store(database_url)
    board = load_board(BOARD, REPO / "config")
    rt = build_runtime(board, store, data_dir, FixedClock(child.START), mailbox=_NoMailbox(), sender=_NoSender())
    try:
        load_state(rt, SAMPLES / "emails" / "bot-state.json", SAMPLES)
    finally:
        store.dispose()


class _NoMailbox:
    def close(self) -> None:
        pass


class _NoSender(_NoMailbox):
    pass


def daemon_spec(target: Target, plan: Plan) -> dict:
    """What ``tests.crash.child`` needs to run the board against ``target`` (its logs in the work folder)."""
    return {
        "imap_host": target.imap.host, "imap_port": target.imap.port, "imap_user": target.imap.user,
        "imap_password": target.imap.password, "smtp_host": target.smtp.host, "smtp_port": target.smtp.port,
        "database_url": target.database_url, "data_dir": str(target.workdir / "data"),
        "log": str(target.workdir / "daemon.log"), "epoch": time.time(), "idle_timeout": plan.idle_timeout,
        "retry_base": plan.retry_base, "pass_retry_max": plan.pass_retry_max, "smtp_timeout": plan.smtp_timeout,
    }


def run(target: Target, mails: list[Mail], plan: Plan, log: Callable[[str], None] = lambda _m: None,
        ) -> tuple[Figures, Outcome]:
    """Feed ``mails``, inject the plan's faults, let the daemon finish; returns figures and outcome."""
    rng = random.Random(plan.seed)
    workdir = target.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    data_dir = workdir / "data"
    seed_state(target.database_url, data_dir)
    spec = daemon_spec(target, plan)
    figures = Figures(messages=len(mails))
    daemons = [Daemon(spec, workdir, plan.launch)]
    if plan.instances > 1:
        daemons = [Daemon({**spec, "log": str(workdir / ("daemon.log" if i == 0 else f"daemon-{i}.log")),
                           "instance_host": f"host-{i}", "lease_seconds": plan.lease_seconds},
                          workdir, plan.launch, name=f"daemon-{i}")
                   for i in range(plan.instances)]
    engine = create_engine(target.database_url, poolclass=NullPool)
    started = time.monotonic()
    feeder = Feeder(target.imap, mails, plan, random.Random(plan.seed + 1))
    lockstep = plan.feed == "lockstep"
    if not lockstep:
        feeder.start()
    for daemon in daemons:
        daemon.start()
        figures.starts += 1
    kinds, weights = zip(*plan.faults.items()) if plan.faults else ((), ())
    faults_done = 0
    settled = 0.0  # since when the run has looked finished
    progress: tuple = ()
    stretch = 1.0
    next_fault = time.monotonic() + rng.uniform(*plan.gap)
    try:
        while True:
            if time.monotonic() - started > plan.timeout:
                raise TimeoutError(f"run not finished after {plan.timeout:.0f}s: {_status(engine, target, feeder)}")
            if feeder.error is not None:
                raise RuntimeError("feeding the INBOX failed") from feeder.error
            for daemon in daemons:
                code = daemon.exitcode()
                if code is not None:  # it stopped by itself: a supervisor would start it again
                    if code == child.EXIT_STORE_DOWN:
                        figures.start_failures += 1
                    else:
                        figures.unexpected_exits += 1
                        figures.problems.append(f"daemon exited by itself with code {code}")
                    time.sleep(0.2)
                    daemon.start()
                    figures.starts += 1
            if faults_done < plan.fault_count and time.monotonic() >= next_fault:
                now_progress = _progress(engine)
                # No step finished since the last fault (a slow form, a long start): widen the
                # window, so faults stay at random moments yet the work always moves on.
                idle = not feeder.is_alive() and _finished(engine, target, mails[:feeder.fed])
                if idle and lockstep and feeder.fed < len(mails):
                    feeder.burst()  # new work, and the fault falls on it at once
                    figures.faults_on_fed += 1
                    idle = False
                figures.faults_on_idle += idle
                stretch = 1.0 if now_progress != progress or idle else min(stretch * 2, 8.0)
                progress = now_progress
                kind = rng.choices(kinds, weights)[0]
                victim = rng.randrange(len(daemons)) if len(daemons) > 1 else 0
                if not (kind == "kill" and len(daemons) > 1 and rng.random() < plan.failover_share
                        and _fail_over(daemons, engine, plan, figures)):
                    _inject(kind, daemons[victim], target, plan, rng, figures)
                if kind == "kill":
                    figures.starts += 1
                faults_done += 1
                next_fault = time.monotonic() + rng.uniform(*plan.gap) * stretch
                if faults_done % 25 == 0:
                    log(f"  {faults_done} faults, {feeder.fed}/{len(mails)} fed, "
                        f"{time.monotonic() - started:.0f}s")
                continue
            if faults_done >= plan.fault_count and lockstep and feeder.fed < len(mails):
                feeder.burst(len(mails) - feeder.fed)
            if faults_done >= plan.fault_count and not feeder.is_alive() and _finished(engine, target, mails):
                # The daemon's pass goes on after its last MOVE (due work may still queue an
                # email): finished only once that has held for a while.
                settled = settled or time.monotonic()
                if time.monotonic() - settled >= SETTLE_SECONDS:
                    break
            else:
                settled = 0.0
            time.sleep(0.05 if faults_done < plan.fault_count else 0.25)
    finally:
        codes = [daemon.terminate() for daemon in daemons]
        code = next((c for c in codes if c not in (0, -signal.SIGTERM, None)), codes[0])
        engine.dispose()
    figures.seconds = time.monotonic() - started
    if code not in (0, -signal.SIGTERM, None):  # -SIGTERM: it was still starting, before its handler
        figures.problems.append(f"daemon did not stop cleanly on SIGTERM (exit {code})")
    outcome = collect(target, mails)
    figures.log_errors = sum(_log_errors(Path(d.spec["log"])) for d in daemons)
    return figures, outcome


def _holder_host(engine: Engine) -> str | None:
    """The ``host-N`` of the instance holding the board now (None: nobody, or unreadable)."""
    from mailbot.store.models import BoardLease

    try:
        with engine.connect() as conn:
            row = conn.execute(select(BoardLease.holder, BoardLease.expires_at,
                                      func.timezone("UTC", func.clock_timestamp()))
                               .where(BoardLease.board == BOARD)).first()
    except Exception:  # noqa: BLE001 - the database may be restarting
        return None
    if row is None or row[0] is None or row[1] <= row[2]:
        return None
    return row[0].split(":")[0]


def _fail_over(daemons: list[Daemon], engine: Engine, plan: Plan, figures: Figures) -> bool:
    """SIGKILL the board's holder and leave it down until another instance holds the board; timed."""
    holder = _holder_host(engine)
    if holder is None or not holder.startswith("host-"):
        return False
    index = int(holder.removeprefix("host-"))
    killed = time.monotonic()
    daemons[index].kill()
    figures.kills += 1
    limit = killed + 4 * (plan.lease_seconds or 30.0) + 30
    while time.monotonic() < limit:
        now_holder = _holder_host(engine)
        if now_holder is not None and now_holder != holder:
            figures.failovers.append(time.monotonic() - killed)
            break
        time.sleep(0.1)
    else:
        figures.problems.append(f"no failover within {limit - killed:.0f}s of killing {holder}")
    daemons[index].start()
    return True


def _inject(kind: str, daemon: Daemon, target: Target, plan: Plan, rng: random.Random, figures: Figures) -> None:
    if kind == "kill":
        daemon.kill()
        figures.kills += 1
        daemon.start()
    elif kind == "smtp":
        target.smtp.stop()
        time.sleep(rng.uniform(*plan.outage))
        target.smtp.start()
        figures.smtp_restarts += 1
    elif kind == "database":
        assert target.database is not None, "database faults need a database server the harness controls"
        target.database.stop(rng.choice(["fast", "immediate"]))
        time.sleep(rng.uniform(*plan.outage))
        target.database.start()
        figures.db_restarts += 1
    else:
        raise ValueError(kind)


def _finished(engine: Engine, target: Target, mails: list[Mail]) -> bool:
    """Every message in the ledger, nothing waiting in the outbox, the INBOX empty."""
    try:
        with engine.connect() as conn:
            seen = conn.scalar(select(func.count()).select_from(MessageSeen).where(MessageSeen.board == BOARD))
            waiting = conn.scalar(select(func.count()).select_from(OutboxMail).where(
                OutboxMail.board == BOARD, OutboxMail.status.in_(["pending", "sending"])))
    except Exception:  # noqa: BLE001 - the database may be restarting
        return False
    if seen != len(mails) or waiting:
        return False
    return not _uids(target.imap, "INBOX")


def _progress(engine: Engine) -> tuple:
    """(messages in the ledger, emails sent): what moving on looks like."""
    try:
        with engine.connect() as conn:
            return (conn.scalar(select(func.count()).select_from(MessageSeen)),
                    conn.scalar(select(func.count()).select_from(OutboxMail).where(OutboxMail.status == "sent")))
    except Exception:  # noqa: BLE001 - the database may be restarting
        return ()


def _status(engine: Engine, target: Target, feeder: Feeder) -> str:
    try:
        with engine.connect() as conn:
            seen = conn.scalar(select(func.count()).select_from(MessageSeen))
            rows = dict(conn.execute(select(OutboxMail.status, func.count()).group_by(OutboxMail.status)).all())
    except Exception as err:  # noqa: BLE001
        return f"database unreadable ({type(err).__name__})"
    return f"fed {feeder.fed}, ledger {seen}, outbox {rows}, inbox {len(_uids(target.imap, 'INBOX'))}"


def _uids(imap: Imap, folder: str) -> list[bytes]:
    conn = imap.connect()
    try:
        typ, _ = conn.select(folder, readonly=True)
        if typ != "OK":
            return []
        _, data = conn.uid("SEARCH", "ALL")
        return data[0].split()
    finally:
        conn.logout()


def _log_errors(path: Path) -> int:
    if not path.exists():
        return 0
    return sum(" ERROR " in line for line in path.read_text("utf-8", errors="replace").splitlines())
