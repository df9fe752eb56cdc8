"""Drafts: the notification and its Word document, put to the Chair for approval.

``create_draft`` renders the document from the board's docx template (a file
of the same name under the board's ``templates:/documents/`` wins over the
shipped one), stores it, gives the draft its single-use token and queues the
email to the Chair, all in the caller's transaction. ``send_approved`` queues
the notification itself once the Chair has approved it (exactly once: the
outbox dedupe key is the draft's). Nothing here reads replies; that is
:mod:`mailbot.workflow.approvals`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docxtpl import DocxTemplate
from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.config import BoardConfig
from mailbot.outbound import outbox
from mailbot.outbound.compose import OutgoingAttachment
from mailbot.resources import templates_dir
from mailbot.runtime import BoardRuntime
from mailbot.store.approvals_models import AWAITING, EXPIRED, SENT, SUPERSEDED, Draft
from mailbot.store.models import Attachment, Case
from mailbot.workflow.common import audit, read_stored, store_attachment, utc

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
#: Token characters: no I or O (read as 1 and 0), no 0 or 1.
TOKEN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
TOKEN_RE = re.compile(r"#([A-HJ-NP-Z2-9]{6})(?![A-Za-z0-9])")


@dataclass(frozen=True)
class Kind:
    title: str
    #: The regime milestone the send meets (None: no statutory deadline).
    milestone: str | None
    recipients_label: str


KINDS: dict[str, Kind] = {
    "scr_notification": Kind(
        "Notification to Ofsted, DfE and the National Panel – decision to initiate a Serious Case Review",
        "notify_scr_decision", "Ofsted; DfE; the National Panel"),
    "agencies_letter": Kind("Letter to board members and partner agencies – secure your records",
                            "agencies_informed", "board members; partner agencies"),
    "no_scr_notification": Kind(
        "Notification to the National Panel – decision not to initiate a Serious Case Review",
        "notify_no_scr_decision", "the National Panel"),
    "report_to_panel": Kind("Report to Ofsted, DfE and the National Panel before publication",
                            "report_to_panel", "Ofsted; DfE; the National Panel"),
    "final_outcome_notification": Kind(
        "Notification to Ofsted, DfE and the National Panel – the final decision after the Panel's challenge",
        None, "Ofsted; DfE; the National Panel"),
}


def milestone_due(rt: BoardRuntime, case: Case, milestone: str | None) -> dt.date | None:
    """The due date of a case's milestone (from the regime's timeline), if it can be dated."""
    from mailbot.deadlines import timeline

    if not milestone:
        return None
    events = {k: v for k, v in (("notified", case.notified_on), ("decided", case.decided_on)) if v}
    for m in timeline(rt.board.regime, rt.board.calendar, events, case.decision):
        if m.id == milestone:
            return m.due
    return None


def new_token(s: Session) -> str:
    """``#`` + six unguessable characters, never used before on any board."""
    while True:
        token = "#" + "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(6))
        if s.scalar(select(Draft.id).where(Draft.token == token)) is None:
            return token


def recipients_for(cfg: BoardConfig, kind: str) -> list[str]:
    """Who a notification of this kind goes to (formatted addresses)."""
    if kind in ("scr_notification", "report_to_panel", "final_outcome_notification"):
        return [p.formatted() for p in (cfg.notify.ofsted, cfg.notify.dfe, cfg.notify.national_panel)]
    if kind == "no_scr_notification":
        return [cfg.notify.national_panel.formatted()]
    if kind == "agencies_letter":
        out: list[str] = []
        for agency in cfg.agencies:
            for person in [*agency.scoping_contacts, *([agency.senior_manager] if agency.senior_manager else [])]:
                if person.formatted() not in out:
                    out.append(person.formatted())
        return out
    return []


def template_path(rt: BoardRuntime, kind: str) -> Path:
    """The board's own docx template for ``kind``, else the shipped one, else the plain letter."""
    folders = []
    if rt.board.config.templates:
        folders.append(rt.board.resolve_path(rt.board.config.templates) / "documents")
    folders.append(templates_dir() / "documents")
    for name in (kind, "letter"):
        for folder in folders:
            if (folder / f"{name}.docx").is_file():
                return folder / f"{name}.docx"
    raise FileNotFoundError(f"no document template for {kind!r}")


def render_document(rt: BoardRuntime, kind: str, context: dict[str, Any]) -> bytes:
    doc = DocxTemplate(str(template_path(rt, kind)))
    doc.render(context, autoescape=True)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def document_filename(case: Case, title: str) -> str:
    short = re.sub(r"[^A-Za-z0-9 ,()-]+", "-", title.split(" – ")[0]).strip(" -")
    if len(short) > 80:
        short = short[:80].rsplit(" ", 1)[0]
    return f"{case.reference} {short}.docx"


