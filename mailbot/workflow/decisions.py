"""Recording the sub-group's recommendation and the Chair's decision.

The decision arrives from a returned form (West Sussex sections 2–3, the
B&NES office-use box) or from the Chair's reply to the decision request the
bot sends once the sub-group's recommendation is recorded. Either way
``record_decision`` stores it on the case and drafts the notifications the
decision calls for; the drafts go to the Chair for approval, never straight
out.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.deadlines import DateOrderError, order_problems
from mailbot.records import Decision
from mailbot.runtime import BoardRuntime
from mailbot.store.approvals_models import ANSWERED, AWAITING, SENT, SUPERSEDED, Draft
from mailbot.store.models import Case, Record
from mailbot.workflow.cases import AWAITING_DECISION, AWAITING_NOTIFICATION, SCOPING
from mailbot.workflow.common import audit
from mailbot.workflow.progress import case_done, case_events

CRITERIA = {
    "meets_scr_criteria": "The case meets the criteria for a Serious Case Review in Regulation 5(2) "
                          "of the LSCB Regulations 2006.",
    "child_died": "Abuse or neglect of the child is known or suspected, and the child has died.",
    "child_seriously_harmed": "Abuse or neglect of the child is known or suspected, and the child has "
                              "been seriously harmed.",
    "interagency_concerns": "There is cause for concern about the way in which the authority, the "
                            "board or partner agencies worked together to safeguard the child.",
    "learning_opportunity": "The case may provide useful learning about the way local professionals "
                            "and agencies work together.",
    "child_suicide": "The child died by suspected suicide.",
    "child_perpetrator": "The child is alleged to have caused serious harm to another child.",
}
#: Notifications each decision calls for (in drafting order).
NOTIFICATIONS = {
    "scr": ["scr_notification", "agencies_letter"],
    "alternative_review": ["no_scr_notification"],
    "no_review": ["no_scr_notification"],
}
NOTIFICATION_KINDS = {k for kinds in NOTIFICATIONS.values() for k in kinds}


def _long(d: dt.date | None) -> str:
    return f"{d.day} {d:%B %Y}" if d else ""


def _referral(case: Case) -> Record | None:
    return next((r for r in case.records if r.form_type == "referral"), None)


def document_context(rt: BoardRuntime, case: Case, **extra: Any) -> dict[str, Any]:
    """What the letters and emails say (JSON-safe: it is stored on the draft)."""
    cfg = rt.board.config
    vocab = rt.board.regime.vocabulary
    data = (_referral(case).data if _referral(case) else {}) or {}
    child = data.get("child") or {}
    name = child.get("full_name") or " ".join(x for x in (child.get("first_name"), child.get("surname")) if x)
    dob = dt.date.fromisoformat(child["date_of_birth"]) if child.get("date_of_birth") else None
    anchor = case.notified_on or rt.today()
    due = {m: rt.board.regime.milestone(m).offset.apply(rt.board.calendar, anchor)
           for m in ("chronologies", "management_reports") if _has_milestone(rt, m)}
    return {
        "board_name": cfg.name, "board_short": vocab.board_short if vocab else cfg.short_name,
        "board_address": f"{cfg.mailbox_address.name}, {cfg.mailbox_address.email}",
        "chair_name": cfg.chair.name, "chair_role": cfg.chair.role or "Independent Chair",
        "date_long": _long(rt.today()), "case_reference": case.reference,
        "child_line": ", ".join(x for x in (name or "the child named in the referral",
                                             f"d.o.b. {dob:%d/%m/%Y}" if dob else "") if x),
        "decision_date": _long(case.decided_on), "criteria": [CRITERIA[r] for r in data.get("reasons", [])
                                                              if r in CRITERIA],
        "contact": cfg.mailbox_address.email, "reviewers": [], "reasons": None, "review_type": None,
        "enclosures": [], "due_chronologies": _long(due.get("chronologies")),
        "due_reports": _long(due.get("management_reports")), **extra,
    }


def _has_milestone(rt: BoardRuntime, milestone: str) -> bool:
    try:
        rt.board.regime.milestone(milestone)
    except KeyError:
        return False
    return True


def _addressees(rt: BoardRuntime, kind: str) -> str:
    cfg = rt.board.config
    if kind == "scr_notification":
        return "; ".join(p.name for p in (cfg.notify.ofsted, cfg.notify.dfe, cfg.notify.national_panel))
    if kind == "no_scr_notification":
        return cfg.notify.national_panel.name
    return f"{cfg.short_name} board members and partner agencies"


def draft_notifications(s: Session, rt: BoardRuntime, case: Case, *, reasons: str | None = None,
                        review_type: str | None = None, reviewers: list[str] | None = None) -> list[Draft]:
    """Draft what the case's decision calls for; kinds already drafted or sent are skipped."""
    from mailbot.workflow.drafts import create_draft

    made: list[Draft] = []
    wanted = NOTIFICATIONS.get(case.decision or "", [])
    for old in s.scalars(select(Draft).where(Draft.case_id == case.id, Draft.status == AWAITING,
                                             Draft.kind.in_(NOTIFICATION_KINDS - set(wanted)))):
        old.status = SUPERSEDED  # the decision changed: drafts for the old one must not go
        audit(s, rt, "draft_superseded", f"draft {old.id} ({old.kind}): decision changed", case)
    for kind in wanted:
        done = s.scalar(select(Draft.id).where(Draft.case_id == case.id, Draft.kind == kind,
                                               Draft.status.in_([AWAITING, SENT])))
        if done is not None:
            continue
        enclosures: list[int] = []
        names: list[str] = []
        if kind == "no_scr_notification":
            ref = _referral(case)
            if ref is not None and ref.attachment_id:
                enclosures.append(ref.attachment_id)
            names = [f"The referral, with the {rt.board.regime.vocabulary.subgroup}'s recommendation and the Chair's decision",
                     "The local authority's serious incident notification"]
        ctx = document_context(rt, case, reasons=reasons, review_type=review_type, reviewers=reviewers or [],
                               enclosures=names, addressees=_addressees(rt, kind))
        made.append(create_draft(s, rt, case, kind, ctx, enclosure_ids=enclosures))
    return made


