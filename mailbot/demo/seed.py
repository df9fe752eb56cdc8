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
        _load_drafts(s, rt, case, [item for item in state["sent"] if item["kind"] == "draft"])
        audit(s, rt, "state_loaded", f"{len(state['sent'])} earlier emails", case)
        return case


# --- drafts awaiting the Chair ----------------------------------------------------

_DRAFT_KINDS = {"Ofsted, DfE and the National Panel": "scr_notification",
                "board members and partner agencies": "agencies_letter",
                "decision not to initiate": "no_scr_notification"}


def _draft_recipients(rt: BoardRuntime, label: str) -> list[str]:
    from mailbot.workflow.drafts import recipients_for

    cfg = rt.board.config
    out: list[str] = []
    for part in (p.strip().lower() for p in label.split(";")):
        people = {"ofsted": [cfg.notify.ofsted.formatted()], "dfe": [cfg.notify.dfe.formatted()],
                  "the national panel": [cfg.notify.national_panel.formatted()],
                  "partner agencies": recipients_for(cfg, "agencies_letter")}.get(part, [])
        out += [p for p in people if p not in out]
    return out


def _load_drafts(s, rt: BoardRuntime, case: Case, items: list[dict]) -> None:  # noqa: ANN001
    """Draft rows for the state's drafts (token, expiry, status), each with a rendered document."""
    from mailbot.store.approvals_models import Draft
    from mailbot.workflow.decisions import document_context
    from mailbot.workflow.drafts import KINDS, document_filename, milestone_due, render_document, store_document

    if not items:
        return
    if case.decision is None and any("Ofsted, DfE" in i["title"] for i in items):
        case.decision = "scr"  # notifications of an SCR decision were drafted: it was decided
        case.decided_on = parsedate_to_datetime(items[0]["date"]).date()
    by_name: dict[str, Draft] = {}
    for item in items:
        kind = next((v for key, v in _DRAFT_KINDS.items() if key in item["title"]), "letter")
        ctx = document_context(rt, case, addressees=item["recipients"], body=[f"{item['title']}."])
        data = render_document(rt, kind, {**ctx, "title": item["title"]})
        att = store_document(s, rt, document_filename(case, item["title"]), data)
        sent = utc(parsedate_to_datetime(item["date"]))
        draft = Draft(board=rt.slug, case_id=case.id, kind=kind, title=item["title"], token=item["token"],
                      chair_email=rt.board.config.chair.email, message_id=item["message_id"],
                      status=item["status"], created_at=sent, expires_at=utc(dt.datetime.fromisoformat(item["expires"])),
                      recipients=_draft_recipients(rt, item["recipients"]), recipients_label=item["recipients"],
                      context=ctx, document_id=att.id, enclosure_ids=[], sent_outbox_ids=[], refusals=[],
                      milestone=KINDS[kind].milestone if kind in KINDS else None, chase_level=0)
        draft.due_on = milestone_due(rt, case, draft.milestone)
        s.add(draft)
        s.flush()
        by_name[item.get("draft", item["token"])] = draft
    for item in items:
        if item.get("superseded_by") in by_name:
            by_name[item.get("draft", item["token"])].superseded_by_id = by_name[item["superseded_by"]].id