def store_document(s: Session, rt: BoardRuntime, filename: str, data: bytes) -> Attachment:
    return store_attachment(s, rt, filename, data, hashlib.sha256(data).hexdigest(), DOCX)


def supersede(s: Session, rt: BoardRuntime, case: Case, kind: str, by: Draft | None) -> None:
    """Earlier drafts of this kind still awaiting the Chair are replaced."""
    for old in s.scalars(select(Draft).where(Draft.case_id == case.id, Draft.kind == kind,
                                             Draft.status == AWAITING)):
        if by is None or old.id != by.id:
            old.status = SUPERSEDED
            old.superseded_by_id = by.id if by else None
            audit(s, rt, "draft_superseded", f"draft {old.id} ({kind})", case)


def create_draft(s: Session, rt: BoardRuntime, case: Case, kind: str, context: dict[str, Any],
                 *, title: str | None = None, enclosure_ids: list[int] | None = None,
                 with_document: bool = True) -> Draft:
    """A new draft awaiting the Chair, its document stored and its email queued."""
    spec = KINDS.get(kind)
    cfg = rt.board.config
    now = utc(rt.now())
    draft = Draft(board=rt.slug, case_id=case.id, kind=kind, title=title or (spec.title if spec else kind),
                  token=new_token(s), chair_email=cfg.chair.email, status=AWAITING, created_at=now,
                  expires_at=now + dt.timedelta(days=cfg.approvals.expiry_days),
                  recipients=recipients_for(cfg, kind), recipients_label=spec.recipients_label if spec else "",
                  context=context, enclosure_ids=list(enclosure_ids or []), sent_outbox_ids=[], refusals=[],
                  milestone=spec.milestone if spec else None, chase_level=0)
    draft.due_on = milestone_due(rt, case, draft.milestone)
    s.add(draft)
    s.flush()
    supersede(s, rt, case, kind, draft)
    attachments: list[OutgoingAttachment] = []
    if with_document:
        data = render_document(rt, kind, {**context, "title": draft.title})
        att = store_document(s, rt, document_filename(case, draft.title), data)
        draft.document_id = att.id
        attachments.append(OutgoingAttachment(att.filename, data, DOCX))
    purpose = "decision/request" if kind in ("decision_request", "redecision_request") else "approval/request"
    preview = notification_text(rt, draft, case) if with_document else None
    local, domain = cfg.mailbox_address.email.split("@", 1)
    msg = rt.composer.build(
        purpose, kind="draft", to=[cfg.chair], now=rt.now(), case_reference=case.reference,
        attachments=attachments,
        reply_to=f"{local}+{draft.token[1:]}@{domain}" if cfg.approvals.plus_addressing else None,
        context={"draft": draft, "token": draft.token, "title": draft.title, "case": case,
                 "expires": local_time(rt, draft.expires_at), "preview": preview, **context},
    )
    row = outbox.queue(s, board=rt.slug, kind="draft", dedupe_key=f"{rt.slug}:draft:{draft.token}",
                       message=msg, now=rt.now(), case_id=case.id)
    draft.message_id = row.message_id if row else None
    audit(s, rt, "draft_sent_to_chair", f"draft {draft.id} ({kind})", case)
    return draft


def local_time(rt: BoardRuntime, when: dt.datetime) -> str:
    """A stored (naive UTC) time as the board reads it: ``17/02/2026 15:31``."""
    aware = when.replace(tzinfo=dt.timezone.utc).astimezone(rt.board.calendar.timezone)
    return aware.strftime("%d/%m/%Y %H:%M")


def notification_text(rt: BoardRuntime, draft: Draft, case: Case) -> str:
    """The text of the email the notification will go in (shown to the Chair)."""
    purpose = f"notifications/{draft.kind}" if draft.kind in KINDS else "notifications/letter"
    subject, body, _html = rt.composer.render(purpose, {**draft.context, "case_reference": case.reference,
                                                        "title": draft.title})
    return f"Subject: {subject}\n\n{body}"


