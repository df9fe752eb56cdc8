"""``mailbot case CASE``: one case's milestones, done and due; ``--front-sheet`` writes them as a page.

The front sheet (Swindon Appendix 7, the file front sheet) is the one-page
Word document attached to every scoping pack, made from the case's records
as they stand: what happened when, and every milestone of the board's
regime with its due date and where it stands today.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from mailbot.commands import _common
from mailbot.commands.pack import case_runtime
from mailbot.files import write_private
from mailbot.store.models import Case


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("case", help="show a case's milestones; --front-sheet writes its one-page front sheet",
                       description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("case", metavar="CASE", help="the case reference, e.g. WS-2026-0001")
    p.add_argument("--front-sheet", action="store_true", help="write the case front sheet (.docx)")
    p.add_argument("--out", help="the file to write (default ./<CASE> case front sheet.docx)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mailbot.pack.build import front_sheet_for
    from mailbot.workflow.cases import stage_label

    store = _common.store(args)
    try:
        rt, case_id = case_runtime(args, store, args.case, send=False)
        with store.session() as s:
            case = s.get(Case, case_id)
            data, rows, child = front_sheet_for(s, rt, case)
            reference, stage = case.reference, stage_label(case.stage, rt.board.regime.vocabulary)
        rt.close()
    finally:
        store.dispose()
    print(f"{reference} ({rt.board.config.short_name}) – {stage}; child {child or 'not recorded'}")
    print(f"{'Action or milestone':<62} {'Due':<11} {'Done':<11} Status")
    for r in rows:
        print(f"{r.label[:62]:<62} {f'{r.due:%d/%m/%Y}' if r.due else '':<11} "
              f"{f'{r.done:%d/%m/%Y}' if r.done else '':<11} {r.status}")
    if args.front_sheet:
        out = Path(args.out or f"{reference} case front sheet.docx")
        write_private(out, data)
        print(f"Wrote {out}")
    return 0
