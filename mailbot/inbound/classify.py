"""What a message is: a pure function of the message and what the store knows.

``classify`` returns a :class:`Classification`: one kind and the reasons for
it. It changes nothing; the workflow acts on the answer. The order of the
checks matters and is the order below: machine mail first (bounces,
receipts, auto-replies, lists: never answered, RFC 3834), then who sent it,
then what it carries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from mailbot.config import BoardConfig
from mailbot.directory import Directory, Identity
from mailbot.inbound.authresults import failed, trusted_results
from mailbot.inbound.autoreply import auto_reply_reasons
from mailbot.inbound.delivery import DELAYED, FAILED
from mailbot.inbound.delivery import DELIVERED as DELIVERED_ACTION
from mailbot.inbound.message import MailMessage
from mailbot.inbound.portal import portal_pointer
from mailbot.inbound.review_commands import review_command
from mailbot.workflow.answers import says_not_known

# Kinds -------------------------------------------------------------------------
REFERRAL = "referral"
SCOPING_RETURN = "scoping_return"
NOT_KNOWN = "not_known"
CHAIR_REPLY = "chair_reply"
AUTO_REPLY = "auto_reply"
BOUNCE = "bounce"
DELAY = "delivery_delay"
#: A report that our email was delivered (``Action: delivered`` / ``relayed``).
DELIVERED = "delivery_report"
#: An abuse feedback report (RFC 5965 ARF) about mail sent from our address.
FEEDBACK_REPORT = "feedback_report"
READ_RECEIPT = "read_receipt"
MAILING_LIST = "mailing_list"
UNKNOWN_SENDER = "unknown_sender"
SPOOFED = "failed_authentication"
UNREADABLE = "unreadable_attachment"
NOT_A_FORM = "not_a_form"
UNMATCHED = "unmatched"
BOARD_MAIL = "board_mail"
#: An agency's answer that is only a pointer: an encrypted-mail portal or a cloud-share link.
PORTAL_POINTER = "portal_pointer"
#: A reply to a held message's notice carrying its token (``HOLD-K3M9QX``): settle-by-reply.
SETTLE_REPLY = "settle_reply"
#: A business manager's email command: subject ``PACK <case reference>``.
PACK_REQUEST = "pack_request"
#: A business manager's ``DONE <ref> <milestone> <date>`` or ``PUBLISH <ref> ON <date>``.
REVIEW_COMMAND = "review_command"
#: A message from the National Panel's configured address (an answer to a notification).
PANEL_REPLY = "panel_reply"

#: Kinds that are recorded and otherwise left alone (no reply, no case change).
MACHINE_KINDS = {AUTO_REPLY, DELAY, DELIVERED, FEEDBACK_REPORT, READ_RECEIPT, MAILING_LIST}


@dataclass(frozen=True)
class SentInfo:
    """One of our own earlier emails that this message answers."""

    message_id: str
    kind: str
    case_reference: str | None
    agency: str | None = None
    request_id: int | None = None


@dataclass
class FormOutcome:
    """One attachment after the parsers had it."""

    filename: str
    record: Any = None
    #: A one-line reason when it could not be read.
    error: str | None = None
    error_kind: str | None = None
    #: Not a document type forms come in (images, calendar files…): ignored.
    ignored: bool = False
    sha256: str = ""
    data: bytes = b""
    sniffed: str = "unknown"
    #: Required fields the reader did not find or found only by a weak rule (names only).
    doubted: list[str] = field(default_factory=list)

    @property
    def form_type(self) -> str | None:
        return getattr(self.record, "form_type", None)


@dataclass
class Classification:
    kind: str
    reasons: list[str] = field(default_factory=list)
    identity: Identity = field(default_factory=lambda: Identity("unknown"))
    case_reference: str | None = None
    thread: SentInfo | None = None
    #: For bounces and delays: the Message-ID of our email that failed.
    original_message_id: str | None = None
    #: For bounces and delays: the addresses the report names.
    failed_recipients: list[str] = field(default_factory=list)

    @property
    def agency_name(self) -> str | None:
        return self.identity.agency.name if self.identity.agency else None


#: Hotmail's junk-mail reports are not RFC 5965 ARF but say so in the subject.
_COMPLAINT = re.compile(r"(?i)^\s*complaint about message from\b")
_HOLD_TOKEN = re.compile(r"\bHOLD-[A-HJ-NP-Z2-9]{6}\b")
_REF = re.compile(r"\b([A-Z]{2,5}-\d{4}-\d{4})\b")


_PACK = re.compile(r"^\s*PACK\s*:?\s*\[?\s*([A-Z]{2,5}-\d{4}-\d{4})\s*\]?(?:\s+ON\b\s*:?\s*(.*?))?\s*$",
                   re.IGNORECASE)


def pack_command(subject: str | None) -> str | None:
    """The case reference of a ``PACK WS-2026-0001`` or ``PACK WS-2026-0001 ON 12/03/2026`` subject
    (the whole subject: a reply is no command)."""
    m = _PACK.match(subject or "")
    return m.group(1).upper() if m else None


def pack_command_date(subject: str | None) -> str | None:
    """The date as written after ``ON`` (``""`` for a bare ``ON``); None for a command without ``ON``."""
    m = _PACK.match(subject or "")
    return m.group(2) if m and m.group(2) is not None else None


def subject_reference(subject: str, prefix: str) -> str | None:
    """The case reference in a subject (``[WS-2026-0001]``), this board's only."""
    for ref in _REF.findall(subject or ""):
        if ref.startswith(prefix + "-"):
            return ref
    return None


