"""Where a case stands against its regime's milestones."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from mailbot.config import Board
from mailbot.deadlines import Milestone, timeline
from mailbot.store.models import Case
from mailbot.store.review_models import ReviewDate, ReviewRequest  # noqa: F401  (Case.review_dates, .review_requests)


@dataclass
class CaseMilestone:
    milestone: Milestone
    done_on: dt.date | None


def case_events(case: Case) -> dict[str, dt.date]:
    events: dict[str, dt.date] = {}
    if case.notified_on:
        events["notified"] = case.notified_on
    events["referral_received"] = case.opened_at.date()
    if case.requests:
        events["scoping_requested"] = min(r.requested_at for r in case.requests).date()
    if case.decided_on:
        events["decided"] = case.decided_on
    events.update(review_events(case))
    return events


def review_events(case: Case) -> dict[str, dt.date]:
    """Dates recorded after the decision (``DONE``, ``PUBLISH``, the Panel's answer), by name."""
    return {d.name: d.on for d in case.review_dates}


def review_done(board: Board, case: Case, milestone_id: str) -> dt.date | None:
    """A stage-2 milestone done: recorded by a business manager, or every return it dates answered."""
    done = next((d.on for d in case.review_dates if d.name == milestone_id and d.state == "done"), None)
    if done is not None:
        return done
    rules = board.regime.stage2.requests if board.regime.stage2 else None
    kinds = {r.id for r in (rules.returns if rules else []) if r.milestone == milestone_id}
    asked = [r for r in case.review_requests if r.kind in kinds]
    if asked and all(r.status != "outstanding" for r in asked):
        return board.calendar.today(max(r.answered_at for r in asked if r.answered_at))
    return None


def _done(case: Case, milestone_id: str) -> dt.date | None:
    if milestone_id == "scoping_returns" and case.requests:
        if all(r.status != "outstanding" for r in case.requests):
            return max((r.answered_at for r in case.requests if r.answered_at), default=None).date()  # type: ignore[union-attr]
    if milestone_id in ("chair_decision", "partnership_decision", "subgroup_meeting") and case.decided_on:
        return case.decided_on
    return None


def case_milestones(board: Board, case: Case) -> list[CaseMilestone]:
    decision = case.decision if case.decision in board.regime.decisions else None
    items = timeline(board.regime, board.calendar, case_events(case), decision=decision)
    return [CaseMilestone(m, _done(case, m.id) or review_done(board, case, m.id)) for m in items]


def next_deadline(board: Board, case: Case) -> CaseMilestone | None:
    for item in case_milestones(board, case):
        if item.milestone.due is not None and item.done_on is None:
            return item
    return None
