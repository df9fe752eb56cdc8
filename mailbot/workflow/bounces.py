"""A delivery failure for an email mailbot sent: the request is marked, the business manager told.

The original is found by the Message-ID the bounce quotes; a bounce that
quotes none (some servers return only the address) marks the outstanding
requests to the failed address; a bounce for anything else changes nothing.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailbot.inbound.classify import Classification, FormOutcome
from mailbot.inbound.message import MailMessage
from mailbot.mailbox.base import Folder
from mailbot.runtime import BoardRuntime
from mailbot.store.models import Case, ScopingRequest
from mailbot.workflow.cases import Outcome, sent_mail
from mailbot.workflow.common import audit, notify_business_managers, utc


def handle_bounce(s: Session, rt: BoardRuntime, msg: MailMessage, cls: Classification,
                  forms: list[FormOutcome], msg_row_id: int) -> Outcome:
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
