"""Points where one stage hands over to the next."""

from __future__ import annotations

from sqlalchemy.orm import Session

from mailbot.runtime import BoardRuntime
from mailbot.store.models import Case
from mailbot.workflow.cases import AWAITING_DECISION, SCOPING


def all_returns_in(s: Session, rt: BoardRuntime, case: Case) -> None:
    """Every agency asked has answered: the case waits for the decision, and
    the sub-group chair gets the scoping pack (process.md stage 1 step 6),
    queued in this same transaction."""
    if case.stage == SCOPING:
        case.stage = AWAITING_DECISION
    from mailbot.pack.actions import pack_safely

    pack_safely(s, rt, case, "all_returns_in")
