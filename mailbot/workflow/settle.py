"""A business manager settles a held message by replying to its notice.

Every "needs attention" notice carries a token (``HOLD-K3M9QX``) and one
line of instructions. The business manager replies ``NOT KNOWN``,
``RETURN`` (or ``RETURN WS-2026-0007 <agency>``), ``REFERRAL`` or
``IGNORE``, and mailbot acts on the held message as if it had read it that
way: the agency's request is marked not known or returned (and what follows
an answer follows), or the message is set aside.

The reply is verified as strictly as a Chair's approval: from a business
manager's configured address, naming exactly one held message by its token,
threading to that notice's email, not forwarded, passing the board server's
DKIM/SPF/DMARC checks, and the first to use the token. Anything else acts on
nothing; a business manager is told why, anyone else's reply is held.

``REFERRAL`` reads the held message again (its bytes are kept, sealed like
any attachment, while it is held) and handles it as a referral: a case is
opened, the referrer acknowledged and the agencies asked.
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
from mailbot.runtime import BoardRuntime
from mailbot.store.models import Case, MessageSeen, OutboxMail, ScopingRequest
from mailbot.workflow.cases import Outcome, find_case
from mailbot.workflow.common import audit, reply, utc
from mailbot.workflow.settle_commands import (
    IGNORE_CMD,
    NOT_KNOWN_CMD,
    REFERRAL_CMD,
    SettleCommand,
    read_settle_command,
)

TOKEN_RE = re.compile(r"\bHOLD-([A-HJ-NP-Z2-9]{6})\b")
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_FORWARD = re.compile(r"^\s*(fw|fwd)\s*:", re.IGNORECASE)
#: More tokens than this in one reply are refused without looking any up.
MAX_TOKENS = 3



def new_token(s: Session, board: str, row: MessageSeen) -> str:
    """The held message's token: derived from the message (the same mail gives the same notice),
    unique on the board. It grants nothing alone: a reply must also come from a business
    manager's address, pass the board server's checks and thread to the notice."""
    seed = f"{board}:{row.sha256}:{row.id}"
    for attempt in range(100):
        digest = hashlib.sha256(f"{seed}:{attempt}".encode()).digest()
        token = "HOLD-" + "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest[:6])
        if s.scalar(select(MessageSeen.id).where(MessageSeen.board == board,
                                                 MessageSeen.settle_token == token)) is None:
            return token
    raise RuntimeError("no free settle token")  # 100 collisions among 10^9 tokens: not in this universe


def tokens_in(subject: str | None) -> list[str]:
    return sorted({f"HOLD-{t}" for t in TOKEN_RE.findall(subject or "")})


def handle_settle_reply(s: Session, rt: BoardRuntime, msg: MailMessage, cls: Classification,
                        forms: list[FormOutcome], msg_row_id: int) -> Outcome:
    tokens = tokens_in(msg.subject)
    held = None
    if len(tokens) == 1:
        held = s.scalar(select(MessageSeen).where(MessageSeen.board == rt.slug,
                                                  MessageSeen.settle_token == tokens[0]))
    why = _refusal(s, rt, msg, cls, tokens, held)
    if why:
        return _refuse(s, rt, msg, cls, held, why, msg_row_id)
    got = read_settle_command(msg.new_text)
    if got.command is None:
        return _refuse(s, rt, msg, cls, held, got.why or "the reply could not be read", msg_row_id)
    case = None
    if got.command == REFERRAL_CMD:
        opened = _as_referral(s, rt, held)
        if isinstance(opened, str):
            return _refuse(s, rt, msg, cls, held, opened, msg_row_id)
        case = opened
        settled_as = f"a referral ({case.reference})"
    elif got.command == IGNORE_CMD:
        settled_as = "ignored"
        case = _resume_chasing(s, rt, held)
    else:
        done = _answer_request(s, rt, held, got)
        if isinstance(done, str):
            return _refuse(s, rt, msg, cls, held, done, msg_row_id)
        request, case = done
        settled_as = f"{'not known to' if got.command == NOT_KNOWN_CMD else 'the return of'} {request.agency}"
    held.resolved_at, held.settled_by, held.settled_as = utc(rt.now()), msg.from_addr, settled_as
    audit(s, rt, "held_message_settled", f"ledger {held.id}: {settled_as} (by a business manager)", case)
    reply(s, rt, "notices/settled", kind="settled_notice", to=msg.from_addr, dedupe_key=f"settled:{msg_row_id}",
          in_reply_to=msg.message_id, references=msg.references, case=case,
          context={"token": tokens[0], "settled_as": settled_as, "ledger_id": held.id})
    events = _events(s, rt, case) if case is not None and got.command != IGNORE_CMD else ()
    return Outcome(Folder.PROCESSED, None, case, events=events)


def _refusal(s: Session, rt: BoardRuntime, msg: MailMessage, cls: Classification, tokens: list[str],
             held: MessageSeen | None) -> str | None:
    """Why this reply cannot settle anything (None: it can)."""
    if cls.identity.role != "business_manager":
        return "only a business manager can settle a held message"
    bad = failed(trusted_results(msg.header_all("authentication-results"), rt.board.config.authserv_id))
    if bad:
        return f"the board's mail server reports {', '.join(bad)} failed"
    if len(tokens) > MAX_TOKENS or len(tokens) != 1:
        return "the reply names more than one held message"
    if held is None:
        return "the token in the reply matches no held message"
    if held.resolved_at is not None:
        return "this held message was already settled; its token is used"
    if _FORWARD.match(msg.subject or ""):
        return "a forwarded notice cannot settle a held message"
    notice = s.scalar(select(OutboxMail.message_id).where(
        OutboxMail.dedupe_key == f"{rt.slug}:notice:held:{held.id}"))
    if not notice or notice not in msg.thread_ids:
        return "the reply does not answer the notice's email (In-Reply-To / References)"
    return None


def _refuse(s: Session, rt: BoardRuntime, msg: MailMessage, cls: Classification, held: MessageSeen | None,
            why: str, msg_row_id: int) -> Outcome:
    case = s.get(Case, held.case_id) if held is not None and held.case_id else None
    audit(s, rt, "settle_refused", f"ledger {held.id if held else '?'}: {why}", case)
    if cls.identity.role == "business_manager" and not msg.automatic and not why.startswith("the board's"):
        reply(s, rt, "notices/settle-refused", kind="settle_refused", to=msg.from_addr,
              dedupe_key=f"settle-refused:{msg_row_id}", in_reply_to=msg.message_id, references=msg.references,
              case=case, context={"reason": why})
        return Outcome(Folder.PROCESSED, f"settle reply not acted on: {why}", case)
    return Outcome(Folder.NEEDS_ATTENTION, f"settle reply not acted on: {why}", None)


def _answer_request(s: Session, rt: BoardRuntime, held: MessageSeen,
                    got: SettleCommand) -> tuple[ScopingRequest, Case] | str:
    """Marks the held message's request not known / returned; a one-line reason when it cannot."""
    case = find_case(s, rt, got.case_reference) if got.case_reference else (
        s.get(Case, held.case_id) if held.case_id else None)
    if case is None:
        return ("the held message belongs to no case: reply RETURN <case reference> <agency>"
                if not got.case_reference else f"there is no case {got.case_reference}")
    agency = _agency(rt, held, got)
    request = s.scalar(select(ScopingRequest).where(ScopingRequest.case_id == case.id,
                                                    ScopingRequest.agency == agency)) if agency else None
    if request is None:
        return f"{agency or 'the sender'} was not asked for a return on {case.reference}"
    if request.status != "outstanding":
        return f"{request.agency}'s return on {case.reference} is already {request.status.replace('_', ' ')}"
    request.status = "not_known" if got.command == NOT_KNOWN_CMD else "returned"
    request.answered_at, request.held_at = utc(rt.now()), None
    audit(s, rt, "not_known_received" if got.command == NOT_KNOWN_CMD else "return_received",
          f"{request.agency} (settled by a business manager)", case)
    return request, case


