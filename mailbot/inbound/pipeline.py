"""One way through: mailbox → read → parse forms → classify → act → ledger.

``handle_message`` is the only place that names the order of the stages.
It runs each message in one transaction (the ledger row, the case change and
every email it causes commit together) and returns the folder the message
belongs in. Any unexpected error rolls the step back, records the message
as needing attention with a one-line reason, tells the business manager and
returns normally, so one bad message never stops the loop.
"""

from __future__ import annotations

import hashlib
import logging
import traceback
from typing import TYPE_CHECKING, Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.errors import MailbotError
from mailbot.inbound import classify as k
from mailbot.inbound.classify import (
    Classification,
    FormOutcome,
    SentInfo,
    classify,
    subject_reference,
)
from mailbot.inbound.forms import FORM_TYPES, read_forms  # noqa: F401  (FORM_TYPES: re-exported)
from mailbot.inbound.message import MailMessage, MailProblem, read_message
from mailbot.mailbox.base import Folder, IncomingMessage
from mailbot.runtime import BoardRuntime
from mailbot.store.db import StoreUnavailable
from mailbot.store.models import Case, MessageSeen
from mailbot.pack import actions as pack_actions
from mailbot.workflow import approvals, challenge, milestones, pointers, settle, stage1, stage2, stage2_returns
from mailbot.workflow.cases import (
    ALL_RETURNS_IN,
    ANSWER_RECORDED,
    NOTIFICATION_SENT,
    REVIEW_RETURNS_IN,
    Outcome,
    case_exists,
    find_case,
    sent_mail,
)
from mailbot.workflow.common import audit, notify_business_managers, reply, store_attachment, utc

if TYPE_CHECKING:
    from mailbot.inbound.parse_ahead import Parsed

log = logging.getLogger("mailbot.inbound")

DEFAULT_NOT_KNOWN = [
    "not known to", "no record of", "no records of", "no involvement", "not been involved",
    "no trace", "nil return", "not open to", "no information held", "not known by",
]

Handler = Callable[[Session, BoardRuntime, MailMessage, Classification, list[FormOutcome], int], Outcome]
#: What each kind does: the only table of handlers. Kinds not listed are held for a person.
ACTIONS: dict[str, Handler] = {
    k.REFERRAL: stage1.handle_referral,
    # a stage-2 answer (chronology, report, nil return) first; else as stage 1 has it
    k.SCOPING_RETURN: stage2_returns.handle_return,
    k.NOT_KNOWN: stage2_returns.handle_not_known,
    k.NOT_A_FORM: stage2_returns.handle_document,
    k.UNREADABLE: stage2_returns.handle_document,
    k.BOUNCE: stage2_returns.handle_bounce,
    k.CHAIR_REPLY: approvals.handle_chair_reply,
    k.PACK_REQUEST: pack_actions.handle_pack_request,
    # held for a person, the agency's request not chased meanwhile
    k.PORTAL_POINTER: pointers.handle_portal_pointer,
    # a business manager's reply to a held message's notice: acted on once verified
    k.SETTLE_REPLY: settle.handle_settle_reply,
    k.REVIEW_COMMAND: milestones.handle_review_command,
    k.PANEL_REPLY: challenge.handle_panel_reply,
    # held, and a reply that names a draft is noted on it as refused
    k.UNKNOWN_SENDER: approvals.handle_untrusted,
    k.SPOOFED: approvals.handle_untrusted,
    # held; one that answers a draft is refused: approvals must come from the Chair
    k.BOARD_MAIL: approvals.handle_board_mail,
}
#: What follows a case event a handler reports (``Outcome.events``), in this order,
#: in the same transaction: the layer above calls the next stage, never the stage below it.
FOLLOW_UPS: list[tuple[str, Callable[[Session, BoardRuntime, Case], None]]] = [
    (ALL_RETURNS_IN, pack_actions.after_all_returns_in),
    (ANSWER_RECORDED, pack_actions.after_answer),
    (NOTIFICATION_SENT, stage2.after_notification_sent),
    (NOTIFICATION_SENT, challenge.after_notification_sent),
    (REVIEW_RETURNS_IN, pack_actions.after_review_returns_in),
]
#: Kinds recorded and left alone: no reply, no case change.
RECORD_ONLY = k.MACHINE_KINDS
#: Held kinds whose sender is told why (known agency senders only).
TELL_SENDER = {k.UNREADABLE, k.NOT_A_FORM}
#: Kinds whose sender is not trusted: never linked to a case, never answered.
UNTRUSTED = {k.UNKNOWN_SENDER, k.SPOOFED}


