"""Dated milestones of a case and the chasing dates of a return: pure functions of rules, events and calendar."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Collection, Mapping

from mailbot.calendar import BoardCalendar
from mailbot.deadlines.regime import Regime
from mailbot.deadlines.rules import (
    ChaseCadence,
    Decision,
    Direction,
    MilestoneRule,
    Rag,
    RagThresholds,
    Unit,
)
from mailbot.deadlines.standing import Standing, count_unit, judge

# --- timelines -----------------------------------------------------------------


@dataclass(frozen=True)
class Milestone:
    """One dated (or not yet datable) milestone of a case, and when it was done."""

    id: str
    label: str
    due: date | None
    anchor: str
    anchor_date: date | None
    statutory: bool
    chase: bool
    rule: str
    projected: bool = False
    waiting_for: str | None = None
    applies_when: tuple[str, ...] = ()
    calendar: BoardCalendar | None = field(default=None, repr=False, compare=False)
    thresholds: RagThresholds = field(default=RagThresholds(), repr=False, compare=False)
    done_on: date | None = None
    #: The rule's unit and direction: margins are counted in its own unit.
    unit: Unit = "days"
    direction: Direction = "after"
    done_by: str | None = None

    def shown_due(self) -> date | None:
        """The due date, moved back to a working day: where the digest shows it."""
        if self.due is None or self.calendar is None:
            return self.due
        return self.calendar.on_or_before(self.due)

    def working_days_left(self, today: date) -> int | None:
        """Working days from today to the due date; 0 on the day, < 0 overdue."""
        if self.due is None:
            return None
        return self._calendar().working_days_between(today, self.due)

    def standing(self, today: date | None, done_on: date | None = None) -> Standing:
        """Done (met or missed, by how much), due, overdue or waiting on ``today``."""
        return judge(count_unit(self.unit), self.due, done_on or self.done_on, today,
                     self._calendar(), self.thresholds)

    def rag(self, today: date, done_on: date | None = None) -> Rag:
        """Red when overdue or nearly; done on time is green, done late red."""
        return self.standing(today, done_on).rag

    def _calendar(self) -> BoardCalendar:
        if self.calendar is None:
            raise ValueError(f"milestone {self.id} has no calendar to count working days on")
        return self.calendar

    def to_dict(self, today: date | None = None) -> dict[str, Any]:
        st = self.standing(today) if self.calendar is not None else None
        return {
            "id": self.id,
            "label": self.label,
            "due": self.due.isoformat() if self.due else None,
            "shown_due": (d.isoformat() if (d := self.shown_due()) else None),
            "anchor": self.anchor,
            "anchor_date": self.anchor_date.isoformat() if self.anchor_date else None,
            "statutory": self.statutory,
            "chase": self.chase,
            "rule": self.rule,
            "projected": self.projected,
            "waiting_for": self.waiting_for,
            "applies_when": list(self.applies_when),
            "status": st.status if st else None,
            "done_on": self.done_on.isoformat() if self.done_on else None,
            "met": st.met if st else None,
            "margin": st.margin if st else None,
            "margin_unit": st.unit if st else None,
            "standing": st.describe() if st else None,
        }


def recorded_events(regime: Regime, events: Mapping[str, date],
                    decision: Decision | None = None) -> tuple[dict[str, date], Decision | None]:
    """The events with "decided" and "<kind>_decided" filled in from each other."""
    recorded = dict(events)
    if decision is None:
        kinds = [k for k in regime.decisions if f"{k}_decided" in recorded]
        decision = kinds[0] if len(kinds) == 1 else None
    if decision is not None:
        if "decided" in recorded:
            recorded.setdefault(f"{decision}_decided", recorded["decided"])
        elif f"{decision}_decided" in recorded:
            recorded["decided"] = recorded[f"{decision}_decided"]
    return recorded, decision


def timeline(
    regime: Regime,
    calendar: BoardCalendar,
    events: Mapping[str, date],
    decision: Decision | None = None,
    done: Mapping[str, date] | None = None,
    planned: Collection[str] = (),
) -> list[Milestone]:
    """Every milestone of a case, dated where its anchor is known, and done where it is.

    ``events`` holds what has happened (``notified``, ``decided``, ...).
    ``decision`` selects the milestones that apply; a ``scr_decided`` (etc.)
    event implies it. Milestones whose anchor is not recorded are projected
    from the event's ``fallback`` or left undated with ``waiting_for`` set.
    A milestone is done on its ``done_by`` event's date, or on the date
    ``done`` gives for its id (a notification sent); an event in ``planned``
    (a publication date set ahead) dates what is counted from it but does
    not mark anything done. Dated milestones come
    first, in the order the board sees them (shown date, then file order).
    """
    recorded, decision = recorded_events(regime, events, decision)
    done = done or {}

    def applies(rule: MilestoneRule) -> bool:
        return not rule.applies_when or decision is None or decision in rule.applies_when.decision

    rules = {rule.id: rule for rule in regime.milestones if applies(rule)}
    memo: dict[str, tuple[date | None, bool, str | None]] = {}

    def resolve(name: str) -> tuple[date | None, bool, str | None]:
        """(date, projected, waiting_for) of an event or milestone."""
        if name in recorded:
            return recorded[name], False, None
        if name not in memo:
            memo[name] = (None, False, name)  # guards against a cycle
            if name in rules:
                m = dated(rules[name])
                memo[name] = (m.due, m.projected or m.due is not None, m.waiting_for)
            elif name in regime.events and regime.events[name].fallback:
                event = regime.events[name]
                when, _, waiting = resolve(event.fallback or "")
                if when is not None and event.fallback_offset is not None:
                    when = event.fallback_offset.apply(calendar, when)
                memo[name] = (when, when is not None, waiting)
        return memo[name]

    def dated(rule: MilestoneRule) -> Milestone:
        kinds = tuple(rule.applies_when.decision) if rule.applies_when else ()
        anchor_date, projected, waiting = resolve(rule.anchor)
        if kinds and decision is None:
            anchor_date, projected, waiting = None, False, "decided"
        due = rule.offset.apply(calendar, anchor_date) if anchor_date else None
        by_event = recorded.get(rule.done_by) if rule.done_by and rule.done_by not in planned else None
        done_on = done.get(rule.id) or by_event
        return Milestone(
            id=rule.id, label=rule.label, due=due, anchor=rule.anchor, anchor_date=anchor_date,
            statutory=rule.statutory, chase=rule.chase, rule=regime.describe(rule),
            projected=projected, waiting_for=waiting, applies_when=kinds,
            calendar=calendar, thresholds=regime.rag, done_on=done_on,
            unit=rule.offset.unit, direction=rule.offset.direction, done_by=rule.done_by,
        )

    order = {rule.id: n for n, rule in enumerate(regime.milestones)}
    out = [dated(rule) for rule in rules.values()]
    return sorted(out, key=lambda m: (m.due is None, m.shown_due() or date.min, order[m.id]))


# --- chasing -------------------------------------------------------------------


@dataclass(frozen=True)
class ChaseStep:
    number: int
    date: date
    after_working_days: int
    remind_agency: bool
    copy_senior_manager: bool
    escalate_to_business_manager: bool
    template: str


def chase_schedule(cadence: ChaseCadence, calendar: BoardCalendar, due: date) -> list[ChaseStep]:
    """When to chase a return due on ``due``: working days only, one a day."""
    steps: list[ChaseStep] = []
    previous: date | None = None
    for number, rule in enumerate(cadence.steps, start=1):
        when = calendar.on_or_after(calendar.add_working_days(due, rule.after_working_days))
        if previous is not None and when <= previous:
            when = calendar.next_working_day(previous)
        steps.append(
            ChaseStep(
                number=number,
                date=when,
                after_working_days=rule.after_working_days,
                remind_agency=rule.remind_agency,
                copy_senior_manager=rule.copy_senior_manager,
                escalate_to_business_manager=rule.escalate_to_business_manager,
                template=rule.template
                or (f"chase-{number}" if rule.remind_agency else "escalation"),
            )
        )
        previous = when
    return steps
