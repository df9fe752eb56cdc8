"""Delivery reports from any mail server: failed, delayed or delivered, and for whom.

Mail servers write these in every format there is: RFC 3464 reports with a
``message/delivery-status`` part, and plain text from Postfix, Exim,
Sendmail, qmail, Exchange, Gmail, Yahoo, Domino and many more, sent from
``<>``, ``MAILER-DAEMON``, ``postmaster``, ``mail.delivery.system``… and
often carrying ``Precedence: bulk`` or ``Auto-Submitted`` like any
auto-reply. So a message is a delivery report when its structure says so, or
when its sender, subject and text say so together; a person forwarding a
bounce (``Fw: Undeliverable…``) is not one.

Who failed comes from the report's per-recipient fields, then from GNU
Mailman's ``flufl.bounce`` detectors (they know the odd formats), then
``X-Failed-Recipients``. Whether it failed: a report says ``Action: failed``
/ ``delayed`` / ``delivered``; a text-only one says "will be retried" or
"WARNING MESSAGE ONLY" when it is only a delay. A delay or a success report
never becomes a failure.

Pure and bounded: only the first 16 KB of the text is scanned, every pattern
is linear, and ``flufl.bounce`` runs only on messages that already look like
reports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message

FAILED, DELAYED, DELIVERED = "failed", "delayed", "delivered"
SCAN_CHARS = 16 * 1024

_SENDER = re.compile(
    r"(?i)^(mailer[-_.]?daemon|postmaster|post[-_.]master|mail[-_.]?delivery([-_.]?(system|subsystem))?|"
    r"mail[-_.]?admin(istrator)?|mdaemon|bounces?|nobody|[^@\s]+-(admin|owner|bounces?)|owner-[^@\s]+)(@|$)")
#: Addresses that send only machine mail, but not only reports (portals, notifications): a
#: report's subject or wording is needed as well.
_NOREPLY = re.compile(r"(?i)^(no[-_.]?reply|do[-_.]?not[-_.]?reply|donotreply)(@|$)")
_SENDER_NAME = re.compile(
    r"(?i)\b(mail(er)?[- ]?daemon|mail delivery (system|subsystem|service)|postmaster|mail administrator|"
    r"delivery status notification|mail system)\b")
_SUBJECT = re.compile(
    r"(?i)(undeliver|non[- ]?deliver|not delivered|delivery (status|failure|failed|notification|problem|report|"
    r"has failed|delayed)|returned mail|failure notice|mail delivery|could not (be )?(delivered|send)|"
    r"unzustellbar|nicht zustellbar|non remis|returned to sender|delayed mail|mail (system )?error|"
    r"message status|warning: could not|delivery notification|\bdsn\b|mail could not|"
    r"undelivered|rejected|bounced?\b|delivery status|メールエラー|配信エラー|未送達)")
_FAILED_SUBJECT = re.compile(r"(?i)(undeliver|not delivered|rejected|failure|failed|returned|could not)")
_FORWARD = re.compile(r"(?i)^\s*(fw|fwd|tr|wg)\s*:")
#: A person's reply ("Re: the email that bounced"): a report only when its structure or sender says so.
_REPLY = re.compile(r"(?i)^\s*(re|aw|sv|antw|vs)\s*:")
_BODY = re.compile(
    r"(?i)(could ?n[o']t be delivered|delivery (to the following recipients? )?(has )?failed|"
    r"permanent(ly)? (fatal )?(error|failure)|undeliverable|user unknown|unknown user|no such (user|mailbox)|"
    r"mailbox (unavailable|full|not found|is full|does not exist)|(address|recipient)( address)? rejected|"
    r"this is the mail system at host|i'?m sorry to (have to )?inform you|qmail-send program|"
    r"delivery status notification|following (address|recipient)(es|s)? (had|failed)|was not delivered|"
    r"delivery to the following recipient|message (was |has been )?(returned|bounced)|\b5\.\d{1,3}\.\d{1,3}\b|"
    r"could not deliver|retry timeout|giving up|host unknown|domain not found|unrouteable|smtp error|"
    r"did not reach (some or all of )?the intended recipient|returned as undeliverable|will be retried|"
    r"has been delayed|warning message only|not yet been delivered|delivery attempts? will continue|"
    r"mailbox quota|over quota|message rejected|\b55\d[ -]|rejected your message)")
_DELAY = re.compile(
    r"(?i)(warning message only|will be retried|will (continue|keep) (to )?try|still (being )?(retried|trying)|"
    r"has been delayed|delivery (has been |is )?delayed|not yet been delivered|could not send (message|mail) "
    r"for (the )?past|(no|not) need to (re-?send|resend)|do not need to re-?send|temporary failure report|"
    r"delayed \d+ (hours|minutes|days)|delivery attempts will continue|still in the queue|"
    r"is kept in the queue)")
_DELIVERED = re.compile(
    r"(?i)(successfully delivered|delivery to the following recipients? (was )?(succeeded|successful|complete)|"
    r"your message (was|has been) delivered|was relayed|has been relayed)")
_DSN_FIELD = re.compile(r"(?im)^[ \t]*(final-recipient|original-recipient|action|status)[ \t]*:[ \t]*([^\r\n]*)")
_ADDRESS = re.compile(r"[A-Za-z0-9._%+=&'/-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,24}")
_MESSAGE_ID = re.compile(r"(?im)^[ \t]*Message-ID:[ \t]*(<[^<>\s]{1,998}>)")


@dataclass(frozen=True)
class DeliveryReport:
    """What a delivery report says: ``failed`` / ``delayed`` / ``delivered``, for whom, about which email."""

    action: str
    recipients: tuple[str, ...]
    original_message_id: str | None
    reasons: tuple[str, ...]
    #: The text, or a mail system's subject, says delivery failed (not only the report's form).
    by_wording: bool = False


def machine_sender(from_header: str, from_addr: str) -> bool:
    """Whether the sender is a mail system: ``<>``, ``MAILER-DAEMON``, ``postmaster@…``, ``mail.delivery.system@…``."""
    value = " ".join((from_header or "").split())
    local = from_addr.split("@", 1)[0] if from_addr else ""
    if not from_addr and (not value or value in ("<>", '""') or "@" not in value):
        return bool(value == "<>" or _SENDER.match(value.strip("<> ")) or _SENDER_NAME.search(value))
    return bool(_SENDER.match(local + "@") or _SENDER_NAME.search(value.split("<", 1)[0]))


def _dsn(tree: Message) -> tuple[list[tuple[str, str]], str | None]:
    """[(action, recipient)] from ``message/delivery-status`` parts, and the returned email's Message-ID."""
    found: list[tuple[str, str]] = []
    original = None
    for part in tree.walk():
        ctype = part.get_content_type()
        if ctype == "message/delivery-status":
            payload = part.get_payload()
            blocks = payload if isinstance(payload, list) else [payload]
            for block in blocks:
                try:
                    text = block.as_string() if hasattr(block, "as_string") else str(block)
                except Exception:  # noqa: BLE001 - a block the email package cannot print
                    continue
                found += _recipient_actions(text[:SCAN_CHARS])
        elif ctype in ("text/rfc822-headers", "message/rfc822") and original is None:
            try:
                text = part.as_string()[:SCAN_CHARS]
            except Exception:  # noqa: BLE001
                text = ""
            ids = _MESSAGE_ID.findall(text)
            original = ids[0] if ids else None
    return found, original


