"""Stage 2: after the decision, each involved agency is asked for its returns.

Swindon's timescale guide (seed 004, Part 3) wants agency chronologies by the
end of week 9 and management reports by week 11. Which returns, from whom
and by when is the regime's ``stage2.requests`` (config): once the
notification it names for the decision has gone (for an SCR, the agencies'
letter telling them to secure their records), every involved agency gets one
request per return, on its own thread, due on the regime's date (never
sooner than ``at_least`` after the request, for a late decision). A return
form the board has only as a mapping (Swindon's chronology) is attached
as a blank made from the mapping (:mod:`mailbot.workflow.blank_form`).

Like scoping requests these are rows (``review_requests``) chased by
:mod:`mailbot.workflow.chasing`; a ``review_requests`` date on the case
(``review_dates``) marks the requests as made, so asking "are they due?"
as often as we like sends them once.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mailbot.config import Agency
from mailbot.deadlines import timeline
from mailbot.deadlines.stage2 import RequestRules, ReturnRule
from mailbot.outbound import outbox
from mailbot.outbound.compose import OutgoingAttachment
from mailbot.runtime import BoardRuntime
from mailbot.store.approvals_models import SENT, Draft
from mailbot.store.models import Case, ScopingRequest
from mailbot.store.review_models import ReviewDate, ReviewRequest
from mailbot.workflow.cases import REVIEW
from mailbot.workflow.common import audit, utc
from mailbot.workflow.progress import case_events

log = logging.getLogger("mailbot.workflow")

#: The ``review_dates`` name that marks a case's stage-2 requests as made.
REQUESTED = "review_requests"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def request_rules(rt: BoardRuntime) -> RequestRules | None:
    stage2 = rt.board.regime.stage2
    return stage2.requests if stage2 else None


def return_label(rt: BoardRuntime, request: ScopingRequest | ReviewRequest) -> str:
    """What the request asked for, in the emails' words."""
    if isinstance(request, ScopingRequest):
        return "scoping return"
    rules = rt.board.regime.stage2.requests if rt.board.regime.stage2 else None
    rule = next((r for r in (rules.returns if rules else []) if r.id == request.kind), None)
    return rule.label if rule else request.kind.replace("_", " ")


def involved_agencies(rt: BoardRuntime, case: Case, rules: RequestRules) -> list[Agency]:
    """Agencies asked at scoping that may know the child (``involved``), or all asked; else the standing ones."""
    names = [r.agency for r in case.requests if rules.agencies == "asked" or r.status != "not_known"]
    if not case.requests:
        return list(rt.directory.standing_agencies)
    return [a for a in (rt.directory.agency(n) for n in names) if a is not None]


def due_for(rt: BoardRuntime, case: Case, rule: ReturnRule, rules: RequestRules, today: dt.date) -> dt.date:
    """The regime's date for ``rule``'s milestone, or ``at_least`` after today when that is later."""
    cal = rt.board.calendar
    soonest = rules.at_least.apply(cal, today)
    decision = case.decision if case.decision in rt.board.regime.decisions else None
    dated = next((m.due for m in timeline(rt.board.regime, cal, case_events(case), decision)
                  if m.id == rule.milestone), None)
    return max(dated, soonest) if dated else soonest


def blank_form(rt: BoardRuntime, case: Case, agency: Agency, rule: ReturnRule) -> list[OutgoingAttachment]:
    """The board's form for this return, from its mapping, case and agency filled in (none if no mapping)."""
    from mailbot.inbound.attachments import safe_filename
    from mailbot.workflow.blank_form import blank_from_mapping

    mapping = next((m for m in rt.board.form_mappings if rule.form_type and m.form_type == rule.form_type), None)
    if mapping is None:
        return []
    data = blank_from_mapping(mapping, {"case_reference": case.reference, "agency": agency.name})
    name = f"{rule.label[:1].upper()}{rule.label[1:]} – {agency.name} ({case.reference}).docx"
    return [OutgoingAttachment(safe_filename(name), data, DOCX)]