def _follow_up(s: Session, rt: BoardRuntime, outcome: Outcome) -> None:
    if outcome.case is None or outcome.folder is not Folder.PROCESSED:
        return
    for event, then in FOLLOW_UPS:
        if event in outcome.events:
            then(s, rt, outcome.case)


def _thread(s: Session, rt: BoardRuntime, msg: MailMessage) -> SentInfo | None:
    found = sent_mail(s, rt.slug, msg.thread_ids)
    if found is None:
        return None
    row, request = found
    case = s.get(Case, row.case_id) if row.case_id else None
    return SentInfo(row.message_id, row.kind, case.reference if case else None,
                    request.agency if request else None, request.id if request else None)


def _already_seen(s: Session, rt: BoardRuntime, sha: str) -> MessageSeen | None:
    return s.scalar(select(MessageSeen).where(MessageSeen.board == rt.slug, MessageSeen.sha256 == sha))


def _ledger(s: Session, rt: BoardRuntime, incoming: IncomingMessage, sha: str,
            msg: MailMessage | None, kind: str) -> MessageSeen:
    row = MessageSeen(board=rt.slug, mailbox=incoming.ref.mailbox, folder=incoming.ref.folder,
                      uid=incoming.ref.uid, uidvalidity=incoming.ref.uidvalidity,
                      message_id=msg.message_id if msg else None, sha256=sha,
                      sender=msg.from_addr if msg else None, received_at=utc(rt.now()),
                      kind=kind, outcome="processed")
    s.add(row)
    s.flush()
    return row


def _duplicate_of(s: Session, rt: BoardRuntime, msg: MailMessage) -> MessageSeen | None:
    if not msg.message_id:
        return None
    return s.scalar(select(MessageSeen).where(MessageSeen.board == rt.slug,
                                              MessageSeen.message_id == msg.message_id))


def _act(s: Session, rt: BoardRuntime, msg: MailMessage, forms: list[FormOutcome],
         row: MessageSeen) -> tuple[Outcome, str | None]:
    """What the message causes, and the case reference an untrusted sender claims (unlinked)."""
    earlier = _duplicate_of(s, rt, msg)
    ref = subject_reference(msg.subject, rt.board.config.reference_prefix)
    thread = _thread(s, rt, msg)
    known_ref = ref if ref and case_exists(s, rt.slug, ref) else None
    phrases = DEFAULT_NOT_KNOWN
    cls = classify(msg, rt.board.config, rt.directory, forms, thread, known_ref, phrases)
    row.kind = cls.kind
    # A sender we cannot trust (not in the directory, or failing our server's
    # authentication) never attaches to a case, whatever its subject or
    # In-Reply-To / References claim: the claim is only shown to a person.
    case = find_case(s, rt, cls.case_reference) if cls.kind not in UNTRUSTED else None
    row.case_id = case.id if case else None
    if earlier is not None and earlier.id != row.id:
        if cls.identity.known and earlier.sender == msg.from_addr:
            return Outcome(Folder.PROCESSED, "the same message (Message-ID) was received before",
                           case), None
        return Outcome(Folder.NEEDS_ATTENTION, "a copy of an earlier message from a different sender",
                       case), None
    if cls.kind in RECORD_ONLY:
        if case is not None:
            audit(s, rt, f"{cls.kind}_received", None, case)
        return Outcome(Folder.PROCESSED, None, case), None
    handler = ACTIONS.get(cls.kind)
    outcome = (handler(s, rt, msg, cls, forms, row.id) if handler is not None
               else Outcome(Folder.NEEDS_ATTENTION, "; ".join(cls.reasons) or cls.kind, case))
    _follow_up(s, rt, outcome)
    if cls.kind in UNTRUSTED:
        return Outcome(outcome.folder, outcome.reason, None), cls.case_reference
    return outcome, None


