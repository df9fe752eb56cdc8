"""A scoping return an agency sends as an Outlook item attached to its email."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage

from sqlalchemy import select

from mailbot.demo.mailbox import deliver
from mailbot.daemon import drain
from mailbot.demo.seed import load_state
from mailbot.store.models import Case, MessageSeen, Record
from tests.conftest import SAMPLES
from tests.inbound.outlook_msg import build_msg

RETURN = SAMPLES / "emails" / "03-scoping-return-police.eml"


def _as_outlook_item(raw: bytes) -> bytes:
    """The sample police return, re-sent with its form inside an attached .msg."""
    original = email.message_from_bytes(raw, policy=policy.default)
    (form,) = list(original.iter_attachments())
    out = EmailMessage()
    for header in ("From", "To", "Subject", "Date", "In-Reply-To", "References"):
        if original[header]:
            out[header] = original[header]
    out["Message-ID"] = "<outlook-item-return@police.sussex.example>"
    out.set_content("Please see our return attached as an Outlook item.")
    item = build_msg(str(original["Subject"]), "Return attached.", [(form.get_filename(), form.get_content())])
    out.add_attachment(item, maintype="application", subtype="vnd.ms-outlook", filename="Return.msg")
    return bytes(out)


def test_return_inside_an_outlook_item_is_read_and_recorded(maildir_runtime):
    rt = maildir_runtime
    load_state(rt, SAMPLES / "emails" / "bot-state.json", SAMPLES)
    deliver(rt.data_dir / "mail" / rt.slug / "inbox", [_as_outlook_item(RETURN.read_bytes())], start=1_700_000_000)
    while drain(rt).handled:
        pass
    with rt.store.session() as s:
        (row,) = s.scalars(select(MessageSeen)).all()
        assert (row.kind, row.outcome) == ("scoping_return", "processed")
        case = s.scalar(select(Case).where(Case.reference == "WS-2026-0001"))
        police = next(r for r in case.requests if r.agency == "Sussex Police")
        assert police.status == "returned"
        record = s.scalar(select(Record).where(Record.message_row_id == row.id))
        assert record.form_type == "scoping_return" and record.agency == "Sussex Police"
