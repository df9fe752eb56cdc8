"""The long crash harness: hundreds of SIGKILLs, SMTP and PostgreSQL restarts.

Starts its own Dovecot, SMTP servers (aiosmtpd, each in a process of its
own) and PostgreSQL cluster on loopback, builds a stream of mixed board mail from the samples, and runs
the daemon through it once without faults (the reference) and then once per
phase with faults; each phase is compared with the reference of its
database (see ``tests/crash/harness.py`` for what is checked). Prints the
figures of every phase and the machine; exits 1 if any phase found a
problem.

    python scripts/crash_harness.py                      # the default long run
    python scripts/crash_harness.py --messages 300 --kills 100 --phases kill,smtp,database
    python scripts/crash_harness.py --launch exec        # a fresh interpreter per start (slower)

Phases: ``kill`` (SQLite, SIGKILL only), ``smtp`` (SQLite, SMTP restarts
and kills), ``database`` (PostgreSQL, database restarts and kills),
``pg-kill`` (PostgreSQL, SIGKILL only), ``two-instances`` (PostgreSQL, two
instances as two machines with the default 30 s lease, an SMTP server
taking 60 ms per email, SIGKILLs of either; ``--failover-share`` of them
kill the board's holder and leave it down until the other has taken the
board, timed; not in the default set).

    python scripts/crash_harness.py --phases two-instances --kills 120
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mailbot.store.db import sqlite_url  # noqa: E402
from tests.crash import corpus, harness  # noqa: E402
from tests.crash.smtp_sink import SmtpSink  # noqa: E402
from tests.plugins.database import PostgresCluster  # noqa: E402
from tests.plugins.mailservers import DovecotServer  # noqa: E402

PHASES = {
    # name: (database, fault weights, share of --kills as faults)
    "kill": ("sqlite", {"kill": 1.0}),
    "smtp": ("sqlite", {"smtp": 1.0, "kill": 1.0}),
    "database": ("postgresql", {"database": 1.0, "kill": 1.0}),
    "pg-kill": ("postgresql", {"kill": 1.0}),
    "two-instances": ("postgresql", {"kill": 1.0}),
}
#: Plan settings and SMTP delay of phases that differ from one instance's.
EXTRA = {"two-instances": ({"instances": 2}, 0.06)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=600)
    ap.add_argument("--kills", type=int, default=300, help="faults per phase")
    ap.add_argument("--gap", type=float, default=0.6, help="most seconds from one fault to the next")
    ap.add_argument("--phases", default="kill,smtp,database,pg-kill")
    ap.add_argument("--launch", choices=["fork", "exec"], default="fork")
    ap.add_argument("--seed", type=int, default=20260216)
    ap.add_argument("--keep", action="store_true", help="keep the work folder (logs, databases)")
    ap.add_argument("--failover-share", type=float, default=0.1,
                    help="two-instances: share of kills that leave the holder down until the other takes over")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="mailbot-crash-"))
    root.chmod(0o755)
    say = lambda text: print(text, flush=True)  # noqa: E731
    say(f"machine: {harness.machine()}")
    say(f"work folder: {root}")
    mails = corpus.build(args.messages, seed=args.seed)
    say(f"stream: {len(mails)} messages ({_mix(mails)})")
    (root / "dovecot").mkdir()
    dovecot = DovecotServer(root / "dovecot")
    dovecot.start()
    pg: PostgresCluster | None = None
    phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    failed = False
    users = iter(range(1, 1000))
    totals: list[harness.Figures] = []
    began = time.monotonic()
    try:
        if any(PHASES[p][0] == "postgresql" for p in phases):
            pg = PostgresCluster(root / "pg")
            pg.start()
        references: dict[str, harness.Outcome] = {}
        for phase in phases:
            backend, faults = PHASES[phase]
            if backend not in references:
                target = _target(root, f"reference-{backend}", dovecot, pg, backend, next(users))
                figures, outcome = harness.run(target, mails, harness.Plan(faults={}, fault_count=0,
                                                                            launch=args.launch))
                references[backend] = outcome
                say(f"reference ({backend}): {len(mails)} messages, {outcome.emails} emails "
                    f"({sum(outcome.purposes.values())} recipient deliveries) in {figures.seconds:.1f} s")
                if figures.problems or outcome.unsent_rows or outcome.same_id_resends:
                    say(f"  reference run problems: {figures.problems}")
                    failed = True
            extra, smtp_delay = EXTRA.get(phase, ({}, 0.0))
            if extra.get("instances", 1) > 1:
                extra = {**extra, "failover_share": args.failover_share}
            target = _target(root, phase, dovecot, pg, backend, next(users), smtp_delay)
            plan = harness.Plan(faults=faults, fault_count=args.kills, seed=args.seed + len(phase),
                                gap=(0.05, args.gap), launch=args.launch, timeout=7200, **extra)
            say(f"phase {phase} ({backend}, faults {'+'.join(faults)}): running")
            figures, outcome = harness.run(target, mails, plan, log=say)
            harness.verify(figures, outcome, references[backend])
            harness.dump(figures, target.workdir / "figures.json")
            say(f"phase {phase}: {figures.line()}")
            kills = figures.kills or 1
            say(f"  same-Message-ID resends per kill: {figures.same_id_resends / kills:.3f}; "
                f"daemon log ERROR lines: {figures.log_errors}")
            if plan.instances > 1:
                say(f"  {figures.failover_line()}")
            for problem in figures.problems:
                say(f"  PROBLEM: {problem}")
            failed |= bool(figures.problems)
            totals.append(figures)
    finally:
        for sink in _SINKS:
            sink.stop()
        dovecot.stop()
        if pg is not None:
            pg.destroy()
        if not args.keep and not failed:
            shutil.rmtree(root, ignore_errors=True)
    total = lambda name: sum(getattr(f, name) for f in totals)  # noqa: E731
    say(f"total: {len(totals)} phase(s) of {len(mails)} messages; kills {total('kills')} "
        f"({total('faults_on_idle')} faults after the work was done), smtp restarts {total('smtp_restarts')}, "
        f"database restarts {total('db_restarts')}; duplicates {total('duplicates')}, missing {total('missing')}, "
        f"same-Message-ID resends {total('same_id_resends')} (kills that interrupted a delivery batch "
        f"{total('interrupted_deliveries')}); {time.monotonic() - began:.0f} s; machine: {harness.machine()}")
    say("result: " + ("PROBLEMS FOUND (work folder kept)" if failed else "no duplicates, nothing missing, "
                      "no case corrupted"))
    return 1 if failed else 0


_SINKS: list[SmtpSink] = []


def _target(root: Path, name: str, dovecot: DovecotServer, pg: PostgresCluster | None, backend: str,
            n: int, smtp_delay: float = 0.0) -> harness.Target:
    workdir = root / name
    workdir.mkdir()
    user, password = f"crash{n}@lscb.example", f"crash-secret-{n}"
    dovecot.add_user(user, password)
    for sink in _SINKS:  # the previous run's server
        sink.stop()
    smtp = SmtpSink(workdir / "smtp", smtp_delay)
    smtp.start()
    _SINKS.append(smtp)
    if backend == "postgresql":
        assert pg is not None
        url = pg.create_database(name.replace("-", "_"))
    else:
        url = sqlite_url(workdir / "mailbot.db")
    return harness.Target(imap=harness.Imap(dovecot.host, dovecot.port, user, password), smtp=smtp,
                          database_url=url, workdir=workdir, database=pg if backend == "postgresql" else None)


def _mix(mails: list[corpus.Mail]) -> str:
    from collections import Counter

    counts = Counter(m.label.split(":")[0] for m in mails)
    return ", ".join(f"{k} {v}" for k, v in counts.most_common())


if __name__ == "__main__":
    os.umask(0o022)
    sys.exit(main())