def _hold(s: Session, rt: BoardRuntime, msg: MailMessage | None, row: MessageSeen, outcome: Outcome,
          known_sender: bool, claimed: str | None = None) -> None:
    row.outcome = Folder.NEEDS_ATTENTION.value
    row.reason = outcome.reason
    details = [f"Kind: {row.kind.replace('_', ' ')}", f"From: {row.sender or 'unknown'}"]
    if claimed:
        details.append(f"It says it is about {claimed}; it was not added to that case")
    row.settle_token = settle.new_token(s, rt.slug, row)
    notify_business_managers(
        s, rt, dedupe_key=f"held:{row.id}", case=outcome.case, ledger_id=row.id,
        headline="A message needs your attention",
        reason=outcome.reason or "mailbot could not settle this message alone",
        details=details, settle_token=row.settle_token,
    )
    if msg is not None and known_sender and row.kind in TELL_SENDER and msg.from_addr and not msg.automatic:
        reply(s, rt, "intake/unreadable", kind="unreadable_notice", to=msg.from_addr,
              dedupe_key=f"unreadable:{row.id}", in_reply_to=msg.message_id,
              references=msg.references, case=outcome.case,
              context={"reason": outcome.reason, "sender_name": msg.from_name})


def handle_message(rt: BoardRuntime, incoming: IncomingMessage, ahead: Parsed | None = None) -> Folder:
    """Handle one message exactly once; returns the folder it belongs in.

    ``ahead`` is the message as a read-ahead worker read it (``parse_ahead``);
    it is used only if it is this message's reading (same sha256).
    """
    sha = hashlib.sha256(incoming.raw).hexdigest()
    with rt.store.transaction() as s:
        seen = _already_seen(s, rt, sha)
        if seen is not None:
            return Folder(seen.outcome)
    try:
        if ahead is not None and ahead.sha256 == sha:
            ahead.replay()
            msg, forms = ahead.msg, ahead.forms
        else:
            msg = read_message(incoming.raw)
            forms = read_forms(rt.board, msg, [])
        with rt.store.transaction() as s:
            row = _ledger(s, rt, incoming, sha, msg, "unclassified")
            outcome, claimed = _act(s, rt, msg, forms, row)
            row.reason = outcome.reason
            if outcome.folder is Folder.NEEDS_ATTENTION:
                row.held_raw_id = store_attachment(s, rt, "held-message.eml", incoming.raw, sha,
                                                   "message/rfc822").id  # for settling it as a referral
                _hold(s, rt, msg, row, outcome, rt.directory.identify(msg.from_addr).known, claimed)
            log.info("message %s: %s -> %s", row.id, row.kind, outcome.folder.value)
            return outcome.folder
    except MailProblem as err:
        return _quarantine(rt, incoming, sha, "unreadable_message", str(err))
    except StoreUnavailable:
        raise  # nothing was recorded: the message stays in the inbox for the next pass
    except Exception as err:  # noqa: BLE001 - the loop must go on whatever happened
        where = traceback.extract_tb(err.__traceback__)[-1] if err.__traceback__ else None
        log.error("message handling failed: %s at %s:%s", type(err).__name__,
                  where.filename.rsplit("/", 1)[-1] if where else "?", where.lineno if where else "?")
        reason = err.reason if isinstance(err, MailbotError) else f"internal error ({type(err).__name__})"
        return _quarantine(rt, incoming, sha, "error", f"mailbot could not handle this message: {reason}")


def _quarantine(rt: BoardRuntime, incoming: IncomingMessage, sha: str, kind: str, reason: str) -> Folder:
    with rt.store.transaction() as s:
        seen = _already_seen(s, rt, sha)
        if seen is not None:  # another worker on this board handled it meanwhile: its outcome stands
            return Folder(seen.outcome)
        row = _ledger(s, rt, incoming, sha, None, kind)
        _hold(s, rt, None, row, Outcome(Folder.NEEDS_ATTENTION, reason), False)
        log.info("message %s: %s -> needs-attention", row.id, kind)
    return Folder.NEEDS_ATTENTION
