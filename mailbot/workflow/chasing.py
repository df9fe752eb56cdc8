"""Chasing scoping returns that are late (process.md, stage 1 step 5).

A due job, not a timer: every pass asks "which outstanding returns have a
chase step due today that has not been sent?" and sends it. The regime's
cadence dates the steps (``chase_schedule``: reminders at due + 2 and + 5
working days, the second copying the agency's designated senior manager,
then the business manager told at + 7). What makes it safe to ask that
question as often as we like:

- A step is an outbox row with the dedupe key ``{board}:chase:{request}:{n}``,
  so the database refuses the same step twice, and ``chase_level`` /
  ``last_chased_on`` on the request record how far chasing has gone.
- Nothing goes on a non-working day, or before ``NOT_BEFORE`` London time.
- Only outstanding requests of open cases whose email did not bounce are
  chased: a return or "not known" stops chasing at once; a bounce is shown
  in the digest instead, since chasing a dead address helps nobody.
- An agency gets at most one reminder a day, whichever case it is for; a
  second case's reminder waits for the next working day.
- After downtime only the latest step due is sent; the steps it jumped over
  are recorded in the audit trail (never two reminders on one day).

Stage 2's requests (chronologies, management reports: ``review_requests``)
are chased by the same rules: a :class:`Family` names a kind of request's
table, dedupe key, outbox kinds and templates, and every function here takes
the request's family (scoping by default). "One reminder a day" counts
reminders of every family.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import jinja2
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mailbot.deadlines import ChaseStep, chase_schedule
from mailbot.outbound import outbox
from mailbot.runtime import BoardRuntime
from mailbot.store.models import Case, OutboxMail, ScopingRequest
from mailbot.store.review_models import ReviewRequest
from mailbot.workflow.common import audit
from mailbot.workflow.stage2 import return_label

log = logging.getLogger("mailbot.workflow")

#: No reminder is sent earlier than this, London time, on a working day.
NOT_BEFORE = dt.time(7, 0)
CHASE_KINDS = ("chase", "escalation")

Request = ScopingRequest | ReviewRequest


@dataclass(frozen=True)
class Family:
    """A kind of request chased on the regime's cadence."""

    model: type[ScopingRequest] | type[ReviewRequest]
    #: The dedupe key's second part: ``{board}:{key}:{request}:{step}``.
    key: str
    #: Outbox kinds of a reminder and of an escalation.
    kinds: tuple[str, str]
    #: Template folder of the reminders (``scoping/chase-1``).
    templates: str


SCOPING = Family(ScopingRequest, "chase", CHASE_KINDS, "scoping")
REVIEW = Family(ReviewRequest, "review-chase", ("review_chase", "review_escalation"), "review")
FAMILIES = (SCOPING, REVIEW)


def family_of(request: Request) -> Family:
    return REVIEW if isinstance(request, ReviewRequest) else SCOPING


def chase_key(board: str, request_id: int, step: int, family: Family = SCOPING) -> str:
    return f"{board}:{family.key}:{request_id}:{step}"


def steps_for(rt: BoardRuntime, request: Request) -> list[ChaseStep]:
    return chase_schedule(rt.board.regime.chasing, rt.board.calendar, request.due_on)


def next_step(rt: BoardRuntime, request: Request, today: dt.date) -> tuple[ChaseStep | None, list[ChaseStep]]:
    """(the step to send today, the earlier due steps it jumps over)."""
    due = [st for st in steps_for(rt, request) if st.date <= today and st.number > request.chase_level]
    if not due:
        return None, []
    return due[-1], due[:-1]


def _purpose(rt: BoardRuntime, step: ChaseStep, family: Family = SCOPING) -> str:
    """The template of a step: ``scoping/chase-N``, ``notices/escalation`` or a path."""
    name = step.template
    if "/" in name:
        return name
    escalation = "notices/escalation" if family is SCOPING else f"{family.templates}/escalation"
    purpose = escalation if step.escalate_to_business_manager and not step.remind_agency \
        else f"{family.templates}/{name}"
    try:
        rt.composer.env.get_template(f"email/{purpose}.txt")
    except jinja2.TemplateNotFound:  # a longer cadence than the shipped templates
        purpose = f"{family.templates}/chase-2" if step.copy_senior_manager else f"{family.templates}/chase-1"
    return purpose


@dataclass(frozen=True)
class ChaseRecord:
    """One reminder or escalation already sent about a request (for the digest)."""

    on: dt.date
    kind: str
    step: int | None
    recipients: tuple[str, ...]


def chase_history(s: Session, rt: BoardRuntime, request: Request) -> list[ChaseRecord]:
    """Every chase of this request, including ones loaded from an earlier state."""
    family = family_of(request)
    rows = s.scalars(
        select(OutboxMail)
        .where(OutboxMail.board == rt.slug, OutboxMail.case_id == request.case_id,
               OutboxMail.kind.in_(family.kinds))
        .order_by(OutboxMail.created_at, OutboxMail.id)
    ).all()
    prefix = f"{rt.slug}:{family.key}:{request.id}:"
    out = []
    for row in rows:
        ours = row.dedupe_key.startswith(prefix)
        if not ours and not (family is SCOPING and row.kind == "chase"
                             and request.contact_email.lower() in row.recipients):
            continue
        step = int(row.dedupe_key.rsplit(":", 1)[1]) if ours else None
        when = rt.board.calendar.today(row.sent_at or row.created_at)
        out.append(ChaseRecord(when, "escalation" if row.kind == family.kinds[1] else row.kind, step,
                               tuple(row.recipients)))
    return out


