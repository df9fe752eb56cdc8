"""Dates that cannot be: a decision before its notification, a publication before completion.

A date typed into a form, an email or the command line is checked against
the case's other dates before it is kept, so a slip of the pen never turns
into a deadline met by a decision "made" before anyone was told of the
case. The rules are the regime's: each event names the events it cannot
come before (``not_before``), and a milestone the board marks done cannot
be done before the recorded event it is counted from ("Ofsted told of the
decision" before the decision). Every problem is one line naming both dates.
"""

from __future__ import annotations

from datetime import date
from typing import Mapping

from mailbot.calendar import BoardCalendar
from mailbot.deadlines.regime import Regime
from mailbot.deadlines.rules import Decision
from mailbot.deadlines.timeline import recorded_events, timeline
from mailbot.errors import MailbotError


class DateOrderError(MailbotError):
    """Two of a case's dates disagree; ``reason`` is one line naming both."""


def _label(regime: Regime, name: str) -> str:
    return regime.anchor_label(name)


def order_problems(
    regime: Regime,
    calendar: BoardCalendar,
    events: Mapping[str, date],
    decision: Decision | None = None,
    done: Mapping[str, date] | None = None,
    only: set[str] | None = None,
) -> list[str]:
    """Every pair of dates in the wrong order, as one line each (empty: all is well).

    ``only``: just the pairs involving these events or milestones, the ones
    being entered now, so a date already on file does not block a new one.
    """
    recorded, decision = recorded_events(regime, events, decision)
    problems: list[str] = []
    for name, event in regime.events.items():
        when = recorded.get(name)
        if when is None:
            continue
        for other in event.not_before:
            first = recorded.get(other)
            if only is not None and not {name, other} & only:
                continue
            if first is not None and when < first:
                problems.append(_sentence(_label(regime, name), when, _label(regime, other), first))
    for m in timeline(regime, calendar, recorded, decision, done):
        marked = (done or {}).get(m.id)
        if only is not None and not {m.id, m.anchor} & only:
            continue
        if marked is None or m.direction == "before" or m.projected or m.anchor_date is None:
            continue  # done_by events are checked above; "before" rules are done before their anchor
        if marked < m.anchor_date:
            problems.append(_sentence(f"{m.label} (done)", marked, _label(regime, m.anchor), m.anchor_date))
    return problems


def check_order(
    regime: Regime,
    calendar: BoardCalendar,
    events: Mapping[str, date],
    decision: Decision | None = None,
    done: Mapping[str, date] | None = None,
    only: set[str] | None = None,
) -> None:
    """Raise ``DateOrderError`` with the first problem, if there is one."""
    problems = order_problems(regime, calendar, events, decision, done, only)
    if problems:
        raise DateOrderError(problems[0])


def _sentence(later: str, when: date, earlier: str, first: date) -> str:
    text = f"{later} ({when:%d/%m/%Y}) is dated before {earlier} ({first:%d/%m/%Y}): one of the dates is wrong"
    return text[0].upper() + text[1:]
