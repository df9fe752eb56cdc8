"""Where a case stands against its regime's milestones: what happened when, and what each milestone met.

Done dates are derived from rows the case already has, never typed twice:
the requests answered (``returns_in``), the sub-group's meeting from its
recorded recommendation (``subgroup_met``), the decision (``decided``),
each notification draft sent, which meets the milestone its kind names, and
what stage 2 records after the decision (``DONE``, ``PUBLISH``, returns). The
regime's ``done_by`` ties an event to the milestone it completes; the
judgement (met, missed, by how much) is the deadlines package's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import object_session

from mailbot.config import Board
from mailbot.deadlines import Milestone, order_problems, timeline
from mailbot.store.approvals_models import SENT, Draft
from mailbot.store.models import Case
from mailbot.store.review_models import ReviewDate, ReviewRequest  # noqa: F401  (Case.review_dates, .review_requests)


@dataclass
class CaseMilestone:
    milestone: Milestone
    done_on: dt.date | None


def returns_in(case: Case) -> dt.date | None:
    """The day the last agency asked answered, once every one has."""
    requests = list(case.requests)
    if not requests or any(r.status == "outstanding" for r in requests):
        return None
    answered = [r.answered_at for r in requests if r.answered_at]
    return max(answered).date() if answered else None


def subgroup_meeting(case: Case) -> tuple[dt.date | None, str | None]:
    """(the sub-group's meeting date, its recommendation) from the case's records.

    A recommendation recorded without a meeting date counts as met on the
    day it was recorded; a decision with no sub-group record at all means
    the sub-group met by the decision.
    """
    for rec in case.records:
        if rec.form_type not in ("decision", "referral"):
            continue
        sub = ((rec.data.get("decision") or {}) if rec.form_type == "referral" else rec.data).get("subgroup") or {}
        if sub.get("recommendation") or sub.get("meeting_date"):
            met = sub.get("meeting_date")
            return (dt.date.fromisoformat(met) if met else rec.created_at.date()), sub.get("recommendation")
    return case.decided_on, None


def case_events(case: Case) -> dict[str, dt.date]:
    """What has happened on the case, by the regime's event names."""
    events: dict[str, dt.date] = {}
    if case.notified_on:
        events["notified"] = case.notified_on
    events["referral_received"] = case.opened_at.date()
    if case.requests:
        events["scoping_requested"] = min(r.requested_at for r in case.requests).date()
    if (last := returns_in(case)) is not None:
        events["returns_in"] = last
    met, _ = subgroup_meeting(case)
    if met is not None:
        events["subgroup_met"] = met
    if case.decided_on:
        events["decided"] = case.decided_on
    events.update(review_events(case))
    return events


def sent_drafts(case: Case) -> list[Draft]:
    s = object_session(case)
    if s is None or case.id is None:
        return []
    return list(s.scalars(select(Draft).where(Draft.case_id == case.id, Draft.status == SENT)
                          .order_by(Draft.id)))


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


def case_done(board: Board, case: Case, sent: list[Draft] | None = None) -> dict[str, dt.date]:
    """Milestones met by something sent (the first send) or recorded after the decision (stage 2)."""
    done: dict[str, dt.date] = {}
    for d in sent if sent is not None else sent_drafts(case):
        if d.milestone and d.sent_at:
            done.setdefault(d.milestone, d.sent_at.date())
    for rule in board.regime.milestones:
        if rule.id not in done and (when := review_done(board, case, rule.id)) is not None:
            done[rule.id] = when
    return done


def case_milestones(board: Board, case: Case, sent: list[Draft] | None = None) -> list[CaseMilestone]:
    decision = case.decision if case.decision in board.regime.decisions else None
    planned = {d.name for d in case.review_dates if d.state == "planned"}
    items = timeline(board.regime, board.calendar, case_events(case), decision=decision,
                     done=case_done(board, case, sent), planned=planned)
    return [CaseMilestone(m, m.done_on) for m in items]


def next_deadline(board: Board, case: Case) -> CaseMilestone | None:
    for item in case_milestones(board, case):
        if item.milestone.due is not None and item.done_on is None:
            return item
    return None


def entered_date_problem(board: Board, case: Case, name: str, day: dt.date) -> str | None:
    """One line if ``day`` for the event or milestone ``name`` disagrees with the case's other dates."""
    events, done = case_events(case), case_done(board, case)
    if name in board.regime.events:
        events[name] = day
    else:
        done[name] = day
    decision = case.decision if case.decision in board.regime.decisions else None
    problems = order_problems(board.regime, board.calendar, events, decision, done, {name})
    return problems[0] if problems else None
