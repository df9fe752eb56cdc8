"""``mailbot cases``: open cases with stage and next deadline."""

from __future__ import annotations

import argparse
import json

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from mailbot.commands import _common
from mailbot.store.models import Case
from mailbot.workflow.cases import stage_label
from mailbot.workflow.progress import next_deadline


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("cases", help="list open cases with their stage and next deadline")
    p.add_argument("--board", help="one board only")
    p.add_argument("--all", action="store_true", help="include closed cases")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def case_rows(store, boards, include_closed: bool = False, today=None) -> list[dict]:  # noqa: ANN001
    import datetime as dt

    by_slug = {b.slug: b for b in boards}
    rows = []
    with store.session() as s:
        q = select(Case).options(selectinload(Case.requests)).order_by(Case.board, Case.reference)
        if not include_closed:
            q = q.where(Case.status == "open")
        for case in s.scalars(q):
            board = by_slug.get(case.board)
            if board is None:
                continue
            day = today or board.calendar.today(dt.datetime.now(dt.timezone.utc))
            nxt = next_deadline(board, case)
            answered = sum(r.status != "outstanding" for r in case.requests)
            rows.append({
                "reference": case.reference,
                "board": case.board,
                "stage": case.stage,
                "stage_label": stage_label(case.stage, board.regime.vocabulary),
                "returns": f"{answered}/{len(case.requests)}",
                "next_deadline": nxt.milestone.label if nxt else None,
                "due": nxt.milestone.due.isoformat() if nxt and nxt.milestone.due else None,
                "working_days_left": nxt.milestone.working_days_left(day) if nxt else None,
                "rag": nxt.milestone.rag(day) if nxt else None,
            })
    return rows


def run(args: argparse.Namespace) -> int:
    store = _common.store(args)
    rows = case_rows(store, _common.boards(args, args.board), args.all)
    if args.board:
        rows = [r for r in rows if r["board"] == args.board]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("No open cases.")
        return 0
    print(f"{'Case':<14} {'Stage':<24} {'Returns':<8} {'Next deadline':<55} {'Due':<11} Left")
    for r in rows:
        left = "" if r["working_days_left"] is None else f"{r['working_days_left']} wd ({r['rag']})"
        print(f"{r['reference']:<14} {r['stage']:<24} {r['returns']:<8} {(r['next_deadline'] or '-')[:55]:<55} {r['due'] or '-':<11} {left}")
    return 0
