"""Approval by reply: the Chair's answer to a draft, accepted only when it is safe.

A reply counts when it comes from the Chair's configured address (the one
the draft was sent to), names exactly one draft by its token (subject, or
the plus-address it was sent to), threads to that draft's email
(In-Reply-To / References), arrives before the draft expires, is the first
answer to it, and the board's own server stamped no DKIM/SPF/DMARC failure.
Only then is its new text read. Anything else sends nothing: the draft is
left as it was, the refusal is noted on it (for the digest), the business
manager is told (the message is held) and, when the reply came from the
Chair's configured address and passed authentication, the Chair is told why.

Replies the classifier already holds (a sender not in the directory, a
failed authentication) never reach the approval logic; a small hook only
notes them on the draft they name.
"""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.inbound.authresults import failed, trusted_results
from mailbot.inbound.classify import Classification, FormOutcome
from mailbot.inbound.message import MailMessage
from mailbot.mailbox.base import Folder
from mailbot.outbound.compose import OutgoingAttachment
from mailbot.records import ChairDecision, Decision, SubgroupDecision
from mailbot.runtime import BoardRuntime
from mailbot.store.approvals_models import (
    ANSWERED,
    APPROVED,
    AWAITING,
    EXPIRED,
    REJECTED,
    SUPERSEDED,
    Draft,
)
from mailbot.store.models import Attachment, Case, Record
from mailbot.workflow import answers
from mailbot.workflow.cases import NOTIFICATION_SENT, Outcome, find_case
from mailbot.workflow.common import (
    audit,
    notify_business_managers,
    read_stored,
    reply,
    store_attachment,
    utc,
)
from mailbot.workflow.drafts import DOCX, TOKEN_RE, send_approved, store_document

_FORWARD = re.compile(r"^\s*(fw|fwd)\s*:", re.IGNORECASE)
ADVICE = "Please reply to the latest email about this draft, keeping its subject as it is."
#: More tokens than this in one reply are refused without looking any up.
MAX_TOKENS = 5


def tokens_in(rt: BoardRuntime, msg: MailMessage) -> set[str]:
    """Tokens the reply names: in the subject, or in a ``mailbox+TOKEN@`` address."""
    found = {f"#{t}" for t in TOKEN_RE.findall(msg.subject or "")}
    local, domain = rt.board.config.mailbox_address.email.split("@", 1)
    plus = re.compile(rf"^{re.escape(local)}\+([a-z2-9]{{6}})@{re.escape(domain)}$", re.IGNORECASE)
    for addr in [*msg.to, *msg.cc]:
        m = plus.match(addr)
        if m:
            found.add(f"#{m.group(1).upper()}")
    return found


def _draft_named(s: Session, rt: BoardRuntime, msg: MailMessage) -> tuple[Draft | None, str | None]:
    tokens = tokens_in(rt, msg)
    if len(tokens) > MAX_TOKENS:  # a subject stuffed with guesses: not one look-up each
        return None, "the reply names more than one draft"
    drafts = [d for d in (s.scalar(select(Draft).where(Draft.board == rt.slug, Draft.token == t))
                          for t in sorted(tokens)) if d is not None]
    if len(drafts) > 1:
        return None, "the reply names more than one draft"
    if drafts:
        return drafts[0], None
    if tokens:
        return None, "the token in the reply matches no draft"
    for mid in msg.thread_ids:  # a reply to a draft with the token edited out
        d = s.scalar(select(Draft).where(Draft.board == rt.slug, Draft.message_id == mid))
        if d is not None:
            return d, "the reply does not carry the draft's token"
    return None, None


def refusal(rt: BoardRuntime, draft: Draft, msg: MailMessage) -> str | None:
    """Why this reply cannot answer ``draft`` (None: it can)."""
    cfg = rt.board.config
    if msg.from_addr != cfg.chair.email or msg.from_addr != draft.chair_email.lower():
        return "it is not from the Chair's configured address"
    bad = failed(trusted_results(msg.header_all("authentication-results"), cfg.authserv_id))
    if bad:
        return f"the board's mail server reports {', '.join(bad)} failed"
    if draft.status == SUPERSEDED:
        return "this draft has been replaced by a newer version"
    if draft.status == EXPIRED or (draft.status == AWAITING and utc(rt.now()) >= draft.expires_at):
        return "this draft has expired"
    if draft.status != AWAITING:
        return f"this draft was already answered ({draft.status.replace('_', ' ')}); its token is used"
    if _FORWARD.match(msg.subject or ""):
        return "a forwarded draft cannot be approved"
    if not draft.message_id or draft.message_id not in msg.thread_ids:
        return "the reply does not answer the draft's email (In-Reply-To / References)"
    return None