def _as_referral(s: Session, rt: BoardRuntime, held: MessageSeen) -> Case | str:
    """Reads the kept held message again and handles it as a referral; a one-line reason when it cannot."""
    from mailbot.inbound import classify as k
    from mailbot.inbound.forms import read_forms
    from mailbot.inbound.message import MailProblem, read_message
    from mailbot.store.models import Attachment
    from mailbot.workflow.common import read_stored
    from mailbot.workflow.stage1 import handle_referral

    stored = s.get(Attachment, held.held_raw_id) if held.held_raw_id else None
    raw = read_stored(rt, stored) if stored is not None else None
    if raw is None:
        return "the held message was not kept, so it cannot be read again: forward its referral form instead"
    try:
        msg = read_message(raw)
    except MailProblem as err:
        return f"the held message cannot be read ({err})"
    forms = read_forms(rt.board, msg, [])
    if not any(f.form_type == "referral" for f in forms):
        return "the held message carries no referral form mailbot can read"
    identity = rt.directory.identify(msg.from_addr)
    cls = Classification(k.REFERRAL, ["settled as a referral by a business manager"], identity=identity)
    outcome = handle_referral(s, rt, msg, cls, forms, held.id)
    if outcome.case is None:
        return outcome.reason or "the referral could not be recorded"
    return outcome.case


def _resume_chasing(s: Session, rt: BoardRuntime, held: MessageSeen) -> Case | None:
    """An ignored pointer was no answer after all: its agency's request is chased again."""
    case = s.get(Case, held.case_id) if held.case_id else None
    agency = _agency(rt, held, SettleCommand(IGNORE_CMD))
    if case is not None and agency:
        request = s.scalar(select(ScopingRequest).where(ScopingRequest.case_id == case.id,
                                                        ScopingRequest.agency == agency))
        if request is not None and request.held_at is not None:
            request.held_at = None
    return case


def _agency(rt: BoardRuntime, held: MessageSeen, got: SettleCommand) -> str | None:
    names = [a.name for a in rt.board.config.agencies]
    if got.agency:
        wanted = " ".join(got.agency.lower().split())
        return next((n for n in names if n.lower() == wanted), None) or next(
            (n for n in names if n.lower().startswith(wanted)), None) or got.agency
    identity = rt.directory.identify(held.sender or "")
    return identity.agency.name if identity.agency else None


def _events(s: Session, rt: BoardRuntime, case: Case) -> tuple[str, ...]:
    from mailbot.workflow.stage1 import _answered_events  # what follows an answer, as for an emailed one

    return _answered_events(s, rt, case)
