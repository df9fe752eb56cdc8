"""Loading a known starting state: what the bot had done before some mail arrived.

The sample corpus's ``bot-state.json`` describes a case the bot opened
earlier and every email it had sent (scoping requests, reminders, drafts).
The demo and the flow tests load it so that the sample replies thread back
to real rows. Loading is idempotent: a state already present is left alone.
"""

from __future__ import annotations

import datetime as dt
import json
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

from sqlalchemy import select

from mailbot.records import record_from_json
from mailbot.runtime import BoardRuntime
from mailbot.store.models import Case, OutboxMail, Record, ScopingRequest
from mailbot.workflow.common import audit, utc


def _raw(item: dict) -> bytes:
    msg = EmailMessage()
    msg["From"] = item["from"]
    msg["To"] = item["to"]
    msg["Subject"] = item["subject"]
    msg["Date"] = item["date"]
    msg["Message-ID"] = item["message_id"]
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content("(loaded from an earlier state)\n")
    return bytes(msg)


def load_state(rt: BoardRuntime, state_file: Path, samples_root: Path) -> Case:
    """Create the state's case, records, requests and sent mail (once)."""
    state = json.loads(state_file.read_text(encoding="utf-8"))
    info = state["case"]
    with rt.store.transaction() as s:
        case = s.scalar(select(Case).where(Case.board == rt.slug, Case.reference == info["reference"]))
        if case is not None:
            return case
        record = record_from_json(json.loads((samples_root / info["referral_record"]).read_text("utf-8")))
        opened = dt.datetime.fromisoformat(info["opened"])
        prefix, year, seq = info["reference"].split("-")
        case = Case(board=rt.slug, reference=info["reference"], year=int(year), seq=int(seq),
                    stage="scoping", status="open", opened_at=opened,
                    notified_on=getattr(record, "notification_date", None) or opened.date())
        s.add(case)
        s.flush()
        s.add(Record(board=rt.slug, case_id=case.id, form_type=record.form_type, form_id=record.form,
                     data=record.model_dump(mode="json"), created_at=opened))
        for item in state["sent"]:
            when = utc(parsedate_to_datetime(item["date"]))
            recipients = [a.strip().split("<")[-1].rstrip(">").lower() for a in item["to"].split(",")]
            s.add(OutboxMail(board=rt.slug, case_id=case.id, kind=item["kind"],
                             dedupe_key=f"{rt.slug}:seed:{item['message_id']}",
                             message_id=item["message_id"], recipients=recipients,
                             subject=item["subject"], raw=_raw(item), created_at=when,
                             status="sent", attempts=1, sent_at=when))
            if item["kind"] == "scoping_request":
                s.add(ScopingRequest(case_id=case.id, agency=item["agency"], contact_email=recipients[0],
                                     message_id=item["message_id"], requested_at=when,
                                     due_on=dt.date.fromisoformat(item["due"]), status="outstanding"))
        s.flush()
        for item in state["sent"]:
            if item["kind"] == "chase":
                req = s.scalar(select(ScopingRequest).where(ScopingRequest.case_id == case.id,
                                                            ScopingRequest.agency == item["agency"]))
                if req is not None:
                    req.chase_level = max(req.chase_level, int(item.get("reminder", 1)))
                    req.last_chased_on = parsedate_to_datetime(item["date"]).date()
        audit(s, rt, "state_loaded", f"{len(state['sent'])} earlier emails", case)
        return case
