"""``mailbot timeline``: a case's dated milestones, so an admin can check the rules.

Given a notification date (and optionally the decision and other events),
it prints every milestone the board's regime sets, the rule that dated it,
whether it was met or missed once done, and when returns would be chased,
on the board's own calendar. Dates that cannot be (a decision before the
notification) are refused. Nothing is read from or written to the database:
it answers "what would the bot do with these dates?".
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import date
from pathlib import Path
from typing import Any, Sequence

from mailbot.calendar import REGIONS, BoardCalendar
from mailbot.commands.timeline_view import as_json, as_table
from mailbot.deadlines import (
    Regime,
    load_regime,
    order_problems,
    timeline,
)
from mailbot.errors import ConfigError

DECISIONS = ("scr", "alternative_review", "no_review")
_BRITISH = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def parse_date(text: str) -> date:
    """A date written British-style (03/04/2026 is 3 April) or ISO (2026-04-03)."""
    text = text.strip()
    m = _BRITISH.match(text)
    try:
        if m:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        return date.fromisoformat(text)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"not a date: {text!r} (use DD/MM/YYYY or YYYY-MM-DD)")


def _event(text: str) -> tuple[str, date]:
    name, sep, when = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"write an event as NAME=DATE, not {text!r}")
    return name.strip(), parse_date(when)


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "timeline",
        help="show a case's dated milestones for given dates",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    _arguments(p)
    p.set_defaults(func=run)
    return p


def _arguments(p: argparse.ArgumentParser) -> None:
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--board", help="board slug or board YAML file")
    source.add_argument(
        "--regime", help="regime name (wt2015, wt2023) or YAML file, without a board"
    )
    p.add_argument("--region", choices=REGIONS, default=None,
                   help="bank holidays to use with --regime (default england)")
    p.add_argument("--notified", type=parse_date, required=True, help="date of the notification")
    p.add_argument("--decided", type=parse_date, help="date of the decision")
    p.add_argument("--decision", choices=DECISIONS, help="what was decided")
    p.add_argument("--event", type=_event, action="append", default=[], metavar="NAME=DATE",
                   help="another recorded event, e.g. completed=2026-09-01 (repeatable)")
    p.add_argument("--done", type=_event, action="append", default=[], metavar="MILESTONE=DATE",
                   help="a milestone done on a date, e.g. notify_scr_decision=2026-04-20 (repeatable)")
    p.add_argument(
        "--today", type=parse_date, help="also show working days left, overdue and RAG on this date"
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _load(args: argparse.Namespace) -> tuple[str | None, BoardCalendar, Regime]:
    if args.board:
        if args.region:
            raise ConfigError("--region goes with --regime; a board's region is in its config")
        from mailbot.config import load_board  # noqa: PLC0415 - only this path needs it

        config_dir = getattr(args, "config_dir", None)  # the global --config-dir
        board = load_board(args.board, Path(config_dir).resolve() if config_dir else None)
        return board.slug, board.calendar, board.regime
    return None, BoardCalendar(region=args.region or "england"), load_regime(args.regime)


def _events(args: argparse.Namespace, regime: Regime) -> dict[str, date]:
    if args.decided and not args.decision:
        raise ConfigError("--decided needs --decision (scr, alternative_review or no_review)")
    known = set(regime.events) | {f"{k}_decided" for k in regime.decisions}
    events = {"notified": args.notified}
    if args.decided:
        events["decided"] = args.decided
    for name, when in args.event:
        if name not in known:
            names = ", ".join(sorted(known))
            raise ConfigError(f"regime {regime.id} has no event {name!r} (known: {names})")
        events[name] = when
    return events


def _done(args: argparse.Namespace, regime: Regime) -> dict[str, date]:
    ids = [rule.id for rule in regime.milestones]
    for name, _ in args.done:
        if name not in ids:
            raise ConfigError(f"regime {regime.id} has no milestone {name!r} (known: {', '.join(ids)})")
    return dict(args.done)


def run(args: argparse.Namespace) -> int:
    """Print the timeline; 0 on success, 2 on a usage or config problem."""
    try:
        slug, calendar, regime = _load(args)
        events, done = _events(args, regime), _done(args, regime)
    except ConfigError as err:
        print(f"mailbot timeline: {err}", file=sys.stderr)
        for file, key, reason in err.problems:
            print(f"  {file}: {key}: {reason}", file=sys.stderr)
        return 2
    problems = order_problems(regime, calendar, events, args.decision, done)
    if problems:
        print(f"mailbot timeline: {problems[0]}", file=sys.stderr)
        return 2
    milestones = timeline(regime, calendar, events, decision=args.decision, done=done)
    if args.json:
        print(json.dumps(as_json(slug, calendar, regime, events, args, milestones), indent=2))
    else:
        print(as_table(slug, calendar, regime, events, args, milestones))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mailbot timeline", description=__doc__)
    _arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
