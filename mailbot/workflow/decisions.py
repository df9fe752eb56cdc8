"""Recording the sub-group's recommendation and the Chair's decision."""

from __future__ import annotations

from sqlalchemy.orm import Session

from mailbot.records import Decision
from mailbot.runtime import BoardRuntime
from mailbot.store.models import Case
from mailbot.workflow.cases import AWAITING_DECISION, AWAITING_NOTIFICATION, SCOPING
from mailbot.workflow.common import audit


def record_decision(s: Session, rt: BoardRuntime, case: Case, decision: Decision, source: str) -> None:
    """Store the Chair's decision on the case (the record itself is stored by the caller)."""
    chair = decision.chair
    if chair.decision is None:
        audit(s, rt, "subgroup_recommendation",
              f"{decision.subgroup.recommendation or 'none'} (from {source})", case)
        return
    case.decision = chair.decision
    case.decided_on = chair.date or rt.today()
    if case.stage in (SCOPING, AWAITING_DECISION):
        case.stage = AWAITING_NOTIFICATION
    audit(s, rt, "decision_recorded", f"{chair.decision} on {case.decided_on.isoformat()} (from {source})", case)
