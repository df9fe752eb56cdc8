"""Demo step: a business manager asks for the scoping pack by email, and gets it.

``demo_pack(rt, reference, when)`` writes the business manager's
``PACK <reference>`` email into the board's mailbox and runs the daemon's
``drain`` over it, exactly as the real command would arrive; mailbot makes
the pack (cover sheet, referral summary, returns, integrated chronology),
the chronology spreadsheet and the case front sheet, and sends them to the
sub-group chair with the business managers copied. The files of the pack
are also written into the demo workspace to look at. The email is the same
bytes on every run, so a second run recognises it and sends nothing twice.
"""

from __future__ import annotations

import datetime as dt
import email
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime

from sqlalchemy import func, select

from mailbot.daemon import drain
from mailbot.demo.mailbox import deliver, inbox_of
from mailbot.files import write_private
from mailbot.runtime import BoardRuntime
from mailbot.store.models import Case, OutboxMail


def pack_command(rt: BoardRuntime, reference: str, when: dt.datetime) -> bytes:
    """The business manager's email asking for the pack."""
    cfg = rt.board.config
    manager = cfg.business_managers[0]
    msg = EmailMessage()
    msg["From"] = manager.formatted()
    msg["To"] = cfg.mailbox_address.formatted()
    msg["Subject"] = f"PACK {reference}"
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = f"<demo-pack-{reference.lower()}@{manager.email.split('@')[1]}>"
    msg.set_content(f"Please send the scoping pack for {reference} to the sub-group chair.\n")
    return bytes(msg)


def demo_pack(rt: BoardRuntime, reference: str, when: dt.datetime) -> list[str]:
    with rt.store.session() as s:
        before = s.scalar(select(func.max(OutboxMail.id))) or 0
    deliver(inbox_of(rt), [pack_command(rt, reference, when)], start=1_800_000_000)
    drain(rt)
    with rt.store.session() as s:
        new = s.scalar(select(OutboxMail.id).where(OutboxMail.id > before, OutboxMail.kind == "pack").limit(1))
    lines = [f"The business manager emailed 'PACK {reference}'"
             + (": mailbot made the pack and sent it." if new else " on an earlier run: nothing is sent twice.")]
    with rt.store.session() as s:
        case = s.scalar(select(Case).where(Case.board == rt.slug, Case.reference == reference))
        rows = s.scalars(select(OutboxMail).where(OutboxMail.case_id == case.id, OutboxMail.kind == "pack")
                         .order_by(OutboxMail.id)).all() if case else []
        for row in rows:
            lines.append(f"'{row.subject}' ({row.status}) to {', '.join(row.recipients)}")
        if rows:
            folder = rt.data_dir / "packs" / reference
            for part in email.message_from_bytes(rows[-1].raw, policy=policy.default).iter_attachments():
                write_private(folder / part.get_filename(), part.get_content())
                lines.append(f"  {part.get_filename()} (also written to {folder})")
    lines.append(f"The front sheet on its own: mailbot case {reference} --front-sheet")
    return lines
