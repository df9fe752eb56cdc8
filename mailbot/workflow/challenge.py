"""The National Panel's answer to a decision not to hold a review (seed 000, West Sussex).

The board tells the Panel of a decision not to initiate an SCR; the Panel
may challenge it. A reply from the Panel's configured address (the
classifier has checked the board's server reported no authentication
failure) on the thread of the no-SCR notification is recorded on the case
and read plainly:

- a challenge returns the case to decision: the Chair is asked again by
  reply (``redecision_request``, due ``stage2.challenge.decide_within`` after
  the challenge), and the answer drafts the final outcome for Ofsted, the
  DfE and the Panel, sent only on the Chair's approval (an SCR after all
  drafts the SCR notification and the agencies' letter instead); once it
  has gone a case with no review is closed;
- a reply that does not challenge closes the matter (a case with no review
  is closed);
- anything unclear is held for the business manager, and nothing changes.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.inbound.classify import Classification, FormOutcome
from mailbot.inbound.message import MailMessage
from mailbot.mailbox.base import Folder
from mailbot.records import ChairDecision, Decision, SubgroupDecision
from mailbot.runtime import BoardRuntime
from mailbot.store.approvals_models import ANSWERED, SENT, Draft
from mailbot.store.models import Case, OutboxMail, Record
from mailbot.store.review_models import ReviewDate
from mailbot.workflow import answers
from mailbot.workflow.cases import AWAITING_DECISION, AWAITING_NOTIFICATION, CLOSED, REVIEW, Outcome
from mailbot.workflow.common import audit, notify_business_managers, utc
from mailbot.workflow.publication import set_date

CHALLENGE, NO_CHALLENGE, UNCLEAR = "challenge", "no_challenge", "unclear"
ANSWERED_DATE = "panel_answer"
_NEGATED = re.compile(r"\b(?:no|not|n't|nor|without|never)\b(?:\W+\w+){0,4}?\W+challeng\w*", re.IGNORECASE)
_CHALLENGE = re.compile(r"\bchalleng(?:e|es|ed|ing)\b|\bdisagree\w*|\breconsider\w*", re.IGNORECASE)
_ACCEPT = re.compile(r"\b(?:agree[sd]?|accept(?:s|ed)?|content|supports?|satisfied|"
                     r"no further (?:action|comment|comments|questions?))\b", re.IGNORECASE)


def read_panel_answer(text: str) -> str:
    """CHALLENGE, NO_CHALLENGE or UNCLEAR from what the Panel wrote now (quoted history left out)."""
    own = "\n".join(line for line in (text or "").splitlines() if not line.lstrip().startswith(">"))
    declined = _NEGATED.search(own) is not None
    rest = _NEGATED.sub(" ", own)
    challenged = _CHALLENGE.search(rest) is not None
    accepted = declined or _ACCEPT.search(rest) is not None
    if challenged and not accepted:
        return CHALLENGE
    if accepted and not challenged:
        return NO_CHALLENGE
    return UNCLEAR


def _notification(s: Session, rt: BoardRuntime, cls: Classification) -> Draft | None:
    """The sent no-SCR notification the message threads to."""
    if cls.thread is None or cls.thread.kind != "notification":
        return None
    row = s.scalar(select(OutboxMail).where(OutboxMail.board == rt.slug,
                                            OutboxMail.message_id == cls.thread.message_id))
    if row is None or row.case_id is None:
        return None
    for d in s.scalars(select(Draft).where(Draft.case_id == row.case_id, Draft.kind == "no_scr_notification",
                                           Draft.status == SENT)):
        if row.id in (d.sent_outbox_ids or []):
            return d
    return None


def handle_panel_reply(s: Session, rt: BoardRuntime, msg: MailMessage, cls: Classification,
                       forms: list[FormOutcome], msg_row_id: int) -> Outcome:
    notification = _notification(s, rt, cls)
    if notification is None:
        return Outcome(Folder.NEEDS_ATTENTION, "a message from the National Panel that answers no notification "
                                               "of a decision not to hold a review")
    case = s.get(Case, notification.case_id)
    if s.scalar(select(ReviewDate.id).where(ReviewDate.case_id == case.id, ReviewDate.name == ANSWERED_DATE)):
        return Outcome(Folder.NEEDS_ATTENTION, "a further message from the National Panel about a decision it "
                                               "has already answered", case)
    verdict = read_panel_answer(msg.new_text)
    if verdict == UNCLEAR:
        audit(s, rt, "panel_reply_unclear", f"notification draft {notification.id}", case)
        return Outcome(Folder.NEEDS_ATTENTION, "the National Panel's reply neither clearly challenges nor clearly "
                                               "accepts the decision: please read it and act", case)
    set_date(s, rt, case, ANSWERED_DATE, rt.today(), "done", msg.from_addr)
    if verdict == CHALLENGE:
        return _challenged(s, rt, case, msg)
    audit(s, rt, "panel_accepted_decision", f"notification draft {notification.id}", case)
    closes = case.decision == "no_review"
    if closes:
        case.status, case.stage = "closed", CLOSED
    else:
        case.stage = REVIEW
    notify_business_managers(s, rt, dedupe_key=f"panel-accepted:{case.reference}", case=case,
                             headline="The National Panel did not challenge the decision",
                             reason=f"The Panel's reply on {case.reference} does not challenge the decision"
                                    f"{': the case is closed' if closes else ''}.")
    return Outcome(Folder.PROCESSED, None, case)


def _challenged(s: Session, rt: BoardRuntime, case: Case, msg: MailMessage) -> Outcome:
    from mailbot.workflow.decisions import _long
    from mailbot.workflow.drafts import create_draft

    stage2 = rt.board.regime.stage2
    event = stage2.challenge.event if stage2 else "panel_challenge"
    set_date(s, rt, case, event, rt.today(), "done", msg.from_addr)
    due = (stage2.challenge.decide_within.apply(rt.board.calendar, rt.today()) if stage2 else None)
    labels = dict(rt.board.regime.decisions)
    case.stage = AWAITING_DECISION
    words = answers.first_paragraph(msg.new_text)
    ctx = {"panel_challenge": True, "recommendation": labels.get(case.decision, case.decision),
           "previous_decision_date": _long(case.decided_on), "panel_words": words[:600],
           "decision_due": _long(due), "subgroup_reasons": None}
    draft = create_draft(s, rt, case, "redecision_request", ctx, with_document=False,
                         title=f"Decision after the Panel's challenge for {case.reference}")
    draft.due_on = due
    audit(s, rt, "panel_challenged_decision", f"decision due again by {due.isoformat() if due else '?'}", case)
    notify_business_managers(s, rt, dedupe_key=f"panel-challenge:{case.reference}", case=case,
                             headline="The National Panel challenged the decision",
                             reason=f"The case {case.reference} returns to the Chair for a decision, due by "
                                    f"{_long(due)}; the Chair has been asked ({draft.token}).")
    return Outcome(Folder.PROCESSED, None, case)


def decide_again(s: Session, rt: BoardRuntime, draft: Draft, case: Case, got: answers.DecisionAnswer) -> Outcome:
    """The Chair's answer after the challenge (read and checked by the approvals module): the
    decision recorded, its final outcome drafted."""
    from mailbot.workflow.decisions import _long, document_context, draft_notifications
    from mailbot.workflow.drafts import create_draft

    draft.status, draft.decided_at = ANSWERED, utc(rt.now())
    chair = rt.board.config.chair
    decision = Decision(board=rt.slug, form="chair-reply",
                        subgroup=SubgroupDecision(review_type=got.detail if got.decision == "alternative_review"
                                                  else None),
                        chair=ChairDecision(decision=got.decision, name=chair.name, date=rt.today(),
                                            reasons=got.detail if got.decision == "no_review" else None))
    s.add(Record(board=rt.slug, case_id=case.id, form_type="decision", form_id="chair-reply",
                 data=decision.model_dump(mode="json"), created_at=utc(rt.now())))
    previous = case.decision
    case.decision, case.decided_on, case.stage = got.decision, rt.today(), AWAITING_NOTIFICATION
    audit(s, rt, "decision_after_challenge", f"{previous} -> {got.decision}", case)
    if got.decision == "scr":  # the SCR notification and the agencies' letter are the final outcome
        draft_notifications(s, rt, case, reviewers=got.reviewers)
        return Outcome(Folder.PROCESSED, None, case)
    labels = dict(rt.board.regime.decisions)
    outcome = labels.get(got.decision, got.decision) + (f" ({got.detail})" if got.detail else "")
    vocab = rt.board.regime.vocabulary
    body = (f"Having considered the {vocab.panel}'s challenge, {vocab.decision_maker} decided on "
            f"{_long(rt.today())}: {outcome}.")
    ctx = document_context(rt, case, outcome=outcome, reasons=got.detail, body=body,
                           addressees="Ofsted; the Department for Education; the " + vocab.panel)
    create_draft(s, rt, case, "final_outcome_notification", ctx,
                 title=f"Notification to Ofsted, DfE and the {vocab.panel} – the final decision after the "
                       "Panel's challenge")
    return Outcome(Folder.PROCESSED, None, case)


def after_notification_sent(s: Session, rt: BoardRuntime, case: Case) -> None:
    """The final outcome went after a challenge: a case with no review is closed; an alternative
    review goes on."""
    sent = s.scalar(select(Draft.id).where(Draft.case_id == case.id, Draft.kind == "final_outcome_notification",
                                           Draft.status == SENT).limit(1))
    if sent is None or case.status != "open" or case.stage not in (AWAITING_NOTIFICATION, AWAITING_DECISION):
        return
    if case.decision == "no_review":
        case.status, case.stage = "closed", CLOSED
    else:
        case.stage = REVIEW
    audit(s, rt, "final_outcome_sent", f"case {case.status} ({case.decision})", case)
