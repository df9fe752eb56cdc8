"""Stage-2 returns: an agency's chronology, report or nil return, matched to what was asked.

Matched like scoping returns: the thread (our request or its reminder),
the case reference, the sender's agency and the form type. On the thread of
any of an agency's stage-2 requests, a chronology form is its chronology (read
and stored as a record, so it joins the integrated chronology) and any other
document is its report, stored as received; a "nil return" / "not known"
reply answers the request it threads to (every outstanding one of the
agency's when it threads to none). Without a thread, from an agency whose
scoping request is answered, a chronology form is taken as its awaited
chronology and a nil return as the answer to everything still awaited.
Anything else is not ours: the caller's stage-1 handling has it.

When every stage-2 request of the case is answered, the outcome says so
(``REVIEW_RETURNS_IN``) and the pipeline has the pack sent again, marked as
updated, to the review panel (or whoever the board's pack goes to).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.inbound.classify import Classification, FormOutcome
from mailbot.inbound.message import MailMessage
from mailbot.mailbox.base import Folder
from mailbot.runtime import BoardRuntime
from mailbot.store.models import Case, OutboxMail
from mailbot.store.review_models import ReviewRequest
from mailbot.workflow import bounces, stage1
from mailbot.workflow.cases import REVIEW_RETURNS_IN, Outcome, find_case
from mailbot.workflow.chasing import REVIEW
from mailbot.workflow.common import audit, reply, store_attachment, utc
from mailbot.workflow.stage2 import request_rules, return_label

THREAD_KINDS = ("review_request", *REVIEW.kinds)


def request_for(s: Session, rt: BoardRuntime, message_id: str | None) -> ReviewRequest | None:
    """The stage-2 request an email of ours was: the request itself, or a reminder of it."""
    if not message_id:
        return None
    req = s.scalar(select(ReviewRequest).where(ReviewRequest.message_id == message_id))
    if req is None:  # a reminder: its dedupe key names the request
        key = s.scalar(select(OutboxMail.dedupe_key).where(OutboxMail.board == rt.slug,
                                                           OutboxMail.message_id == message_id))
        parts = (key or "").split(":")
        if len(parts) == 4 and parts[1] == REVIEW.key and parts[2].isdigit():
            req = s.get(ReviewRequest, int(parts[2]))
    return req


def threaded_request(s: Session, rt: BoardRuntime, cls: Classification) -> ReviewRequest | None:
    """The stage-2 request this message answers by its thread."""
    if cls.thread is None or cls.thread.kind not in THREAD_KINDS:
        return None
    return request_for(s, rt, cls.thread.message_id)


def _rule_form_types(rt: BoardRuntime) -> dict[str, str | None]:
    rules = request_rules(rt)
    return {r.id: r.form_type for r in (rules.returns if rules else [])}


def _match(s: Session, rt: BoardRuntime, cls: Classification, forms: list[FormOutcome], nil: bool,
           ) -> tuple[Case, list[ReviewRequest], ReviewRequest | None] | None:
    """(case, the agency's stage-2 requests, the one threaded to) when the message is a stage-2 answer."""
    threaded = threaded_request(s, rt, cls)
    agency = cls.agency_name
    if threaded is not None:
        if agency not in (None, threaded.agency):
            return None  # another agency on our thread: not matched, a person looks
        case = threaded.case
        agency = threaded.agency
    else:
        case = find_case(s, rt, cls.case_reference)
        if case is None or agency is None:
            return None
    mine = list(s.scalars(select(ReviewRequest).where(ReviewRequest.case_id == case.id,
                                                      ReviewRequest.agency == agency).order_by(ReviewRequest.id)))
    if not mine:
        return None
    if threaded is None:  # by reference and sender: only once the agency's scoping request is answered
        if any(r.agency == agency and r.status == "outstanding" for r in case.requests):
            return None
        types = _rule_form_types(rt)
        waiting = [r for r in mine if r.status == "outstanding"]
        chronology = any(f.form_type == "chronology" for f in forms) and any(
            types.get(r.kind) == "chronology" for r in waiting)
        if not (chronology or (nil and waiting)):
            return None
    return case, mine, threaded


def _answer(req: ReviewRequest, status: str, rt: BoardRuntime) -> None:
    req.status, req.answered_at = status, utc(rt.now())


def handle(s: Session, rt: BoardRuntime, msg: MailMessage, cls: Classification, forms: list[FormOutcome],
           msg_row_id: int, nil: bool) -> Outcome | None:
    """Record a stage-2 return or nil return; None when the message is not one."""
    found = _match(s, rt, cls, forms, nil)
    if found is None:
        return None
    case, mine, threaded = found
    types = _rule_form_types(rt)
    answered: list[ReviewRequest] = []
    if nil:
        for req in ([threaded] if threaded else [r for r in mine if r.status == "outstanding"]):
            if req.status == "outstanding":
                _answer(req, "not_known", rt)
                answered.append(req)
        audit(s, rt, "review_nil_return", f"{mine[0].agency}: {', '.join(r.kind for r in answered) or 'nothing open'}",
              case)
    else:
        for form in (f for f in forms if not f.ignored and f.data):
            is_form = form.form_type is not None and form.record is not None
            req = next((r for r in mine if (types.get(r.kind) == form.form_type if is_form
                                            else types.get(r.kind) is None)), None)
            if req is None:
                continue
            if is_form:
                record = stage1._save_record(s, rt, form, case, msg_row_id, req.agency)
                req.record_id = req.record_id or (record.id if record else None)
            else:
                att = store_attachment(s, rt, form.filename, form.data, form.sha256, form.sniffed)
                req.attachment_id = req.attachment_id or att.id
            if req.status != "returned":
                _answer(req, "returned", rt)
                answered.append(req)
        if not answered and not any(r.status == "returned" for r in mine):
            return None
        audit(s, rt, "review_return_received",
              f"{mine[0].agency}: {', '.join(r.kind for r in answered) or 'a copy of an earlier return'}", case)
    if answered:
        reply(s, rt, "review/thanks", kind="thanks", to=msg.from_addr, dedupe_key=f"thanks:{msg_row_id}",
              in_reply_to=msg.message_id, references=msg.references, case=case,
              context={"agency": mine[0].agency, "sender_name": msg.from_name, "nil": nil,
                       "what": " and ".join(return_label(rt, r) for r in answered)})
    return Outcome(Folder.PROCESSED, None if answered else "a copy of a stage-2 return already recorded", case,
                   events=_all_in(s, rt, case) if answered else ())


def _all_in(s: Session, rt: BoardRuntime, case: Case) -> tuple[str, ...]:
    """Every stage-2 request answered: the layer above sends the updated pack (``REVIEW_RETURNS_IN``)."""
    s.flush()
    requests = list(s.scalars(select(ReviewRequest).where(ReviewRequest.case_id == case.id)))
    if not requests or any(r.status == "outstanding" for r in requests):
        return ()
    audit(s, rt, "review_returns_in", f"{len(requests)} stage-2 requests answered", case)
    return (REVIEW_RETURNS_IN,)


# --- the pipeline's handlers: a stage-2 answer first, else as before ---------------------


def handle_return(s: Session, rt: BoardRuntime, msg: MailMessage, cls: Classification,
                  forms: list[FormOutcome], msg_row_id: int) -> Outcome:
    """A form attached: a stage-2 chronology, or a scoping return (stage 1)."""
    return handle(s, rt, msg, cls, forms, msg_row_id, nil=False) or stage1.handle_return(
        s, rt, msg, cls, forms, msg_row_id)


def handle_not_known(s: Session, rt: BoardRuntime, msg: MailMessage, cls: Classification,
                     forms: list[FormOutcome], msg_row_id: int) -> Outcome:
    """A "not known" / "nil return" reply: to a stage-2 request, or to a scoping request (stage 1)."""
    return handle(s, rt, msg, cls, forms, msg_row_id, nil=True) or stage1.handle_not_known(
        s, rt, msg, cls, forms, msg_row_id)


def handle_document(s: Session, rt: BoardRuntime, msg: MailMessage, cls: Classification,
                    forms: list[FormOutcome], msg_row_id: int) -> Outcome:
    """A document that is no form (or cannot be read): a stage-2 report on its thread, else held."""
    return handle(s, rt, msg, cls, forms, msg_row_id, nil=False) or Outcome(
        Folder.NEEDS_ATTENTION, "; ".join(cls.reasons) or cls.kind, find_case(s, rt, cls.case_reference))


def handle_bounce(s: Session, rt: BoardRuntime, msg: MailMessage, cls: Classification,
                  forms: list[FormOutcome], msg_row_id: int) -> Outcome:
    """A bounce: stage 1 records it and tells the business manager; a stage-2 request it was for is no
    longer chased (chasing a dead address helps nobody; the digest shows it instead)."""
    outcome = bounces.handle_bounce(s, rt, msg, cls, forms, msg_row_id)
    req = request_for(s, rt, cls.original_message_id)
    if req is not None and req.bounced_at is None:
        req.bounced_at = utc(rt.now())
        audit(s, rt, "review_request_bounced", f"{req.agency} ({req.kind})", req.case)
    return outcome