def request_decision(s: Session, rt: BoardRuntime, case: Case, recommendation: str | None,
                     subgroup_reasons: str | None = None) -> Draft | None:
    """Ask the Chair to decide (reply SCR / ALTERNATIVE REVIEW: type / NO REVIEW: reasons), once."""
    from mailbot.workflow.drafts import create_draft

    asked = s.scalar(select(Draft.id).where(Draft.case_id == case.id, Draft.kind == "decision_request",
                                            Draft.status.in_([AWAITING, ANSWERED])))
    if asked is not None or case.decision:
        return None
    labels = dict(rt.board.regime.decisions)
    due = rt.board.regime.milestone("chair_decision").offset.apply(
        rt.board.calendar, case.notified_on or rt.today()) if _has_milestone(rt, "chair_decision") else None
    ctx = {"recommendation": labels.get(recommendation or "", recommendation or "none recorded"),
           "subgroup_reasons": subgroup_reasons, "decision_due": _long(due)}
    return create_draft(s, rt, case, "decision_request", ctx, with_document=False,
                        title=f"Decision on a {rt.board.regime.vocabulary.review} for {case.reference}")


def decision_date_problem(rt: BoardRuntime, case: Case, decision: Decision) -> str | None:
    """One line if the decision's dates disagree with the case's (decided before notified), else None."""
    events, entered = case_events(case), set()
    if decision.subgroup.meeting_date:
        events["subgroup_met"] = decision.subgroup.meeting_date
        entered.add("subgroup_met")
    kind = decision.chair.decision
    if kind is not None:
        events["decided"] = decision.chair.date or rt.today()
        entered.add("decided")
    if not entered:
        return None
    kind = kind if kind in rt.board.regime.decisions else None
    problems = order_problems(rt.board.regime, rt.board.calendar, events, kind, case_done(rt.board, case), entered)
    return problems[0] if problems else None


def record_decision(s: Session, rt: BoardRuntime, case: Case, decision: Decision, source: str, *,
                    review_type: str | None = None, reviewers: list[str] | None = None) -> list[Draft]:
    """Store the Chair's decision on the case and draft its notifications.

    A recommendation alone (no Chair's decision yet) asks the Chair to decide.
    The record itself is stored by the caller. Returns the drafts made.
    Dates that cannot be (a decision before the notification, or before the
    case opened) raise ``DateOrderError``, one line naming both dates: the
    caller holds the message and the business manager is told.
    """
    problem = decision_date_problem(rt, case, decision)
    if problem is not None:
        raise DateOrderError(problem)
    chair = decision.chair
    if chair.decision is None:
        audit(s, rt, "subgroup_recommendation",
              f"{decision.subgroup.recommendation or 'none'} (from {source})", case)
        if decision.subgroup.recommendation:
            request_decision(s, rt, case, decision.subgroup.recommendation, decision.subgroup.reasons)
        return []
    case.decision = chair.decision
    case.decided_on = chair.date or rt.today()
    if case.stage in (SCOPING, AWAITING_DECISION):
        case.stage = AWAITING_NOTIFICATION
    audit(s, rt, "decision_recorded", f"{chair.decision} on {case.decided_on.isoformat()} (from {source})", case)
    for asked in s.scalars(select(Draft).where(Draft.case_id == case.id, Draft.kind == "decision_request",
                                               Draft.status == AWAITING)):
        asked.status = ANSWERED if source == "chair_reply" else SUPERSEDED
    return draft_notifications(s, rt, case, reasons=chair.reasons,
                               review_type=review_type or decision.subgroup.review_type, reviewers=reviewers)