def send_approved(s: Session, rt: BoardRuntime, draft: Draft, case: Case,
                  document: OutgoingAttachment | None) -> list[int]:
    """Queue the approved notification to its recipients, copied to the Chair (once)."""
    cfg = rt.board.config
    attachments = [document] if document else []
    for att_id in draft.enclosure_ids or []:
        att = s.get(Attachment, int(att_id))
        data = read_stored(rt, att) if att is not None else None
        if att is not None and data is not None:
            attachments.append(OutgoingAttachment(att.filename, data,
                                                  att.content_type if "/" in att.content_type else None))
    purpose = f"notifications/{draft.kind}" if draft.kind in KINDS else "notifications/letter"
    msg = rt.composer.build(purpose, kind="notification", to=draft.recipients, cc=[cfg.chair],
                            now=rt.now(), case_reference=case.reference, attachments=attachments,
                            context={**draft.context, "title": draft.title})
    row = outbox.queue(s, board=rt.slug, kind="notification", dedupe_key=f"{rt.slug}:notification:{draft.token}",
                       message=msg, now=rt.now(), case_id=case.id)
    ids = [row.id] if row else []
    draft.status = SENT
    draft.sent_at = utc(rt.now())
    draft.sent_outbox_ids = [*(draft.sent_outbox_ids or []), *ids]
    met = ""
    if draft.milestone:
        late = draft.due_on is not None and rt.today() > draft.due_on
        met = f"; milestone {draft.milestone} due {draft.due_on or '?'}{' (late)' if late else ''}"
    audit(s, rt, "notification_sent", f"draft {draft.id} ({draft.kind}) to {len(draft.recipients)} "
          f"recipients, Chair copied{met}", case)
    return ids


# --- drafts nobody answered: chased like any other deadline ------------------------

#: Reminders to the Chair this many working days after the draft went; the
#: second copies the business managers. At expiry the business managers are told.
REMIND_AFTER = (2, 4)


def chase_drafts(rt: BoardRuntime) -> int:
    """One idempotent pass over awaiting drafts (a ``schedule.due`` job); returns actions taken."""
    from mailbot.workflow.common import notify_business_managers

    actions = 0
    today, now = rt.today(), utc(rt.now())
    cal, cfg = rt.board.calendar, rt.board.config
    with rt.store.transaction() as s:
        for d in s.scalars(select(Draft).where(Draft.board == rt.slug, Draft.status == AWAITING)).all():
            case = s.get(Case, d.case_id)
            if now >= d.expires_at:
                d.status = EXPIRED
                audit(s, rt, "draft_expired", f"draft {d.id} ({d.kind})", case)
                notify_business_managers(s, rt, dedupe_key=f"draft-expired:{d.token}", case=case,
                                         headline="A draft expired without the Chair's answer",
                                         reason=f"'{d.title}' ({d.token}) was not answered in time: nothing was "
                                                "sent. Ask for a new draft or send it yourself.")
                actions += 1
                continue
            elapsed = cal.working_days_between(cal.today(d.created_at), today)
            level = sum(1 for n in REMIND_AFTER if elapsed >= n)
            if level <= d.chase_level or d.last_chased_on == today:
                continue
            doc = s.get(Attachment, d.document_id) if d.document_id else None
            data = read_stored(rt, doc) if doc is not None else None
            files = [OutgoingAttachment(doc.filename, data, DOCX)] if doc is not None and data is not None else []
            msg = rt.composer.build(
                "approval/reminder", kind="draft_reminder", to=[cfg.chair],
                cc=cfg.business_managers if level >= len(REMIND_AFTER) else [], now=rt.now(),
                case_reference=case.reference if case else None, attachments=files,
                in_reply_to=d.message_id, references=[d.message_id] if d.message_id else [],
                context={"draft": d, "title": d.title, "token": d.token, "expires": local_time(rt, d.expires_at),
                         "due": f"{d.due_on:%d/%m/%Y}" if d.due_on else None})
            outbox.queue(s, board=rt.slug, kind="draft_reminder", dedupe_key=f"{rt.slug}:draft-chase:{d.token}:{level}",
                         message=msg, now=rt.now(), case_id=d.case_id)
            d.chase_level, d.last_chased_on = level, today
            audit(s, rt, "draft_chased", f"draft {d.id} reminder {level}", case)
            actions += 1
    return actions


def drafts_for_digest(s: Session, board: str) -> list[dict[str, Any]]:
    """Drafts awaiting the Chair, and any draft a reply was refused for, for the daily digest."""
    rows = s.scalars(select(Draft).where(Draft.board == board, Draft.status.in_((AWAITING, SUPERSEDED, EXPIRED)))
                     .order_by(Draft.id)).all()
    out = []
    for d in rows:
        if d.status != AWAITING and not d.refusals:
            continue
        case = s.get(Case, d.case_id)
        out.append({"case_reference": case.reference if case else None, "title": d.title, "token": d.token,
                    "status": d.status, "sent_to_chair_at": d.created_at, "expires_at": d.expires_at,
                    "milestone": d.milestone, "due_on": d.due_on, "reminders": d.chase_level,
                    "refused_replies": list(d.refusals or [])})
    return out