def _recipient_actions(text: str) -> list[tuple[str, str]]:
    """Pairs each ``Action:`` with its block's recipient (RFC 3464 per-recipient blocks).

    The ``Original-Recipient`` is the address we wrote to (a forwarding server
    rewrites the ``Final-Recipient``), so it is preferred when given.
    """
    out: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    for name, value in _DSN_FIELD.findall(text):
        name = name.lower()
        if name in ("final-recipient", "original-recipient"):
            m = _ADDRESS.search(value)
            seen[name] = m.group(0).lower() if m else ""
        elif name == "action":
            recipient = seen.get("original-recipient") or seen.get("final-recipient", "")
            out.append(((value.strip().split() or [""])[0].lower(), recipient))
            seen = {}
    return out


def _flufl(tree: Message) -> tuple[set[str], set[str]]:
    """(temporary, permanent) failed addresses as ``flufl.bounce`` reads them; empty if it cannot."""
    from flufl.bounce import all_failures

    try:
        temporary, permanent = all_failures(tree)
    except Exception:  # noqa: BLE001 - a detector tripping on odd mail must not stop ours
        return set(), set()

    def clean(found: set) -> set[str]:
        out = set()
        for a in found:
            text = a.decode("utf-8", "replace") if isinstance(a, bytes) else str(a)
            if "@" in text and len(text) < 320:
                out.add(text.strip("<>").lower())
        return out

    return clean(temporary), clean(permanent)


