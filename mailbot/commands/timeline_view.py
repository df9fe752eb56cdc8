"""How ``mailbot timeline`` shows a timeline: a table for a person, JSON for a script.

Each milestone with its due date, the rule that dated it, when its returns
would be chased, and where it stands: done (met or missed, by how much),
due or overdue on ``--today``.
"""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from mailbot.calendar import BoardCalendar
from mailbot.deadlines import Milestone, Regime, chase_schedule


def _chases(regime: Regime, calendar: BoardCalendar, m: Milestone) -> list[dict[str, Any]]:
    if not (m.chase and m.due):
        return []
    return [
        {"step": s.number, "date": s.date.isoformat(), "remind_agency": s.remind_agency,
         "copy_senior_manager": s.copy_senior_manager,
         "escalate_to_business_manager": s.escalate_to_business_manager}
        for s in chase_schedule(regime.chasing, calendar, m.due)
    ]


def as_json(
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


def as_table(
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
    marked = [f"{m.label} {_d(m.done_on)}" for m in milestones if m.done_on and m.id in dict(args.done)]
    if marked:
        recorded += f"; done: {', '.join(marked)}"
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
