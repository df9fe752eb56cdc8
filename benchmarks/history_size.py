"""Cost of the daemon's work with a short history vs a long one in the database.

A board's database only grows: every message, email, case and audit row is
kept. This benchmark fills a fresh database with the history of ``N``
closed cases (per case: the referral's ledger row, attachment and record,
eight answered scoping requests, ten sent emails and five audit rows, as
the daemon would have left them), then times, on the embedded default
(Maildir mailbox and outbox, SQLite unless ``--database-url``):

- **referral**: one new referral email, from the mailbox to its
  acknowledgement and eight scoping requests sent (``drain``), median of
  ``--referrals``;
- **due work**: one working day's scheduled pass (chasing those referrals'
  requests, escalations, the digest), median over ``--days`` days;
- **idle delivery**: one send round with nothing pending (every pass of the
  daemon makes one), median of 200.

It prints each figure for every size and the ratio of the largest to the
smallest, which should stay near 1: nothing per message or per day may read
the whole history.

    python benchmarks/history_size.py [--cases 100,20000] [--referrals 15] [--days 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import SAMPLES, finish, print_machine, referral_email, temp_root, unique  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from mailbot.demo import DEMO_START
from mailbot.demo.mailbox import deliver  # noqa: E402
from mailbot.config import load_board  # noqa: E402
from mailbot.daemon import drain  # noqa: E402
from mailbot.outbound.outbox import deliver_pending  # noqa: E402
from mailbot.runtime import FixedClock, build_runtime  # noqa: E402
from mailbot.schedule import due  # noqa: E402
from mailbot.store.db import open_store, sqlite_url  # noqa: E402
from mailbot.store.models import (  # noqa: E402
    Attachment,
    AuditEntry,
    Case,
    MessageSeen,
    OutboxMail,
    Record,
    ScopingRequest,
)

BOARD = "west-sussex"
AGENCIES = 8
EMAILS_PER_CASE = 10
AUDIT_PER_CASE = 5
CHUNK = 2000


def fill_history(store, cases: int) -> float:  # noqa: ANN001
    """``cases`` closed cases with everything the daemon keeps for them; returns seconds taken."""
    started = time.perf_counter()
    at = dt.datetime(2020, 1, 6, 9, 0)
    for first in range(0, cases, CHUNK):
        ids = range(first + 1, min(cases, first + CHUNK) + 1)
        rows: dict[type, list[dict]] = {m: [] for m in (Case, MessageSeen, Attachment, Record, ScopingRequest,
                                                        OutboxMail, AuditEntry)}
        for i in ids:
            year, seq = 1990 + i // 5000, i % 5000 + 1  # years before the live cases' own
            rows[Case].append(dict(id=i, board=BOARD, reference=f"WS-{year}-{seq:04d}", year=year, seq=seq,
                                   stage="closed", status="closed", opened_at=at, notified_on=at.date()))
            rows[MessageSeen].append(dict(
                id=i, board=BOARD, mailbox="inbox", folder="processed", uid=str(i), uidvalidity="1",
                message_id=f"<history-{i}@agency.example>", sha256=hashlib.sha256(b"m%d" % i).hexdigest(),
                sender="someone@agency.example", received_at=at, kind="referral", outcome="processed", case_id=i))
            rows[Attachment].append(dict(
                id=i, board=BOARD, sha256=hashlib.sha256(b"a%d" % i).hexdigest(), filename="referral.docx",
                content_type="application/octet-stream", size=1000, stored_path="/nonexistent", created_at=at))
            rows[Record].append(dict(id=i, board=BOARD, case_id=i, form_type="referral", form_id="history",
                                     agency="Agency", data={"history": i}, attachment_id=i, message_row_id=i,
                                     created_at=at))
            for a in range(AGENCIES):
                rows[ScopingRequest].append(dict(
                    case_id=i, agency=f"Agency {a}", contact_email="x@agency.example",
                    message_id=f"<req-{i}-{a}@board.example>", requested_at=at, due_on=at.date(),
                    status="returned", answered_at=at, chase_level=0))
            for e in range(EMAILS_PER_CASE):
                rows[OutboxMail].append(dict(
                    board=BOARD, case_id=i, kind="scoping_request" if e < AGENCIES else "notice",
                    dedupe_key=f"history:{i}:{e}", message_id=f"<out-{i}-{e}@board.example>",
                    recipients=["x@agency.example"], subject="history", raw=b"x" * 300, created_at=at,
                    status="sent", attempts=1, sent_at=at))
            for _ in range(AUDIT_PER_CASE):
                rows[AuditEntry].append(dict(board=BOARD, case_id=i, at=at, actor="mailbot", action="history",
                                             detail="history"))
        with store.transaction() as s:
            for model, values in rows.items():
                s.execute(insert(model), values)
    if store.engine.dialect.name == "postgresql":
        with store.engine.begin() as conn:
            for table in ("cases", "messages_seen", "attachments", "records", "scoping_requests", "outbox",
                          "audit"):
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"(SELECT max(id) FROM {table}))")
            conn.exec_driver_sql("ANALYZE")
    return time.perf_counter() - started


def measure(root: Path, cases: int, args: argparse.Namespace) -> dict[str, float]:
    workspace = root / f"history-{cases}"
    workspace.mkdir(mode=0o700)
    url = args.database_url or sqlite_url(workspace / "mailbot.db")
    store = open_store(url)
    filled = fill_history(store, cases)
    print(f"  {cases:,} cases of history written in {filled:.1f} s", flush=True)
    clock = FixedClock(DEMO_START)
    rt = build_runtime(load_board(BOARD), store, workspace, clock)
    inbox = workspace / "mail" / BOARD / "inbox"
    form = SAMPLES / "forms/west-sussex/referral/referral-01.docx"
    data = form.read_bytes()
    referral = []
    for i in range(args.referrals):
        deliver(inbox, [referral_email(unique(data, form.name, i), form.name, i)], start=1_800_000_000 + i)
        t = time.perf_counter()
        stats = drain(rt)
        referral.append(time.perf_counter() - t)
        assert stats.handled == 1 and stats.held == 0, stats
    day, days = DEMO_START, []
    for _ in range(args.days + 15):  # past the scoping returns' due date, so reminders go
        day += dt.timedelta(days=1)
        if rt.board.calendar.is_working_day(day.date()):
            days.append(day)
    pass_times = []
    for d in days[-args.days:]:
        clock.set(d)
        t = time.perf_counter()
        due.run_due_work(rt)
        deliver_pending(rt.store, rt.sender, rt.slug, rt.now())
        pass_times.append(time.perf_counter() - t)
    idle = []
    for _ in range(200):
        t = time.perf_counter()
        deliver_pending(rt.store, rt.sender, rt.slug, rt.now())
        idle.append(time.perf_counter() - t)
    rt.close()
    store.dispose()
    return {"referral": statistics.median(referral), "due work": statistics.median(pass_times),
            "idle delivery": statistics.median(idle)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", default="100,20000", help="history sizes, comma-separated (default 100,20000)")
    ap.add_argument("--referrals", type=int, default=15)
    ap.add_argument("--days", type=int, default=5)
    ap.add_argument("--database-url", help="an empty database per size (default: SQLite in the temp dir); "
                                           "with one URL give one size")
    args = ap.parse_args()
    sizes = [int(x) for x in args.cases.split(",")]
    if args.database_url and len(sizes) != 1:
        raise SystemExit("with --database-url, give one size per run (--cases N)")
    print_machine(args.database_url)
    root = temp_root("mailbot-bench-history-")
    results = {}
    for n in sizes:
        print(f"history of {n:,} cases ({n * EMAILS_PER_CASE:,} emails, {n * AGENCIES:,} requests):", flush=True)
        results[n] = measure(root, n, args)
        for name, seconds in results[n].items():
            print(f"    {name}: {seconds * 1000:.1f} ms", flush=True)
    if len(sizes) > 1:
        small, large = min(sizes), max(sizes)
        print()
        for name in results[small]:
            ratio = results[large][name] / results[small][name]
            print(f"{name}: {results[large][name] * 1000:.1f} ms with {large:,} cases vs "
                  f"{results[small][name] * 1000:.1f} ms with {small:,}: ratio {ratio:.2f}")
    finish(root)


if __name__ == "__main__":
    main()