def send_review_requests(s: Session, rt: BoardRuntime, case: Case) -> int:
    """Ask every involved agency for every return the regime names; returns requests made."""
    rules = request_rules(rt)
    if rules is None:
        return 0
    today, made = rt.today(), 0
    agencies = involved_agencies(rt, case, rules)
    for rule in rules.returns:
        due = due_for(rt, case, rule, rules, today)
        for agency in agencies:
            contact = agency.scoping_contacts[0]
            form = blank_form(rt, case, agency, rule)
            msg = rt.composer.build(
                "review/request", kind="review_request", to=[contact], now=rt.now(),
                case_reference=case.reference, attachments=form,
                context={"agency": agency, "contact": contact, "due": due, "what": rule.label,
                         "form_attached": bool(form), "case": case})
            row = outbox.queue(s, board=rt.slug, kind="review_request",
                               dedupe_key=f"{rt.slug}:review-request:{case.reference}:{rule.id}:{agency.name}",
                               message=msg, now=rt.now(), case_id=case.id, flush=False)
            if row is None:
                continue
            s.add(ReviewRequest(case_id=case.id, kind=rule.id, agency=agency.name, contact_email=contact.email,
                                message_id=row.message_id, requested_at=utc(rt.now()), due_on=due,
                                status="outstanding", chase_level=0))
            made += 1
        audit(s, rt, "review_returns_requested", f"{rule.id}: {len(agencies)} agencies, due {due.isoformat()}", case)
    s.add(ReviewDate(case_id=case.id, name=REQUESTED, on=today, state="done", recorded_by="mailbot",
                     recorded_at=utc(rt.now())))
    case.stage = REVIEW
    s.flush()
    return made


def requests_due(s: Session, rt: BoardRuntime, case: Case) -> bool:
    """Has the notification that starts this case's stage-2 requests gone, and are they not yet made?"""
    rules = request_rules(rt)
    trigger = rules.after.get(case.decision) if rules and case.decision else None  # type: ignore[call-overload]
    if trigger is None or case.status != "open":
        return False
    if s.scalar(select(ReviewDate.id).where(ReviewDate.case_id == case.id, ReviewDate.name == REQUESTED)):
        return False
    return s.scalar(select(Draft.id).where(Draft.case_id == case.id, Draft.kind == trigger,
                                           Draft.status == SENT).limit(1)) is not None


def start_if_due(s: Session, rt: BoardRuntime, case: Case) -> int:
    """Make the case's stage-2 requests now if their notification has gone (called after an approval)."""
    return send_review_requests(s, rt, case) if requests_due(s, rt, case) else 0


def after_notification_sent(s: Session, rt: BoardRuntime, case: Case) -> None:
    """The Chair approved a notification and it went: if it starts the stage-2 requests, they go too."""
    start_if_due(s, rt, case)


def review_requests_due(rt: BoardRuntime) -> int:
    """The due job: any case whose trigger notification went without its requests being made."""
    rules = request_rules(rt)
    if rules is None:
        return 0
    with rt.store.session() as s:
        made = select(ReviewDate.id).where(ReviewDate.case_id == Draft.case_id, ReviewDate.name == REQUESTED)
        ids = list(s.scalars(select(Draft.case_id).join(Case, Case.id == Draft.case_id).where(
            Draft.board == rt.slug, Draft.status == SENT, Draft.kind.in_(set(rules.after.values())),
            Case.status == "open", ~made.exists()).distinct()))
    made = 0
    for case_id in ids:
        try:
            with rt.store.transaction() as s:
                case = s.get(Case, case_id)
                if case is not None:
                    made += start_if_due(s, rt, case)
        except IntegrityError:  # another thread made them a moment ago
            log.info("%s: stage-2 requests of case %s already made elsewhere", rt.slug, case_id)
    return made