def _refuse(s: Session, rt: BoardRuntime, msg: MailMessage, draft: Draft | None, case: Case | None,
            reason: str, msg_row_id: int, tell_chair: bool = True) -> Outcome:
    if draft is not None:
        draft.refusals = [*(draft.refusals or []), f"{utc(rt.now()):%Y-%m-%d %H:%M} {reason}"]
    audit(s, rt, "approval_refused", f"draft {draft.id if draft else '?'}: {reason}", case)
    if tell_chair and msg.from_addr == rt.board.config.chair.email and not msg.automatic:
        reply(s, rt, "approval/refused", kind="approval_refused", to=msg.from_addr,
              dedupe_key=f"refused:{msg_row_id}", in_reply_to=msg.message_id, references=msg.references,
              case=case, context={"title": draft.title if draft else None, "token": draft.token if draft else None,
                                  "reason": reason, "advice": ADVICE})
    return Outcome(Folder.NEEDS_ATTENTION, f"Chair's reply not acted on: {reason}", case)


def _edited_document(msg: MailMessage) -> tuple[list[tuple[str, bytes]], list[tuple[str, bytes]], str | None]:
    """(docx attachments, other attachments, problem) of a reply."""
    from parsers import sniff_type
    from parsers.safety import check_office_zip

    docs, others = [], []
    for att in msg.attachments:
        if att.problem or not att.data:
            continue
        if sniff_type(att.data, att.filename) == "docx":
            try:
                check_office_zip(att.data)
            except Exception as err:  # noqa: BLE001 - any reason the file is unsafe
                return [], [], f"the attached document cannot be read safely ({type(err).__name__})"
            docs.append((att.filename, att.data))
        elif att.filename.lower().endswith(".pdf"):
            others.append((att.filename, att.data))
    if len(docs) > 1:
        return [], [], "more than one Word document is attached"
    return docs, others, None


def _approve(s: Session, rt: BoardRuntime, draft: Draft, case: Case, msg: MailMessage,
             docs: list[tuple[str, bytes]], others: list[tuple[str, bytes]]) -> Outcome:
    draft.status, draft.decided_at = APPROVED, utc(rt.now())
    original = s.get(Attachment, draft.document_id) if draft.document_id else None
    filename = original.filename if original else f"{case.reference}.docx"
    stored = read_stored(rt, original) if original is not None else None
    if docs:
        edited = store_document(s, rt, f"edited-{draft.token[1:]}.docx", docs[0][1])
        draft.edited_document_id = edited.id
        document = OutgoingAttachment(filename, docs[0][1], DOCX)
    elif stored is not None:
        document = OutgoingAttachment(filename, stored, DOCX)
    else:
        document = None
    for name, data in others:  # e.g. the serious incident notification for the Panel
        att = store_attachment(s, rt, name, data, hashlib.sha256(data).hexdigest(), "application/pdf")
        draft.enclosure_ids = [*(draft.enclosure_ids or []), att.id]
    audit(s, rt, "draft_approved", f"draft {draft.id} ({draft.kind}){' edited by the Chair' if docs else ''}", case)
    if not draft.recipients:
        notify_business_managers(s, rt, dedupe_key=f"approved-no-recipients:{draft.id}", case=case,
                                 headline="The Chair approved a draft mailbot has no recipients for",
                                 reason=f"'{draft.title}' was approved; please send it yourself.")
        return Outcome(Folder.PROCESSED, None, case)
    send_approved(s, rt, draft, case, document)
    if draft.kind == "no_scr_notification" and len(draft.enclosure_ids or []) < 2:
        notify_business_managers(s, rt, dedupe_key=f"no-sin:{draft.id}", case=case,
                                 headline="The serious incident notification was not enclosed",
                                 reason="The notification to the National Panel has gone without the local "
                                        "authority's serious incident notification: please send it to the Panel.")
    return Outcome(Folder.PROCESSED, None, case, events=(NOTIFICATION_SENT,))


def _decide(s: Session, rt: BoardRuntime, draft: Draft, case: Case, msg: MailMessage, row_id: int) -> Outcome:
    from mailbot.workflow.decisions import decision_date_problem, record_decision

    vocab = rt.board.regime.vocabulary
    short = vocab.alternative_review_short
    label = dict(rt.board.regime.decisions).get("alternative_review") or vocab.alternative_review
    got = answers.read_decision(msg.new_text, (short, label) if short else None)
    if got.decision is None:
        return _refuse(s, rt, msg, draft, case, got.why or "the decision could not be read", row_id)
    chair = rt.board.config.chair
    decision = Decision(board=rt.slug, form="chair-reply",
                        subgroup=SubgroupDecision(review_type=got.detail if got.decision == "alternative_review"
                                                  else None),
                        chair=ChairDecision(decision=got.decision, name=chair.name, date=rt.today(),
                                            reasons=got.detail if got.decision == "no_review" else None))
    wrong_dates = decision_date_problem(rt, case, decision)
    if wrong_dates is not None:  # nothing recorded, nothing drafted: a person settles the dates
        return _refuse(s, rt, msg, draft, case, wrong_dates, row_id)
    draft.status, draft.decided_at = ANSWERED, utc(rt.now())
    s.add(Record(board=rt.slug, case_id=case.id, form_type="decision", form_id="chair-reply",
                 data=decision.model_dump(mode="json"), created_at=utc(rt.now())))
    record_decision(s, rt, case, decision, source="chair_reply", reviewers=got.reviewers)
    return Outcome(Folder.PROCESSED, None, case)