def delivery_report(tree: Message | None, subject: str, from_header: str, from_addr: str,
                    report_type: str | None, text: str, headers: dict[str, list[str]]) -> DeliveryReport | None:
    """The delivery report this message is, or None when it is not one."""
    if _FORWARD.match(subject or ""):
        return None
    body = (text or "")[:SCAN_CHARS]
    structural = report_type == "delivery-status"
    dsn, original = _dsn(tree) if tree is not None else ([], None)
    structural = structural or bool(dsn)
    sender = machine_sender(from_header, from_addr)
    by_subject = bool(_SUBJECT.search(subject or ""))
    by_body = bool(_BODY.search(body))
    noreply = bool(_NOREPLY.match(from_addr or ""))
    if _REPLY.match(subject or "") and not structural and not sender:
        by_body = _names_address(body)  # a person's reply about a bounce names no failed address
    by_words = ((by_subject or noreply) and by_body) or (noreply and by_subject)
    if not (structural or sender or by_words):
        return None
    reasons = ["a delivery-status report"] if structural else []
    if sender:
        reasons.append("sent by a mail system")
    if by_subject:
        reasons.append("a delivery-report subject")
    if by_body and not structural:
        reasons.append("delivery-failure wording")
    temporary, permanent = _flufl(tree) if tree is not None else (set(), set())
    action = _action(dsn, body, subject, temporary, permanent)
    recipients = _recipients(action, dsn, temporary, permanent, headers)
    if original is None:
        ids = _MESSAGE_ID.findall(body)
        original = ids[0] if ids else None
    return DeliveryReport(action, tuple(recipients), original, tuple(reasons),
                          by_body or bool(sender and _FAILED_SUBJECT.search(subject or "")))


def _names_address(body: str) -> bool:
    """Failure wording followed closely by an address: "could not be delivered to x@y.example"."""
    for n, m in enumerate(_BODY.finditer(body)):
        if n >= 20:
            return False
        if _ADDRESS.search(body[m.end(): m.end() + 120]):
            return True
    return False


def _action(dsn: list[tuple[str, str]], body: str, subject: str, temporary: set[str], permanent: set[str]) -> str:
    actions = {a for a, _r in dsn}
    if "failed" in actions:
        return FAILED
    if "delayed" in actions:
        return DELAYED
    if actions & {"delivered", "relayed", "expanded", "deliverable"}:
        return DELIVERED
    if _DELAY.search(body) or _DELAY.search(subject or "") or re.search(r"(?i)\bdelay", subject or ""):
        return DELAYED
    if _DELIVERED.search(body) and not permanent:
        return DELIVERED
    if temporary and not permanent:
        return DELAYED
    return FAILED


def _recipients(action: str, dsn: list[tuple[str, str]], temporary: set[str], permanent: set[str],
                headers: dict[str, list[str]]) -> list[str]:
    wanted = {FAILED: {"failed"}, DELAYED: {"delayed"}}.get(action, {"delivered", "relayed", "expanded"})
    found = [r for a, r in dsn if a in wanted and r]
    if not found:
        found = sorted(permanent if action == FAILED else temporary) or sorted(permanent | temporary)
    if not found:
        found = [m.lower() for v in headers.get("x-failed-recipients", []) for m in _ADDRESS.findall(v)]
    return list(dict.fromkeys(found))[:50]
