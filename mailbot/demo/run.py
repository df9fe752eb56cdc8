"""``mailbot demo``'s flow: the main job on the embedded default, start to finish.

Makes a workspace (a local Maildir mailbox, a Maildir "outbox" standing in
for the mail server, and a SQLite database), loads the fictional sample
board and the state its sample replies assume, delivers the sample emails
into the mailbox, runs the daemon's loop until the mailbox is drained and
prints what it did. Running it again on the same workspace handles nothing
twice: the ledger recognises every message.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from mailbot.config import load_board
from mailbot.daemon import drain
from mailbot.demo import DEMO_BOARD, DEMO_START
from mailbot.demo.approval import demo_approval
from mailbot.demo.settle import demo_settle
from mailbot.demo.days import forward
from mailbot.demo.deadlines import demo_deadlines
from mailbot.demo.mailbox import deliver
from mailbot.demo.pack import demo_pack
from mailbot.demo.seed import load_state
from mailbot.demo.stage2 import demo_requests, demo_review
from mailbot.resources import demo_dir
from mailbot.runtime import FixedClock, build_runtime
from mailbot.store.db import open_store, sqlite_url
from mailbot.store.models import Case, MessageSeen, OutboxMail, Record



def _samples(args: argparse.Namespace) -> Path:
    if args.samples:
        return Path(args.samples).resolve()
    return demo_dir()


def run(args: argparse.Namespace) -> int:
    workspace = Path(args.workspace).resolve()
    workspace.mkdir(parents=True, exist_ok=True, mode=0o700)
    samples = _samples(args)
    config_dir = Path(args.config_dir).resolve() if args.config_dir else None
    board = load_board(DEMO_BOARD, config_dir)
    store = open_store(args.database_url or sqlite_url(workspace / "mailbot.db"))
    clock = FixedClock(DEMO_START)
    rt = build_runtime(board, store, workspace, clock)
    print(f"mailbot demo: board {board.config.name} ({board.slug}), workspace {workspace}")
    load_state(rt, samples / "emails" / "bot-state.json", samples)
    with store.session() as s:
        first_outbox = (s.scalar(select(OutboxMail.id).order_by(OutboxMail.id.desc()).limit(1)) or 0)
        seen_before = len(s.scalars(select(MessageSeen.id)).all())
    index = json.loads((samples / "emails" / "index.json").read_text("utf-8"))
    raws = [(samples / "emails" / item["file"]).read_bytes() for item in index["emails"]]
    inbox = workspace / "mail" / board.slug / "inbox"
    deliver(inbox, raws, start=1_700_000_000 + seen_before * 100)
    print(f"Delivered {len(raws)} sample emails to the mailbox ({inbox}).")
    print()
    totals = Counter()
    while True:
        stats = drain(rt)
        totals.update(handled=stats.handled, held=stats.held, sent=stats.sent)
        if not stats.handled:
            break
    _summary(rt, first_outbox, seen_before, totals)
    _pack(rt)
    _approval(rt)
    _settle(rt)
    _stage2(rt, demo_requests, "Stage 2: the agencies' letter approved, the review's requests, a return")
    _forward(rt, args.days)
    _stage2(rt, demo_review, "Stage 2, the clock moved on (reminders, publication set by email, the Chair's approval)")
    print("\nDeadlines, met or missed (the timeline, the case front sheet and the digest say the same):")
    for line in demo_deadlines(rt):
        print(f"  {line}")
    rt.close()
    return 0


def _pack(rt) -> None:  # noqa: ANN001
    """The business manager asks for the scoping pack of the seeded case by email."""
    print("\nThe scoping pack, asked for by the business manager (PACK by email):")
    for line in demo_pack(rt, f"{rt.board.config.reference_prefix}-2026-0001", DEMO_START):
        print(f"  {line}")


def _approval(rt) -> None:  # noqa: ANN001
    """From a recorded decision to a notification the Chair approved by reply."""
    # The forwarded referral's case (07 in the samples); a re-run finds it decided and does nothing.
    lines = demo_approval(rt, reference=f"{rt.board.config.reference_prefix}-2026-0003")
    print("\nDecision, drafts and the Chair's approval by reply:")
    if lines and lines[0].startswith("No open case without a decision"):
        lines = ["already done on an earlier run of the demo: nothing is sent twice"]
    for line in lines:
        print(f"  {line}")


def _settle(rt) -> None:  # noqa: ANN001
    """An agency's reply mailbot cannot read alone, settled by the business manager's reply."""
    print("\nA held message, settled by the business manager's reply:")
    for line in demo_settle(rt):
        print(f"  {line}")


def _forward(rt, days: int) -> None:  # noqa: ANN001
    """Move the demo's clock on, working day by working day: chasing and digests."""
    if days <= 0:
        return
    print(f"\nMoving the clock forward {days} working days (reminders, escalations, daily digests):")
    lines = forward(rt, days)
    for line in lines:
        print(f"  {line}")
    if not lines:
        print("  nothing was due (already sent on an earlier run)")


def _stage2(rt, step, title: str) -> None:  # noqa: ANN001
    """After the decision: stage-2 requests, a return, a reminder, publication set by email, the Chair's approval."""
    print(f"\n{title}:")
    for line in step(rt, f"{rt.board.config.reference_prefix}-2026-0003"):
        print(f"  {line}")


def _summary(rt, first_outbox: int, seen_before: int, totals: Counter) -> None:  # noqa: ANN001
    with rt.store.session() as s:
        new_rows = s.scalars(select(MessageSeen).order_by(MessageSeen.id).offset(seen_before)).all()
        print(f"Messages handled this run: {len(new_rows)}"
              + (f" ({totals['handled'] - len(new_rows)} recognised as already handled)"
                 if totals["handled"] > len(new_rows) else ""))
        for row in new_rows:
            case = s.get(Case, row.case_id) if row.case_id else None
            where = f" [{case.reference}]" if case else ""
            note = f" — {row.reason}" if row.reason else ""
            print(f"  {row.kind:<22}{where:<17} → {row.outcome}{note}")
        opened = [c for c in s.scalars(select(Case).order_by(Case.id)) if c.referral_message_id]
        records = s.scalars(select(Record).where(Record.message_row_id.in_([r.id for r in new_rows]))).all()
        print(f"\nCases opened: {len(opened)}")
        for c in opened:
            print(f"  {c.reference}  stage {c.stage}, {len(c.requests)} scoping requests")
        print(f"\nRecords parsed from attachments: {len(records)}")
        for r in records:
            print(f"  {r.form_type:<15} {r.form_id:<38} {('from ' + r.agency) if r.agency else ''}")
        sent = s.scalars(select(OutboxMail).where(OutboxMail.id > first_outbox).order_by(OutboxMail.id)).all()
        print(f"\nEmails sent: {len(sent)} (written to {rt.data_dir / 'mail' / rt.slug / 'outbox'})")
        for m in sent:
            print(f"  {m.kind:<18} {m.status:<7} to {', '.join(m.recipients)}")
        held = [r for r in new_rows if r.outcome == "needs-attention"]
        print(f"\nHeld for attention: {len(held)} (in the mailbox's needs-attention folder; "
              "the business manager has been told)")
        for r in held:
            print(f"  ledger {r.id}: {r.reason}")
