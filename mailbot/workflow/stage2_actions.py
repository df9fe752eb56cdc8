"""Where stage 2 meets the inbound pipeline (registered the way approvals and packs are, for now).

- ``review_command``: a business manager's ``DONE`` / ``PUBLISH`` (:mod:`mailbot.workflow.milestones`);
- ``panel_reply``: the National Panel's answer to a no-SCR notification (:mod:`mailbot.workflow.challenge`);
- returns, unreadable or unrecognised documents and "not known" replies are first offered to
  stage 2 (:mod:`mailbot.workflow.stage2_returns`), and keep their earlier handling when they
  are not a stage-2 answer;
- after the Chair's reply is handled, the case's stage-2 requests go if the notification that
  starts them has just been sent (:func:`mailbot.workflow.stage2.start_if_due`), in the same
  transaction as the approval.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from mailbot.inbound import classify as k
from mailbot.inbound.classify import Classification, FormOutcome
from mailbot.inbound.message import MailMessage
from mailbot.inbound.pipeline import ACTIONS, Handler, register_action
from mailbot.mailbox.base import Folder
from mailbot.runtime import BoardRuntime
from mailbot.workflow import challenge, milestones, stage2, stage2_returns
from mailbot.workflow.cases import Outcome, find_case


def stage2_first(previous: Handler | None, nil: bool) -> Handler:
    """A stage-2 answer is recorded as one; anything else keeps ``previous``'s handling (or is held)."""

    def handler(s: Session, rt: BoardRuntime, msg: MailMessage, cls: Classification,
                forms: list[FormOutcome], msg_row_id: int) -> Outcome:
        outcome = stage2_returns.handle(s, rt, msg, cls, forms, msg_row_id, nil)
        if outcome is not None:
            return outcome
        if previous is not None:
            return previous(s, rt, msg, cls, forms, msg_row_id)
        return Outcome(Folder.NEEDS_ATTENTION, "; ".join(cls.reasons) or cls.kind, find_case(s, rt, cls.case_reference))

    return handler


def then_start_requests(previous: Handler) -> Handler:
    """The Chair's reply as before; then the stage-2 requests, if its approval sent their trigger."""

    def handler(s: Session, rt: BoardRuntime, msg: MailMessage, cls: Classification,
                forms: list[FormOutcome], msg_row_id: int) -> Outcome:
        outcome = previous(s, rt, msg, cls, forms, msg_row_id)
        if outcome.case is not None and outcome.folder is Folder.PROCESSED:
            stage2.start_if_due(s, rt, outcome.case)
        return outcome

    return handler


register_action(k.REVIEW_COMMAND, milestones.handle_review_command)
register_action(k.PANEL_REPLY, challenge.handle_panel_reply)
for _kind, _nil in ((k.SCOPING_RETURN, False), (k.NOT_A_FORM, False), (k.UNREADABLE, False), (k.NOT_KNOWN, True)):
    register_action(_kind, stage2_first(ACTIONS.get(_kind), _nil))
register_action(k.CHAIR_REPLY, then_start_requests(ACTIONS[k.CHAIR_REPLY]))
