"""Demo step: from a recorded decision to an approved notification, by real email.

``demo_approval(rt)`` records the Chair's SCR decision on the newest case
that has none, lets mailbot draft the notifications and email them to the
Chair, then writes the Chair's ``APPROVE`` reply (iPhone style, quoted
history below it) into the board's mailbox and runs the daemon's
``drain`` over it, exactly as a real reply would arrive. Returns lines
describing what happened, for ``mailbot demo`` to print.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from sqlalchemy import select

from mailbot.daemon import drain
from mailbot.demo.mailbox import deliver, inbox_of
from mailbot.records import ChairDecision, Decision
from mailbot.runtime import BoardRuntime
from mailbot.store.approvals_models import Draft
from mailbot.store.models import Case, OutboxMail
from mailbot.workflow.decisions import record_decision


def chair_reply(rt: BoardRuntime, draft_subject: str, draft_message_id: str, body: str,
                message_id: str) -> bytes:
    """The Chair's reply to a draft, as the board's server would receive it."""
    cfg = rt.board.config
    msg = EmailMessage()
    if cfg.authserv_id:
        msg["Authentication-Results"] = (f"{cfg.authserv_id}; dkim=pass header.d={cfg.chair.email.split('@')[1]}; "
                                         f"spf=pass smtp.mailfrom={cfg.chair.email.split('@')[1]}; dmarc=pass")
    msg["From"] = cfg.chair.formatted()
    msg["To"] = formataddr((cfg.mailbox_address.name, cfg.mailbox_address.email))
    msg["Subject"] = f"Re: {draft_subject}"
    msg["Date"] = format_datetime(rt.now())
    msg["Message-ID"] = message_id
    msg["In-Reply-To"] = draft_message_id
    msg["References"] = draft_message_id
    msg.set_content(body)
    return bytes(msg)


def demo_approval(rt: BoardRuntime, reference: str | None = None) -> list[str]:

    lines: list[str] = []
    with rt.store.transaction() as s:
        q = select(Case).where(Case.board == rt.slug, Case.decision.is_(None), Case.status == "open")
        case = s.scalar(q.where(Case.reference == reference) if reference else q.order_by(Case.id.desc()))
        if case is None:
            return ["No open case without a decision: nothing to demonstrate."]
        decision = Decision(board=rt.slug, form="demo",
                            chair=ChairDecision(decision="scr", name=rt.board.config.chair.name, date=rt.today()))
        drafts = record_decision(s, rt, case, decision, source="demo")
        ref = case.reference
        lines.append(f"Decision recorded on {ref}: serious case review ({rt.today():%d/%m/%Y}).")
        for d in drafts:
            lines.append(f"Drafted '{d.title}' {d.token}: emailed to the Chair with the Word document attached.")
        target = next((d for d in drafts if d.kind == "scr_notification"), None)
        if target is None:
            return lines + ["No notification to approve."]
        token, draft_id = target.token, target.id
        sent_to_chair = s.scalar(select(OutboxMail).where(OutboxMail.message_id == target.message_id))
        subject, draft_mid = sent_to_chair.subject, sent_to_chair.message_id
    drain(rt)
    if hasattr(rt.clock, "advance"):
        rt.clock.advance(hours=2)  # the Chair answers later that day
    body = (f"Approved, thanks\n\nSent from my iPhone\n\n> On {rt.today():%d %b %Y}, "
            f"{rt.board.config.mailbox_address.email} wrote:\n> Reply APPROVE to send it as it is.\n")
    domain = rt.board.config.chair.email.split("@")[1]
    raw = chair_reply(rt, subject, draft_mid, body, f"<demo-approve-{token[1:].lower()}@{domain}>")
    deliver(inbox_of(rt), [raw], start=1_900_000_000)
    lines.append(f"The Chair replied 'Approved, thanks' to {token} (from {rt.board.config.chair.email}).")
    stats = drain(rt)
    with rt.store.session() as s:
        draft = s.get(Draft, draft_id)
        for row_id in draft.sent_outbox_ids or []:
            row = s.get(OutboxMail, row_id)
            lines.append(f"Sent '{row.subject}' ({row.status}) to {', '.join(row.recipients)} "
                         f"(the Chair copied) at {draft.sent_at:%d/%m/%Y %H:%M} UTC.")
        if draft.due_on:
            met = "met" if draft.sent_at.date() <= draft.due_on else "MISSED"
            lines.append(f"Statutory deadline {draft.milestone} due {draft.due_on:%d/%m/%Y}: {met}.")
        waiting = s.scalars(select(Draft).where(Draft.case_id == draft.case_id, Draft.status == "awaiting_approval"))
        for d in waiting:
            lines.append(f"Still awaiting the Chair: '{d.title}' {d.token}.")
    lines.append(f"Mail handled in this step: {stats.handled}; emails sent: {stats.sent}.")
    return lines
