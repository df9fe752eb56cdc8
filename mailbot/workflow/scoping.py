"""Scoping requests: every named and standing agency asked, with the board's form filled in.

process.md stage 1 step 3. Called in the transaction that opens the case, so
the case, its requests and their emails commit together.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from mailbot.config import Agency
from mailbot.inbound.attachments import safe_filename
from mailbot.outbound import outbox
from mailbot.outbound.compose import OutgoingAttachment, document_template
from mailbot.runtime import BoardRuntime
from mailbot.store.models import Case, ScopingRequest
from mailbot.workflow.common import audit, utc


def _request_agencies(rt: BoardRuntime, record) -> tuple[list[Agency], list[str]]:
    """Agencies to ask: those the referral names, then the standing ones.

    Returns (agencies, names on the form that are not in the directory).
    """
    chosen: list[Agency] = []
    unknown: list[str] = []
    for involvement in getattr(record, "agencies", []) or []:
        agency = rt.directory.agency_named(involvement.agency)
        if agency is None:
            if involvement.agency and involvement.agency not in unknown:
                unknown.append(involvement.agency)
        elif agency not in chosen:
            chosen.append(agency)
    for agency in rt.directory.standing_agencies:
        if agency not in chosen:
            chosen.append(agency)
    return chosen, unknown


def _scoping_form(rt: BoardRuntime, case: Case, agency: Agency, due: dt.date, child) -> list[OutgoingAttachment]:  # noqa: ANN001
    """The board's scoping form for this request, with the case's details filled in.

    A ``.docx`` with docxtpl placeholders gets the case reference, the
    child's details, the agency and the return date; agencies complete the
    rest as they always have. A form without placeholders is attached as it is.
    The template is prepared once per file (``document_template``): eight
    requests per referral must not each re-read the board's styles.
    """
    path = rt.board.config.scoping.blank_form
    if not path:
        return []
    file = rt.board.resolve_path(path)
    name = f"{file.stem} – {agency.name} ({case.reference}){file.suffix}"
    if file.suffix.lower() == ".docx":
        cfg = rt.board.config
        data = document_template(file, autoescape=True).render({
            "board_name": cfg.name, "board_short": cfg.short_name, "mailbox": cfg.mailbox_address.email,
            "case_reference": case.reference, "agency": agency.name,
            "due": due.strftime("%d/%m/%Y"), "due_long": f"{due:%A} {due.day} {due:%B %Y}",
            "child_name": (getattr(child, "full_name", None) or " ".join(
                x for x in (getattr(child, "first_name", None), getattr(child, "surname", None)) if x)),
            "child_dob": child.date_of_birth.strftime("%d/%m/%Y") if getattr(child, "date_of_birth", None) else "",
            "child_address": getattr(child, "address", None) or "",
            "incident_date": (child.date_of_incident.strftime("%d/%m/%Y")
                              if getattr(child, "date_of_incident", None) else ""),
        })
    else:
        data = file.read_bytes()
    return [OutgoingAttachment(safe_filename(name), data)]


def scoping_due(rt: BoardRuntime, requested: dt.date) -> dt.date:
    """The regime's date for the returns asked for now: ``scoping_returns`` (wt2015), or the
    chased milestone dated from the requests (wt2023's ``agency_returns``)."""
    regime = rt.board.regime
    rule = next((m for m in regime.milestones if m.id == "scoping_returns"), None) or next(
        m for m in regime.milestones if m.chase and m.anchor == "scoping_requested")
    return rule.offset.apply(rt.board.calendar, requested)


def send_scoping_requests(s: Session, rt: BoardRuntime, case: Case, record) -> list[str]:
    """Ask every named and standing agency; returns names not in the directory."""
    agencies, unknown = _request_agencies(rt, record)
    due = scoping_due(rt, rt.today())
    child = getattr(record, "child", None)
    for agency in agencies:
        contact = agency.scoping_contacts[0]
        msg = rt.composer.build(
            "scoping/request", kind="scoping_request", to=[contact], now=rt.now(),
            case_reference=case.reference, attachments=_scoping_form(rt, case, agency, due, child),
            context={"agency": agency, "contact": contact, "due": due, "child": child,
                     "case": case},
        )
        row = outbox.queue(s, board=rt.slug, kind="scoping_request",
                           dedupe_key=f"{rt.slug}:request:{case.reference}:{agency.name}",
                           message=msg, now=rt.now(), case_id=case.id, flush=False)
        if row is None:
            continue
        s.add(ScopingRequest(case_id=case.id, agency=agency.name, contact_email=contact.email,
                             message_id=row.message_id, requested_at=utc(rt.now()), due_on=due,
                             status="outstanding", chase_level=0))
    audit(s, rt, "scoping_requested", f"{len(agencies)} agencies, due {due.isoformat()}", case)
    return unknown
