"""Stage 1: a referral opens a case; agencies are asked, answer, are thanked.

process.md steps 1–4 (the scoping requests themselves: :mod:`mailbot.workflow.scoping`). Each handler runs inside the one transaction of the
message it handles: the case change, the records and every email it causes
commit together or not at all.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.inbound.classify import Classification, FormOutcome
from mailbot.inbound.message import MailMessage
from mailbot.mailbox.base import Folder
from mailbot.runtime import BoardRuntime
from mailbot.store.models import Case, Record, ScopingRequest
from mailbot.workflow.cases import (
    ALL_RETURNS_IN,
    ANSWER_RECORDED,
    AWAITING_DECISION,
    SCOPING,
    Outcome,
    find_case,
    open_case,
)
from mailbot.workflow.common import audit, notify_business_managers, reply, store_attachment, utc
from mailbot.workflow.scoping import send_scoping_requests

log = logging.getLogger("mailbot.workflow")


def _save_record(s: Session, rt: BoardRuntime, form: FormOutcome, case: Case | None,
                 msg_row_id: int | None, agency: str | None) -> Record | None:
    """Store a parsed form once per file content; ``None`` if it was stored before."""
    att = store_attachment(s, rt, form.filename, form.data, form.sha256, form.sniffed)
    if s.scalar(select(Record.id).where(Record.attachment_id == att.id)) is not None:
        return None
    row = Record(board=rt.slug, case_id=case.id if case else None, form_type=form.record.form_type,
                 form_id=form.record.form, agency=agency, data=form.record.model_dump(mode="json"),
                 attachment_id=att.id, message_row_id=msg_row_id, created_at=utc(rt.now()))
    s.add(row)
    s.flush()
    return row


def handle_referral(s: Session, rt: BoardRuntime, msg: MailMessage, cls: Classification,
                    forms: list[FormOutcome], msg_row_id: int) -> Outcome:
    form = next(f for f in forms if f.form_type == "referral")
    existing = find_case(s, rt, cls.case_reference)
    if existing is not None:
        return _referral_for_existing_case(s, rt, existing, form, msg_row_id)
    att_seen = _save_probe(s, rt, form)
    if att_seen:
        return Outcome(Folder.PROCESSED, "the same referral form was received before", att_seen)
    record = form.record
    case = open_case(s, rt, record.notification_date, msg.message_id, msg.from_addr)
    _save_record(s, rt, form, case, msg_row_id, cls.agency_name)
    audit(s, rt, "case_opened", f"referral from {cls.agency_name or cls.identity.role} ({record.form})", case)
    reply(s, rt, "intake/referral-ack", kind="acknowledgement", to=msg.from_addr,
          dedupe_key=f"ack:{msg_row_id}", in_reply_to=msg.message_id, references=msg.references,
          case=case, context={"case": case, "sender_name": msg.from_name})
    if form.doubted:  # a person looks at exactly these fields (named, never their values)
        notify_business_managers(
            s, rt, dedupe_key=f"doubted-fields:{case.reference}", case=case,
            headline="Some fields of the referral form need checking",
            reason="The form reader did not find these required fields, or found them only "
                   "by a weak rule: please check them on the form.",
            details=list(form.doubted))
    unknown = send_scoping_requests(s, rt, case, record)
    if unknown:
        notify_business_managers(
            s, rt, dedupe_key=f"unknown-agencies:{case.reference}", case=case,
            headline="Agencies named on a referral are not in the directory",
            reason="No scoping request was sent to these agencies: please add them to the "
                   "directory or contact them yourself.",
            details=unknown,
        )
        audit(s, rt, "agencies_not_in_directory", f"{len(unknown)} named agencies", case)
    return Outcome(Folder.PROCESSED, None, case)


def _save_probe(s: Session, rt: BoardRuntime, form: FormOutcome) -> Case | None:
    """The case a byte-identical form was already stored against, if any."""
    from mailbot.store.models import Attachment

    att = s.scalar(select(Attachment).where(Attachment.board == rt.slug, Attachment.sha256 == form.sha256))
    if att is None:
        return None
    rec = s.scalar(select(Record).where(Record.attachment_id == att.id))
    return (s.get(Case, rec.case_id) if rec and rec.case_id else None) if rec else None


def _referral_for_existing_case(s: Session, rt: BoardRuntime, case: Case, form: FormOutcome,
                                msg_row_id: int) -> Outcome:
    """A referral for a case we already have: its decision sections, or a copy.

    Decision dates that disagree with the case's are held, the form unsaved,
    so the corrected form is read in full when it comes.
    """
    from mailbot.workflow.decisions import decision_date_problem

    decision = getattr(form.record, "decision", None)
    problem = decision_date_problem(rt, case, decision) if decision is not None else None
    if problem is not None:
        return Outcome(Folder.NEEDS_ATTENTION, problem, case)
    saved = _save_record(s, rt, form, case, msg_row_id, None)
    if saved is None or decision is None:
        return Outcome(Folder.PROCESSED, "a copy of the referral for an existing case", case)
    from mailbot.workflow.decisions import record_decision

    record_decision(s, rt, case, decision, source="form")
    return Outcome(Folder.PROCESSED, None, case)


def _match_request(s: Session, rt: BoardRuntime, case: Case, cls: Classification) -> ScopingRequest | None:
    if cls.thread and cls.thread.request_id:
        req = s.get(ScopingRequest, cls.thread.request_id)
        if req and req.case_id == case.id and (cls.agency_name in (None, req.agency)):
            return req
    if cls.agency_name:
        return s.scalar(select(ScopingRequest).where(ScopingRequest.case_id == case.id,
                                                     ScopingRequest.agency == cls.agency_name))
    return None


def handle_return(s: Session, rt: BoardRuntime, msg: MailMessage, cls: Classification,
                  forms: list[FormOutcome], msg_row_id: int) -> Outcome:
    returned = [f for f in forms if f.form_type in ("scoping_return", "chronology")]
    file_refs = {getattr(f.record, "case_reference", None) for f in returned} - {None}
    reference = cls.case_reference or (next(iter(file_refs)) if len(file_refs) == 1 else None)
    case = find_case(s, rt, reference)
    if case is None:
        return Outcome(Folder.NEEDS_ATTENTION, "a scoping return that matches no open case")
    request = _match_request(s, rt, case, cls)
    stored = [r for r in (_save_record(s, rt, f, case, msg_row_id, cls.agency_name) for f in returned) if r]
    if not stored:
        return Outcome(Folder.PROCESSED, "the same return was received before", case)
    if request is None:
        audit(s, rt, "return_unrequested", f"from {cls.agency_name}", case)
    elif request.status != "returned":
        request.status = "returned"
        request.answered_at = utc(rt.now())
        request.record_id = stored[0].id
    audit(s, rt, "return_received", f"{cls.agency_name}: {len(stored)} form(s)", case)
    reply(s, rt, "scoping/thanks", kind="thanks", to=msg.from_addr, dedupe_key=f"thanks:{msg_row_id}",
          in_reply_to=msg.message_id, references=msg.references, case=case,
          context={"agency": cls.agency_name, "sender_name": msg.from_name, "not_known": False})
    return Outcome(Folder.PROCESSED, None, case, events=_answered_events(s, rt, case))


def handle_not_known(s: Session, rt: BoardRuntime, msg: MailMessage, cls: Classification,
                     forms: list[FormOutcome], msg_row_id: int) -> Outcome:
    case = find_case(s, rt, cls.case_reference)
    if case is None:
        return Outcome(Folder.NEEDS_ATTENTION, "a 'not known' reply that matches no case")
    request = _match_request(s, rt, case, cls)
    if request is None:
        return Outcome(Folder.NEEDS_ATTENTION, "a 'not known' reply from an agency that was not asked", case)
    if request.status == "outstanding":
        request.status = "not_known"
        request.answered_at = utc(rt.now())
        audit(s, rt, "not_known_received", request.agency, case)
        reply(s, rt, "scoping/thanks", kind="thanks", to=msg.from_addr, dedupe_key=f"thanks:{msg_row_id}",
              in_reply_to=msg.message_id, references=msg.references, case=case,
              context={"agency": request.agency, "sender_name": msg.from_name, "not_known": True})
        return Outcome(Folder.PROCESSED, None, case, events=_answered_events(s, rt, case))
    return Outcome(Folder.PROCESSED, None, case)


def _answered_events(s: Session, rt: BoardRuntime, case: Case) -> tuple[str, ...]:
    """An answer was recorded; if it was the last one outstanding, every return is in.

    Every agency asked has answered: the case waits for the decision. What
    follows (the scoping pack, process.md stage 1 step 6) is the layer
    above's to do, in this same transaction: the events say what happened.
    """
    s.flush()
    if not case.requests or any(r.status == "outstanding" for r in case.requests):
        return (ANSWER_RECORDED,)
    audit(s, rt, "all_returns_in", f"{len(case.requests)} agencies answered", case)
    if case.stage == SCOPING:
        case.stage = AWAITING_DECISION
    return (ANSWER_RECORDED, ALL_RETURNS_IN)
