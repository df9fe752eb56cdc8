"""When the pack goes: all returns in, a business manager's ``PACK`` email, a later answer.

Called by the inbound pipeline (:mod:`mailbot.inbound.pipeline` names them
in its tables):

- ``pack_request`` (a business manager's email whose subject is
  ``PACK WS-2026-0001``): the pack is sent to its recipients, or the
  business manager is told why not (no such case; nothing changed since the
  last pack, which is never sent twice). With ``ON 12/03/2026`` after the
  reference, the date is kept for the due-work pass to send the pack on
  (:mod:`mailbot.pack.scheduled`) and the business manager told so in one line.
- ``after_all_returns_in``: the last answer outstanding came in, so the pack goes;
- ``after_review_returns_in``: the review's returns (chronologies, reports) are all in, so
  the updated pack goes to the review panel;
- ``after_answer``: scoping returns and "not known" replies keep their
  stage-1 handling; once a pack has gone for the case, an answer that
  changes it sends an *updated* pack (the outbox refuses an unchanged one).

A pack that cannot be made (a broken template, say) never costs the return
that triggered it: the return is recorded, the business managers are told
and ``mailbot pack`` can make it once the cause is fixed.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from mailbot.inbound.classify import Classification, FormOutcome, pack_command, pack_command_date
from mailbot.inbound.message import MailMessage
from mailbot.mailbox.base import Folder
from mailbot.pack.scheduled import set_pack_date, unknown_case
from mailbot.pack.send import pack_safely, pack_went
from mailbot.runtime import BoardRuntime
from mailbot.store.models import Case
from mailbot.workflow.cases import Outcome, find_case
from mailbot.workflow.common import audit, reply


def handle_pack_request(s: Session, rt: BoardRuntime, msg: MailMessage, cls: Classification,
                        forms: list[FormOutcome], msg_row_id: int) -> Outcome:
    """A business manager's ``PACK <reference>`` email."""
    asked = pack_command(msg.subject) or ""
    case = find_case(s, rt, asked)
    context = {"sender_name": msg.from_name, "original_subject": msg.subject, "asked_reference": asked,
               "example_reference": f"{rt.board.config.reference_prefix}-{rt.today().year}-0001"}
    answer = {"in_reply_to": msg.message_id, "references": msg.references, "to": msg.from_addr,
              "dedupe_key": f"pack-answer:{msg_row_id}", "kind": "pack_answer"}
    written = pack_command_date(msg.subject)
    if written is not None:
        return _pack_date(s, rt, msg, case, asked, written, {**context, "outcome": "dated"}, answer)
    if case is None:
        reply(s, rt, "pack-answer", case=None, context={**context, "outcome": "unknown_case"}, **answer)
        audit(s, rt, "pack_request_refused", f"no case {asked} (from {msg.from_addr})")
        return Outcome(Folder.PROCESSED, f"PACK for {asked}: no such case")
    manager = next((p.name for p in rt.board.config.business_managers if p.email == msg.from_addr), msg.from_addr)
    result = pack_safely(s, rt, case, "request_email", f"{manager} (business manager)")
    audit(s, rt, "pack_requested", f"by {msg.from_addr}: "
          f"{result.status if result else 'failed'}{f' (version {result.version})' if result else ''}", case)
    if result is not None and result.status == "sent":
        return Outcome(Folder.PROCESSED, None, case)
    if result is None:
        reply(s, rt, "pack-answer", case=case, context={**context, "outcome": "failed", "case_reference":
                                                         case.reference, "problem": "an internal error"}, **answer)
        return Outcome(Folder.PROCESSED, "the scoping pack could not be made", case)
    reply(s, rt, "pack-answer", case=case, context={
        **context, "outcome": "unchanged", "version": result.version, "case_reference": case.reference,
        "sent_on": f"{result.sent_on:%d/%m/%Y}" if result.sent_on else "", "recipients": ", ".join(result.recipients)},
        **answer)
    return Outcome(Folder.PROCESSED, "the scoping pack has not changed since it was sent: not sent again", case)


def _pack_date(s: Session, rt: BoardRuntime, msg: MailMessage, case: Case | None, asked: str, written: str,
               context: dict, answer: dict) -> Outcome:
    """``PACK <reference> ON <date>``: keep the date, or say in one line why not."""
    if case is None:
        audit(s, rt, "pack_date_refused", f"no case {asked} (from {msg.from_addr})")
        got = unknown_case(asked)
    else:
        got = set_pack_date(s, rt, case, written, msg.from_addr)
    reply(s, rt, "pack-answer", case=case, context={**context, "line": got.line}, **answer)
    return Outcome(Folder.PROCESSED, None if got.ok else f"PACK {asked} ON: no date set", case)


def after_all_returns_in(s: Session, rt: BoardRuntime, case: Case) -> None:
    """Every agency asked has answered: the sub-group gets the scoping pack (process.md stage 1 step 6)."""
    pack_safely(s, rt, case, "all_returns_in")


def after_answer(s: Session, rt: BoardRuntime, case: Case) -> None:
    """An answer came after a pack went: the updated pack goes (the outbox refuses an unchanged one)."""
    if case.status == "open" and pack_went(s, case):
        pack_safely(s, rt, case, "later_return")


def after_review_returns_in(s: Session, rt: BoardRuntime, case: Case) -> None:
    """Every stage-2 return is in: the pack goes again, updated, with the chronologies merged."""
    pack_safely(s, rt, case, "review_returns_in")
