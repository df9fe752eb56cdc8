"""What the daily digest says about each open case: next deadline, timeline strip, deadlines missed.

A board must see a slipped statutory deadline once and clearly: the case's
line carries "missed since the last digest" for each milestone whose due
date passed, undone, between the last digest and this one, and the strip
marks each milestone done on time or late (the deadlines package judges).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from mailbot.runtime import BoardRuntime
from mailbot.store.models import Case
from mailbot.workflow.cases import stage_label
from mailbot.workflow.progress import CaseMilestone, case_milestones


@dataclass
class Cell:
    """One milestone in a case's timeline strip."""

    label: str
    due: dt.date
    rag: str
    done: bool
    #: "met", "missed" (done late) or "" (not done yet).
    verdict: str = ""


@dataclass
class Missed:
    """A milestone that slipped since the last digest: its due date passed undone."""

    label: str
    due: dt.date
    statutory: bool
    #: "not done", or "done 01/03/2026, missed by 1 day" when done late before this digest
    state: str


@dataclass
class CaseLine:
    reference: str
    stage: str
    returns: str
    next_label: str | None
    next_due: dt.date | None
    days_left: int | None
    rag: str
    timeline: list[Cell]
    #: The date a business manager set for the scoping pack, while it has not gone.
    pack_on: dt.date | None = None
    #: The planned publication date (``PUBLISH <ref> ON <date>``).
    publication_on: dt.date | None = None
    #: Milestones whose due date passed since the last digest without being met.
    missed: list[Missed] = field(default_factory=list)


def _missed_since(items: list[CaseMilestone], since: dt.date, day: dt.date, new_case: bool) -> list[Missed]:
    """Milestones that became missed since the last digest: shown once, on the first digest after.

    A milestone is missed the day after its due date if it was not done by
    then; that day falls in (``since``, ``day``] for exactly one digest. A
    case new since the last digest shows every deadline it came in having
    missed already (a referral sent after the decision was due).
    """
    out = []
    for i in items:
        m = i.milestone
        if m.due is None or m.due >= day or (m.due < since and not new_case):
            continue
        if i.done_on is not None and i.done_on <= m.due:
            continue
        state = m.standing(day).describe() if i.done_on else "not done"
        out.append(Missed(m.label, m.due, m.statutory, state))
    return out


def case_line(rt: BoardRuntime, case: Case, day: dt.date, since: dt.datetime) -> CaseLine:
    """The case's digest line on ``day``; ``since``: when the last digest went (naive UTC)."""
    items = case_milestones(rt.board, case)
    cells = []
    for i in items:
        if i.milestone.due is None:
            continue
        st = i.milestone.standing(day)
        cells.append(Cell(i.milestone.label, i.milestone.shown_due() or i.milestone.due, st.rag,
                          st.status == "done", ("met" if st.met else "missed") if st.met is not None else ""))
    pending = next((i for i in items if i.milestone.due is not None and i.done_on is None), None)
    answered = sum(r.status != "outstanding" for r in case.requests)
    return CaseLine(
        reference=case.reference, stage=stage_label(case.stage, rt.board.regime.vocabulary),
        returns=f"{answered} of {len(case.requests)}",
        next_label=pending.milestone.label if pending else None,
        next_due=pending.milestone.shown_due() if pending else None,
        days_left=pending.milestone.working_days_left(day) if pending else None,
        rag=pending.milestone.rag(day) if pending else "grey",
        timeline=cells[:6],
        pack_on=case.pack_on,
        missed=_missed_since(items, rt.board.calendar.today(since), day, case.opened_at >= since),
    )