def chase_lines(s: Session, rt: BoardRuntime, request: Request) -> list[str]:
    """The request's chasing in a pack's words: "reminder 1 22/04/2026", "business manager told …",
    "email bounced …" (scoping and review requests alike)."""
    out = []
    for c in chase_history(s, rt, request):
        if c.kind == "escalation":
            out.append(f"business manager told {c.on:%d/%m/%Y}")
        else:
            out.append(f"reminder {c.step or ''} {c.on:%d/%m/%Y}".replace("  ", " "))
    if request.bounced_at:
        out.append(f"email bounced {rt.board.calendar.today(request.bounced_at):%d/%m/%Y}")
    return out


def _send_step(s: Session, rt: BoardRuntime, request: Request, case: Case,
               step: ChaseStep, today: dt.date) -> bool:
    family = family_of(request)
    agency = rt.directory.agency(request.agency)
    contact = next((p for p in (agency.scoping_contacts if agency else []) if p.email == request.contact_email),
                   request.contact_email)
    senior = agency.senior_manager if agency and step.copy_senior_manager else None
    history = chase_history(s, rt, request)
    context = {
        "agency": request.agency, "contact": contact, "senior_manager": senior, "step": step.number,
        "due": request.due_on, "requested_on": request.requested_at.date(), "today": today,
        "working_days_late": rt.board.calendar.working_days_between(request.due_on, today),
        "history": history, "case": case,
        "business_managers": rt.board.config.business_managers,
        "what": return_label(rt, request),
    }
    if step.remind_agency:
        to, cc, kind = [contact], ([senior] if senior else []), family.kinds[0]
    else:
        to, cc, kind = rt.board.config.business_managers, [], family.kinds[1]
    msg = rt.composer.build(
        _purpose(rt, step, family), kind=kind, to=to, cc=cc, now=rt.now(), context=context,
        case_reference=case.reference, in_reply_to=request.message_id, references=[],
    )
    row = outbox.queue(s, board=rt.slug, kind=kind, dedupe_key=chase_key(rt.slug, request.id, step.number, family),
                       message=msg, now=rt.now(), case_id=case.id)
    return row is not None


def _chased_today(s: Session, rt: BoardRuntime, agency: str, today: dt.date, request: Request) -> bool:
    """Has this agency had a reminder today, on any case of this board, for any request?"""
    for family in FAMILIES:
        model = family.model
        query = (select(model.id).join(Case)
                 .where(Case.board == rt.slug, model.agency == agency, model.last_chased_on == today))
        if isinstance(request, model):
            query = query.where(model.id != request.id)
        if s.scalar(query.limit(1)) is not None:
            return True
    return False


def chase_request(s: Session, rt: BoardRuntime, request: Request, today: dt.date) -> bool:
    """Send the one step due today for ``request``, if any; True when one was queued."""
    case = request.case
    if (case.status != "open" or request.status != "outstanding" or request.bounced_at is not None
            or getattr(request, "held_at", None) is not None or request.last_chased_on == today):
        return False
    step, skipped = next_step(rt, request, today)
    if step is None:
        return False
    if step.remind_agency and _chased_today(s, rt, request.agency, today, request):
        return False  # one reminder a day per agency: this one goes next working day
    if not _send_step(s, rt, request, case, step, today):
        return False
    for missed in skipped:
        audit(s, rt, "chase_skipped",
              f"{request.agency}{_of(request)}: step {missed.number} due {missed.date.isoformat()} not sent "
              f"(step {step.number} sent instead)", case)
    request.chase_level = step.number
    if step.remind_agency:
        request.last_chased_on = today
    action = "chase_sent" if step.remind_agency else "chase_escalated"
    audit(s, rt, action, f"{request.agency}{_of(request)}: step {step.number}, due {request.due_on.isoformat()}",
          case)
    return True


def _of(request: Request) -> str:
    return f" ({request.kind})" if isinstance(request, ReviewRequest) else ""


def outstanding_ids(s: Session, rt: BoardRuntime, today: dt.date, family: Family = SCOPING) -> list[int]:
    model = family.model
    return list(s.scalars(
        select(model.id).join(Case)
        .where(Case.board == rt.slug, Case.status == "open", model.status == "outstanding",
               model.bounced_at.is_(None), model.due_on < today,
               *([model.held_at.is_(None)] if hasattr(model, "held_at") else []))
        .order_by(model.due_on, model.id)
    ))


def is_chasing_time(rt: BoardRuntime) -> bool:
    now = rt.now()
    local = (now if now.tzinfo else now.replace(tzinfo=dt.timezone.utc)).astimezone(rt.board.calendar.timezone)
    return rt.board.calendar.is_working_day(local.date()) and local.time() >= NOT_BEFORE


def chase_due(rt: BoardRuntime) -> int:
    """The due job (listed in ``mailbot.schedule``): every chase step due now,
    each request in its own transaction so one failure holds up no other."""
    if not is_chasing_time(rt):
        return 0
    today = rt.today()
    with rt.store.session() as s:
        ids = [(family, i) for family in FAMILIES for i in outstanding_ids(s, rt, today, family)]
    sent = 0
    for family, request_id in ids:
        try:
            with rt.store.transaction() as s:
                request = s.get(family.model, request_id)
                if request is not None and chase_request(s, rt, request, today):
                    sent += 1
        except IntegrityError:  # another thread queued the same step at the same moment
            log.info("%s: chase of request %s already queued elsewhere", rt.slug, request_id)
    if sent:
        log.info("%s: %d chase emails queued", rt.slug, sent)
    return sent


def utc_at(rt: BoardRuntime, day: dt.date, at: dt.time) -> dt.datetime:
    """``day`` at local time ``at`` on the board's clock, in UTC."""
    local = dt.datetime.combine(day, at, tzinfo=rt.board.calendar.timezone)
    return local.astimezone(dt.timezone.utc)