def handle_chair_reply(s: Session, rt: BoardRuntime, msg: MailMessage, cls: Classification,
                       forms: list[FormOutcome], msg_row_id: int) -> Outcome:
    """A message from the Chair: an answer to a draft, or something for a person."""
    draft, problem = _draft_named(s, rt, msg)
    case = s.get(Case, draft.case_id) if draft else find_case(s, rt, cls.case_reference)
    if draft is None:
        if problem:
            return _refuse(s, rt, msg, None, case, problem, msg_row_id)
        return Outcome(Folder.NEEDS_ATTENTION, "a message from the Chair that answers no draft", case)
    limit = next((a.problem for a in msg.attachments if a.limit), None)  # the reply was not read whole
    why = problem or refusal(rt, draft, msg) or limit
    if why:
        return _refuse(s, rt, msg, draft, case, why, msg_row_id)
    if draft.kind == "decision_request":
        return _decide(s, rt, draft, case, msg, msg_row_id)
    if draft.kind == "redecision_request":  # after the Panel's challenge
        from mailbot.workflow.challenge import decide_again

        got = answers.read_decision(msg.new_text)
        if got.decision is None:
            return _refuse(s, rt, msg, draft, case, got.why or "the decision could not be read", msg_row_id)
        return decide_again(s, rt, draft, case, got)
    docs, others, doc_problem = _edited_document(msg)
    if doc_problem:
        return _refuse(s, rt, msg, draft, case, doc_problem, msg_row_id)
    answer = answers.read_answer(msg.new_text, document_attached=bool(docs), other_attached=bool(others))
    if answer.verb == answers.REJECT:
        draft.status, draft.decided_at, draft.reason = REJECTED, utc(rt.now()), answer.reason
        audit(s, rt, "draft_rejected", f"draft {draft.id} ({draft.kind})", case)
        notify_business_managers(s, rt, dedupe_key=f"draft-rejected:{draft.id}", case=case,
                                 headline="The Chair rejected a draft: nothing was sent",
                                 reason=f"'{draft.title}' was stopped. The Chair's reason: "
                                        f"{answer.reason or '(none given)'}")
        return Outcome(Folder.PROCESSED, None, case)
    if answer.verb == answers.APPROVE:
        return _approve(s, rt, draft, case, msg, docs, others)
    return _refuse(s, rt, msg, draft, case, f"the answer is not clear ({answer.why})", msg_row_id)


def handle_untrusted(s: Session, rt: BoardRuntime, msg: MailMessage, cls: Classification,
                     forms: list[FormOutcome], msg_row_id: int) -> Outcome:
    """A message from a sender we cannot trust is held; if it names a draft, the refusal is noted on it."""
    why = "; ".join(cls.reasons) or cls.kind
    _note_on_named_drafts(s, rt, msg, f"reply refused: {why}", cls.kind.replace("_", " "))
    return Outcome(Folder.NEEDS_ATTENTION, why, find_case(s, rt, cls.case_reference))


def handle_board_mail(s: Session, rt: BoardRuntime, msg: MailMessage, cls: Classification,
                      forms: list[FormOutcome], msg_row_id: int) -> Outcome:
    """Mail from the board's own people is held; one that answers a draft (a business manager
    forwarding the Chair's approval) is refused for exactly that reason, shown against the draft."""
    reason = "approvals must come from the Chair"
    named = _note_on_named_drafts(s, rt, msg, f"reply refused: {reason} (this came from {msg.from_addr})",
                                  "not from the Chair")
    if named is not None:
        return Outcome(Folder.NEEDS_ATTENTION, f"{reason}: it came from {msg.from_addr}", named)
    return Outcome(Folder.NEEDS_ATTENTION, "; ".join(cls.reasons) or cls.kind,
                   find_case(s, rt, cls.case_reference))


def _note_on_named_drafts(s: Session, rt: BoardRuntime, msg: MailMessage, note: str, audit_note: str) -> Case | None:
    """Notes ``note`` on each awaiting draft the message names; the case of the last one, or None."""
    case = None
    tokens = tokens_in(rt, msg)
    if len(tokens) > MAX_TOKENS:
        return None
    for token in sorted(tokens):
        draft = s.scalar(select(Draft).where(Draft.board == rt.slug, Draft.token == token))
        if draft is not None and draft.status == AWAITING:
            draft.refusals = [*(draft.refusals or []), f"{utc(rt.now()):%Y-%m-%d %H:%M} {note}"]
            case = s.get(Case, draft.case_id)
            audit(s, rt, "approval_refused", f"draft {draft.id}: {audit_note}", case)
    return case
