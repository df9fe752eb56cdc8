"""An agency's answer that is only a pointer to a portal or a link.

The agency did answer, so its request is held (``held_at``) and not chased;
the business manager is told, in the held-message notice, that the form must
be opened in the sender's portal (or the link followed) and forwarded to the
board mailbox, where mailbot reads it as the agency's return. It is never
reported as "not a form" or an unknown reply.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.inbound.classify import Classification, FormOutcome
from mailbot.inbound.message import MailMessage
from mailbot.mailbox.base import Folder
from mailbot.runtime import BoardRuntime
from mailbot.store.models import ScopingRequest
from mailbot.workflow.cases import Outcome, find_case
from mailbot.workflow.common import audit, utc

ADVICE = ("please open it in the sender's portal (or follow the link), save the form and forward it to the "
          "board mailbox; the agency is not chased meanwhile")


def handle_portal_pointer(s: Session, rt: BoardRuntime, msg: MailMessage, cls: Classification,
                          forms: list[FormOutcome], msg_row_id: int) -> Outcome:
    case = find_case(s, rt, cls.case_reference)
    what = cls.reasons[0].split(":", 1)[0].removeprefix("the reply is ") if cls.reasons else "a pointer"
    request = _request(s, case, cls)
    if request is not None and request.status == "outstanding" and request.held_at is None:
        request.held_at = utc(rt.now())
        audit(s, rt, "request_held", f"{request.agency}: answered as {what}", case)
    who = cls.agency_name or msg.from_addr
    return Outcome(Folder.NEEDS_ATTENTION, f"{who} answered with {what}: {ADVICE}", case)


def _request(s: Session, case, cls: Classification) -> ScopingRequest | None:  # noqa: ANN001
    if case is None:
        return None
    if cls.thread and cls.thread.request_id:
        found = s.get(ScopingRequest, cls.thread.request_id)
        if found is not None and found.case_id == case.id:
            return found
    if cls.agency_name:
        return s.scalar(select(ScopingRequest).where(ScopingRequest.case_id == case.id,
                                                     ScopingRequest.agency == cls.agency_name))
    return None
