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
from mailbot.deadlines import (
    Milestone,
    Regime,
    chase_schedule,
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
        print(json.dumps(_as_json(slug, calendar, regime, events, args, milestones), indent=2))
    else:
        print(_as_table(slug, calendar, regime, events, args, milestones))
    return 0


def _chases(regime: Regime, calendar: BoardCalendar, m: Milestone) -> list[dict[str, Any]]:
    if not (m.chase and m.due):
        return []
    return [
        {"step": s.number, "date": s.date.isoformat(), "remind_agency": s.remind_agency,
         "copy_senior_manager": s.copy_senior_manager,
         "escalate_to_business_manager": s.escalate_to_business_manager}
        for s in chase_schedule(regime.chasing, calendar, m.due)
    ]


def _as_json(
    slug: str | None,
    calendar: BoardCalendar,
    regime: Regime,
    events: dict[str, date],
    args: argparse.Namespace,
    milestones: list[Milestone],
) -> dict[str, Any]:
    rows = []
    for m in milestones:
        row = m.to_dict(args.today)
        row["weekday"] = m.due.strftime("%A") if m.due else None
        row["working_day"] = calendar.is_working_day(m.due) if m.due else None
        row["holiday"] = calendar.holiday_name(m.due) if m.due else None
        row["chases"] = _chases(regime, calendar, m)
        if args.today:
            row["working_days_left"] = None if m.done_on else m.working_days_left(args.today)
            row["rag"] = m.rag(args.today)
        rows.append(row)
    return {
        "board": slug,
        "regime": regime.id,
        "region": calendar.region,
        "events": {k: v.isoformat() for k, v in events.items()},
        "decision": args.decision,
        "today": args.today.isoformat() if args.today else None,
        "milestones": rows,
    }


def _d(d: date) -> str:
    return d.strftime("%a %d/%m/%Y")


def _note(calendar: BoardCalendar, due: date) -> str:
    """Why a due date is not a working day, and where the digest shows it."""
    if calendar.is_working_day(due):
        return ""
    why = calendar.holiday_name(due) or due.strftime("%A")
    return f"  [{why}; shown {_d(calendar.on_or_before(due))}]"


_INDENT = " " * 19


def _standing(m: Milestone, today: date | None) -> str:
    """"(done 11/01/2027, met with 8 days to spare)", "(due in 3 working days, amber)"."""
    st = m.standing(today)
    if st.status == "done":
        return f"  ({st.describe()})"
    return f"  ({st.describe()}, {st.rag})" if today else ""


def _chase_line(c: dict[str, Any]) -> str:
    who = ["reminder"] if c["remind_agency"] else []
    who += ["copy senior manager"] if c["copy_senior_manager"] else []
    who += ["tell business manager"] if c["escalate_to_business_manager"] else []
    return f"{_INDENT}chase {c['step']}: {_d(date.fromisoformat(c['date']))}, {', '.join(who)}"


def _as_table(
    slug: str | None,
    calendar: BoardCalendar,
    regime: Regime,
    events: dict[str, date],
    args: argparse.Namespace,
    milestones: list[Milestone],
) -> str:
    recorded = ", ".join(f"{regime.anchor_label(k)} {_d(v)}" for k, v in events.items())
    if args.decision:
        recorded += f"; decision: {regime.decisions.get(args.decision, args.decision)}"
    lines = [
        f"Regime {regime.id}: {regime.title}",
        f"Board {slug or '(none)'}; bank holidays of {calendar.region.title()}",
        f"Recorded: {recorded}",
        "",
    ]
    for m in milestones:
        if m.due is None:
            continue
        mark = ("*" if m.statutory else " ") + ("~" if m.projected else " ")
        lines.append(f"{_d(m.due)} {mark} {m.label}{_standing(m, args.today)}")
        lines.append(f"{_INDENT}{m.rule}{_note(calendar, m.due)}")
        lines += [_chase_line(c) for c in _chases(regime, calendar, m)]
    waiting = [m for m in milestones if m.due is None]
    if waiting:
        lines += ["", "Not dated yet:"]
    for m in waiting:
        kinds = " or ".join(regime.decisions.get(k, k) for k in m.applies_when)
        cond = f" (if {kinds})" if kinds else ""
        label = regime.anchor_label(m.waiting_for or m.anchor)
        star = "*" if m.statutory else " "
        lines.append(f"  {star} {m.label}{cond}: waiting for {label}; {m.rule}")
    lines += ["", "* statutory guidance   ~ projected from a date not yet recorded"]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mailbot timeline", description=__doc__)
    _arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
