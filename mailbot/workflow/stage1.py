"""Stage 1: a referral opens a case; agencies are asked, answer, are thanked.

process.md steps 1–4. Each handler runs inside the one transaction of the
message it handles: the case change, the records and every email it causes
commit together or not at all.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailbot.config import Agency
from mailbot.inbound.classify import Classification, FormOutcome
from mailbot.inbound.message import MailMessage
from mailbot.mailbox.base import Folder
from mailbot.outbound import outbox
from mailbot.outbound.compose import OutgoingAttachment, document_template
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


def _request_agencies(rt: BoardRuntime, record) -> tuple[list[Agency], list[str]]:
    """Agencies to ask: those the referral names, then the standing ones.

    Returns (agencies, names on the form that are not in the directory).
    """
    chosen: list[Agency] = []
    unknown: list[str] = []
    for involvement in getattr(record, "agencies", []) or []:
        agency = rt.directory.agency_named(involvement.agency)
        if agency is None:
            if involvement.agency and involvement.agency not in unknown:
                unknown.append(involvement.agency)
        elif agency not in chosen:
            chosen.append(agency)
    for agency in rt.directory.standing_agencies:
        if agency not in chosen:
            chosen.append(agency)
    return chosen, unknown


def _scoping_form(rt: BoardRuntime, case: Case, agency: Agency, due: dt.date, child) -> list[OutgoingAttachment]:  # noqa: ANN001
    """The board's scoping form for this request, with the case's details filled in.

    A ``.docx`` with docxtpl placeholders gets the case reference, the
    child's details, the agency and the return date; agencies complete the
    rest as they always have. A form without placeholders is attached as it is.
    The template is prepared once per file (``document_template``): eight
    requests per referral must not each re-read the board's styles.
    """
    path = rt.board.config.scoping.blank_form
    if not path:
        return []
    file = rt.board.resolve_path(path)
    name = f"{file.stem} – {agency.name} ({case.reference}){file.suffix}"
    if file.suffix.lower() == ".docx":
        cfg = rt.board.config
        data = document_template(file, autoescape=True).render({
            "board_name": cfg.name, "board_short": cfg.short_name, "mailbox": cfg.mailbox_address.email,
            "case_reference": case.reference, "agency": agency.name,
            "due": due.strftime("%d/%m/%Y"), "due_long": f"{due:%A} {due.day} {due:%B %Y}",
            "child_name": (getattr(child, "full_name", None) or " ".join(
                x for x in (getattr(child, "first_name", None), getattr(child, "surname", None)) if x)),
            "child_dob": child.date_of_birth.strftime("%d/%m/%Y") if getattr(child, "date_of_birth", None) else "",
            "child_address": getattr(child, "address", None) or "",
            "incident_date": (child.date_of_incident.strftime("%d/%m/%Y")
                              if getattr(child, "date_of_incident", None) else ""),
        })
    else:
        data = file.read_bytes()
    from mailbot.inbound.attachments import safe_filename

    return [OutgoingAttachment(safe_filename(name), data)]


def scoping_due(rt: BoardRuntime, requested: dt.date) -> dt.date:
    rule = rt.board.regime.milestone("scoping_returns")
    return rule.offset.apply(rt.board.calendar, requested)


def send_scoping_requests(s: Session, rt: BoardRuntime, case: Case, record) -> list[str]:
    """Ask every named and standing agency; returns names not in the directory."""
    agencies, unknown = _request_agencies(rt, record)
    due = scoping_due(rt, rt.today())
    child = getattr(record, "child", None)
    for agency in agencies:
        contact = agency.scoping_contacts[0]
        msg = rt.composer.build(
            "scoping/request", kind="scoping_request", to=[contact], now=rt.now(),
            case_reference=case.reference, attachments=_scoping_form(rt, case, agency, due, child),
            context={"agency": agency, "contact": contact, "due": due, "child": child,
                     "case": case},
        )
        row = outbox.queue(s, board=rt.slug, kind="scoping_request",
                           dedupe_key=f"{rt.slug}:request:{case.reference}:{agency.name}",
                           message=msg, now=rt.now(), case_id=case.id, flush=False)
        if row is None:
            continue
        s.add(ScopingRequest(case_id=case.id, agency=agency.name, contact_email=contact.email,
                             message_id=row.message_id, requested_at=utc(rt.now()), due_on=due,
                             status="outstanding", chase_level=0))
    audit(s, rt, "scoping_requested", f"{len(agencies)} agencies, due {due.isoformat()}", case)
    return unknown


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
    """A referral for a case we already have: its decision sections, or a copy."""
    saved = _save_record(s, rt, form, case, msg_row_id, None)
    decision = getattr(form.record, "decision", None)
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


def _bounce_by_recipient(s: Session, rt: BoardRuntime, cls: Classification) -> Outcome:
    """A bounce that does not name our email: the outstanding requests to the failed address."""
    failed = {a.lower() for a in cls.failed_recipients}
    if not failed:
        return Outcome(Folder.PROCESSED, "a delivery failure for a message that is not ours")
    requests = s.scalars(select(ScopingRequest).join(Case).where(
        Case.board == rt.slug, Case.status == "open", ScopingRequest.status == "outstanding",
        ScopingRequest.bounced_at.is_(None), func.lower(ScopingRequest.contact_email).in_(failed))).all()
    if not requests:
        return Outcome(Folder.PROCESSED, "a delivery failure for a message that is not ours")
    for request in requests:
        request.bounced_at = utc(rt.now())
        audit(s, rt, "delivery_failed", f"{request.agency}: the address failed", request.case)
        notify_business_managers(
            s, rt, dedupe_key=f"bounce-address:{request.id}", case=request.case,
            headline=f"An email to {request.agency} could not be delivered",
            reason=f"Mail to {request.contact_email} bounced: the directory address may be wrong.")
    return Outcome(Folder.PROCESSED, None, requests[0].case)


def handle_bounce(s: Session, rt: BoardRuntime, msg: MailMessage, cls: Classification,
                  forms: list[FormOutcome], msg_row_id: int) -> Outcome:
    from mailbot.workflow.cases import sent_mail

    found = sent_mail(s, rt.slug, [cls.original_message_id] if cls.original_message_id else [])
    if found is None:
        return _bounce_by_recipient(s, rt, cls)
    row, request = found
    case = s.get(Case, row.case_id) if row.case_id else None
    audit(s, rt, "delivery_failed", f"{row.kind} (outbox {row.id})", case)
    if request is not None:
        request.bounced_at = utc(rt.now())
        notify_business_managers(
            s, rt, dedupe_key=f"bounce:{row.id}", case=case,
            headline=f"An email to {request.agency} could not be delivered",
            reason=f"The {row.kind.replace('_', ' ')} to {request.contact_email} bounced: "
                   "the directory address may be wrong.",
        )
    elif row.kind != "notice":
        notify_business_managers(s, rt, dedupe_key=f"bounce:{row.id}", case=case,
                                 headline="An email from mailbot could not be delivered",
                                 reason=f"A {row.kind.replace('_', ' ')} bounced.")
    return Outcome(Folder.PROCESSED, None, case)
