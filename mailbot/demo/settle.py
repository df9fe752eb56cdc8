"""Demo step: a business manager settles a held message by replying to its notice.

``demo_settle(rt)`` writes an agency's reply mailbot cannot read alone into
the board's mailbox ("we checked and there is nothing here", no form), lets
the daemon hold it and send the business manager its notice with a HOLD-
token, then writes the business manager's ``NOT KNOWN`` reply to that
notice and runs the daemon over it, exactly as real mail would arrive.
Returns lines describing what happened, for ``mailbot demo`` to print.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from sqlalchemy import select

from mailbot.daemon import drain
from mailbot.demo.mailbox import deliver, inbox_of
from mailbot.runtime import BoardRuntime
from mailbot.store.models import Case, MessageSeen, OutboxMail, ScopingRequest


def _mail(rt: BoardRuntime, frm: str, subject: str, body: str, message_id: str, in_reply_to: str,
          auth: bool = False) -> bytes:
    cfg = rt.board.config
    msg = EmailMessage()
    if auth and cfg.authserv_id:
        domain = frm.rsplit("@", 1)[1].rstrip(">")
        msg["Authentication-Results"] = (f"{cfg.authserv_id}; dkim=pass header.d={domain}; "
                                         f"spf=pass smtp.mailfrom={domain}; dmarc=pass")
    msg["From"] = frm
    msg["To"] = formataddr((cfg.mailbox_address.name, cfg.mailbox_address.email))
    msg["Subject"] = subject
    msg["Date"] = format_datetime(rt.now())
    msg["Message-ID"] = message_id
    msg["In-Reply-To"] = msg["References"] = in_reply_to
    msg.set_content(body)
    return bytes(msg)


def demo_settle(rt: BoardRuntime) -> list[str]:
    with rt.store.session() as s:
        if s.scalar(select(MessageSeen.id).where(MessageSeen.board == rt.slug, MessageSeen.resolved_at.is_not(None),
                                                 MessageSeen.settled_by.is_not(None)).limit(1)):
            return ["already done on an earlier run of the demo: nothing is sent twice"]
        request = s.scalar(select(ScopingRequest).join(Case).where(
            Case.board == rt.slug, Case.status == "open", ScopingRequest.status == "outstanding",
            ScopingRequest.bounced_at.is_(None), ScopingRequest.held_at.is_(None)).order_by(ScopingRequest.id))
        if request is None:
            return ["No outstanding request left to answer: nothing to demonstrate."]
        agency, contact, request_mid, ref = request.agency, request.contact_email, request.message_id, \
            request.case.reference
    domain = contact.rsplit("@", 1)[1]
    deliver(inbox_of(rt), [_mail(rt, contact, f"Re: Scoping request [{ref}]",
                                 "Hello,\n\nWe have checked our systems and there is nothing here for this family.\n",
                                 f"<demo-held-{request_mid.strip('<>').split('@')[0][-8:]}@{domain}>", request_mid)],
            start=1_950_000_000)
    drain(rt)
    with rt.store.session() as s:
        held = s.scalar(select(MessageSeen).where(MessageSeen.board == rt.slug, MessageSeen.settle_token.is_not(None),
                                                  MessageSeen.resolved_at.is_(None), MessageSeen.sender == contact)
                        .order_by(MessageSeen.id.desc()))
        if held is None:
            return [f"{agency}'s reply was not held: nothing to settle."]
        notice = s.scalar(select(OutboxMail).where(OutboxMail.dedupe_key == f"{rt.slug}:notice:held:{held.id}"))
        token, reason, subject, notice_mid = held.settle_token, held.reason, notice.subject, notice.message_id
    lines = [f"{agency} replied 'there is nothing here for this family' to {ref}: held ({reason}).",
             f"Notice to the business manager: '{subject}', with how to settle it by reply."]
    if hasattr(rt.clock, "advance"):
        rt.clock.advance(hours=1)
    manager = rt.board.config.business_managers[0]
    bm_domain = manager.email.split("@")[1]
    deliver(inbox_of(rt), [_mail(rt, manager.formatted(), f"RE: {subject}", "NOT KNOWN\n\nThanks\n",
                                 f"<demo-settle-{token.lower()}@{bm_domain}>", notice_mid, auth=True)],
            start=1_960_000_000)
    stats = drain(rt)
    with rt.store.session() as s:
        held = s.get(MessageSeen, held.id)
        request = s.scalar(select(ScopingRequest).where(ScopingRequest.message_id == request_mid))
        lines.append(f"The business manager replied 'NOT KNOWN' to {token} (from {manager.email}).")
        lines.append(f"Settled as {held.settled_as} by {held.settled_by}; the request to {agency} on {ref} is "
                     f"now '{request.status.replace('_', ' ')}' and no longer chased.")
    lines.append(f"Mail handled in this step: {stats.handled}; emails sent: {stats.sent}.")
    return lines