def machine_kind(msg: MailMessage) -> Classification | None:
    """Mail no person wrote (delivery reports, receipts, auto-replies, lists), or None.

    Delivery reports come first: servers mark them ``Auto-Submitted`` or
    ``Precedence: bulk`` too, and the business manager must still learn that
    an agency's address failed.
    """
    if msg.report_type == "feedback-report" or _COMPLAINT.match(msg.subject or ""):
        return Classification(FEEDBACK_REPORT, ["an abuse feedback report (ARF)"])
    report = msg.delivery
    if msg.report_type == "disposition-notification" and (report is None or not report.by_wording):
        return Classification(READ_RECEIPT, ["disposition-notification report"])
    if report is not None:
        kind = {FAILED: BOUNCE, DELAYED: DELAY, DELIVERED_ACTION: DELIVERED}[report.action]
        why = [f"{'; '.join(report.reasons)}: {report.action}"]
        return Classification(kind, why, original_message_id=report.original_message_id,
                              failed_recipients=list(report.recipients))
    auto = auto_reply_reasons(msg.subject, msg.headers, msg.new_text, bool(msg.attachments))
    if auto:
        return Classification(AUTO_REPLY, auto)
    precedence = (msg.header("precedence") or "").strip().lower()
    if msg.header("list-id") or msg.header("list-unsubscribe") or precedence in ("list", "bulk", "junk"):
        return Classification(MAILING_LIST, ["mailing-list headers"])
    return None


def classify(
    msg: MailMessage,
    config: BoardConfig,
    directory: Directory,
    forms: list[FormOutcome],
    thread: SentInfo | None,
    known_reference: str | None,
    not_known_phrases: list[str],
) -> Classification:
    """Decide what ``msg`` is. ``known_reference`` is the subject's case
    reference when that case exists; ``thread`` is our earlier email it answers."""
    machine = machine_kind(msg)
    if machine:
        if machine.kind in (BOUNCE, DELAY) and machine.original_message_id is None:
            machine.original_message_id = thread.message_id if thread else None
        return machine

    identity = directory.identify(msg.from_addr)
    reference = known_reference or (thread.case_reference if thread else None)
    base = dict(identity=identity, case_reference=reference, thread=thread)
    if not identity.known:
        return Classification(UNKNOWN_SENDER, ["sender is not in the board directory"], **base)
    auth_failures = failed(trusted_results(msg.header_all("authentication-results"), config.authserv_id))
    if auth_failures:
        return Classification(
            SPOOFED, [f"the board's mail server reports {', '.join(auth_failures)} failed"], **base
        )
    if _HOLD_TOKEN.search(msg.subject or ""):
        return Classification(SETTLE_REPLY, ["a reply to a held message's notice (its HOLD- token)"], **base)
    if identity.role == "chair":
        return Classification(CHAIR_REPLY, ["from the Chair's configured address"], **base)
    if identity.role == "business_manager" and pack_command(msg.subject):
        return Classification(PACK_REQUEST, [f"PACK command for {pack_command(msg.subject)} from a business manager"],
                              **base)
    if identity.role == "business_manager" and (command := review_command(msg.subject)):
        return Classification(REVIEW_COMMAND, [f"{command.verb.upper()} command from a business manager"], **base)
    if identity.role == "panel":
        return Classification(PANEL_REPLY, ["from the National Panel's configured address"], **base)

    records = [f for f in forms if f.record is not None]
    problems = [f for f in forms if f.error and f.error_kind != "not_a_form"]
    not_forms = [f for f in forms if f.error_kind == "not_a_form"]
    kinds = {f.form_type for f in records}
    pointer = None if records else portal_pointer(msg.subject, msg.text, [a.filename for a in msg.attachments])
    if pointer and identity.role == "agency":
        return Classification(PORTAL_POINTER, [f"the reply is {pointer}: the form must be opened there"], **base)
    if problems and not records:
        return Classification(UNREADABLE, [problems[0].error or "attachment could not be read"], **base)
    if kinds & {"scoping_return", "chronology"}:
        return Classification(SCOPING_RETURN, ["a scoping return form is attached"], **base)
    if "referral" in kinds:
        if reference and any(getattr(f.record, "decision", None) for f in records):
            return Classification(REFERRAL, ["a referral with the decision sections filled"], **base)
        return Classification(REFERRAL, ["a referral form is attached"], **base)
    if identity.role != "agency":
        return Classification(BOARD_MAIL, [f"from the board's {identity.role.replace('_', ' ')}"], **base)
    text = " ".join(msg.new_text.lower().split())
    said = says_not_known(msg.subject, msg.new_text) or next((p for p in not_known_phrases if p.lower() in text), None)
    if reference and said:
        return Classification(NOT_KNOWN, [f"the reply says the child is not known ('{said[:60]}')"], **base)
    if not_forms:
        return Classification(NOT_A_FORM, ["attachment is not a recognised form"], **base)
    why = "a reply with no form attached" if reference else "no case reference, thread or form"
    return Classification(UNMATCHED, [why], **base)
