"""A case with eight agencies' returns, on the West Sussex sample board (all fictional).

The seeded case WS-2026-0001 (the sample corpus's bot state: the referral
of EN, mother PN, her partner NW, grandmother NN, half-sibling SM) gets one
return or chronology from each of the board's eight agencies: exact dates
with and without times, approximate dates ("June 2025 approx", "Spring
2025", "2025"), undated rows, family names written out in full, a
professional who shares a family member's first name, and one event (the
strategy discussion of 13/01/2026) reported by both the police and
Children's Services.
"""

from __future__ import annotations

import datetime as dt
import email
import hashlib
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from sqlalchemy import select

from mailbot.demo.mailbox import deliver
from mailbot.daemon import drain
from mailbot.demo.seed import load_state
from mailbot.store.models import Case, OutboxMail, Record, ScopingRequest
from mailbot.workflow.common import store_attachment, utc
from tests.conftest import SAMPLES
from tests.flow.conftest import clock, maildir_runtime, sample_emails, ws_board  # noqa: F401 - fixtures

REFERENCE = "WS-2026-0001"
BM = "businessmanager@westsussex-scb.example"
SUBGROUP_CHAIR = "crsg.chair@westsussex-scb.example"


def event(date: str | None, text: str, written: str | None = None) -> dict:
    iso = dt.datetime.strptime(date, "%d/%m/%Y").date().isoformat() if date else None
    return {"date": iso, "date_text": written or date, "event": text}


def entry(subject: str, date: str | None, text: str, *, written: str | None = None, time: str | None = None,
          agency: str | None = None, contact: str | None = None, action: str | None = None,
          family: str | None = None) -> dict:
    iso = dt.datetime.strptime(date, "%d/%m/%Y").date().isoformat() if date else None
    return {"subject": subject, "date": iso, "date_text": written or date, "time": time, "agency": agency,
            "contact_type": contact, "text": text, "action_taken": action, "family_present": family}


def scoping_return(agency: str, events: list[dict], **extra: object) -> dict:
    base = {"form_type": "scoping_return", "board": "west-sussex", "form": "west-sussex/summary-of-involvement",
            "case_reference": REFERENCE, "agency": agency,
            "completed_by": {"name": None, "role": None, "email": None, "phone": None, "address": None},
            "date_completed": None, "child": {"full_name": "Ethan Newbold", "date_of_birth": "2025-04-17",
                                              "address": None},
            "incident_date": None, "period_of_interest": None, "known_to_service": True, "family_known": None,
            "involvement": None, "concerns": None, "significant_events": events, "overview": None,
            "concerns_not_acted_on": None, "multi_agency_implications": None, "other_agencies": None}
    return {**base, **extra}


def chronology(agency: str, entries: list[dict]) -> dict:
    return {"form_type": "chronology", "board": "west-sussex", "form": "swindon/chronology", "agency": agency,
            "case_reference": REFERENCE, "entries": entries}


POLICE, CSC, HEALTH, ICB = ("Sussex Police", "West Sussex Children's Services",
                            "Coastal Sussex Healthcare NHS Trust", "West Sussex ICB")
GP, SCHOOL, PROBATION, YJS = ("Harbourside Medical Practice", "Downland Academy", "Probation Service (Sussex)",
                              "West Sussex Youth Justice Service")

EIGHT_RETURNS: list[tuple[str, str, dict]] = [
    (POLICE, "summary-police.docx", scoping_return(POLICE, [
        event("24/12/2025", "Neighbour reported shouting at the address. Officers attended; Poppy Newbold said "
                            "it was a verbal argument."),
        event("13/01/2026", "Strategy discussion held with Children's Services and the paediatrician about Ethan."),
        event(None, "Intelligence report: Neil Whitcombe known to police for violence.", written="June 2025 approx"),
    ], completed_by={"name": "DI Lorna Endicott", "role": None, "email": "lorna.endicott@police.sussex.example",
                     "phone": None, "address": None},
        involvement="Sussex Police knew Poppy Newbold and Neil Whitcombe from December 2024.")),
    (CSC, "chronology-csc.docx", chronology(CSC, [
        entry("EN", "13/01/2026", "Strategy discussion with Sussex Police and the paediatrician; section 47 enquiry "
                                  "agreed for Ethan.", time="16:30", contact="Meeting", action="S47 enquiry."),
        entry("PN", None, "Referral from the health visitor about Poppy's low mood.", written="Spring 2025",
              contact="Referral"),
        entry("Poppy Newbold", "01/06/2025", "Home visit by Niamh Lomax, social worker; Poppy Newbold and Ethan "
                                             "seen.", contact="Home visit", family="Poppy Newbold, EN",
              agency="West Sussex Children's Services – Niamh Lomax"),
        entry("NW", None, "Anonymous call about NW staying at the address.", written="N/K", contact="Telephone call"),
    ])),
    (HEALTH, "chronology-health.docx", chronology(HEALTH, [
        entry("EN", "13/01/2026", "EN brought to the Emergency Department drowsy and vomiting; CT scan.",
              time="14:20", contact="ED attendance", action="Admitted; safeguarding referral."),
        entry("PN", "13/01/2026", "Call from PN to the ward asking for advice.", time="am", contact="Telephone call"),
        entry("EN", None, "New birth visit completed by the health visitor.", written="2025", contact="Home visit"),
        entry("EN", "05/03/2025", "Reviewed by Dr Poppy Carstairs, consultant paediatrician.", contact="Clinic"),
    ])),
    (ICB, "summary-icb.docx", scoping_return(ICB, [
        event(None, "Designated nurse advice given to the GP practice.", written="date not recorded"),
        event("01/06/2025", "GP practice asked for advice about Ethan Newbold's weight."),
    ])),
    (GP, "chronology-gp.docx", chronology(GP, [
        entry("EN", None, "Missed the 8-week check.", written="Jul 25 approx", contact="Missed appointment"),
        entry("PN", "12/09/2025", "PN seen by GP for low mood; sertraline started.", time="10:05",
              contact="Appointment"),
        entry("EN", "13/01/2026", "GP informed of the admission by the hospital.", time="pm", contact="Letter"),
    ])),
    (SCHOOL, "summary-school.docx", scoping_return(SCHOOL, [
        event("12/09/2025", "Shannon Marchant said at school that she was frightened of Neil Whitcombe."),
        event(None, "Attendance of Shannon fell below 85%.", written="Autumn term 2025"),
    ])),
    (PROBATION, "summary-probation.docx", scoping_return(PROBATION, [
        event(None, "NW released on licence.", written="2024"),
        event("03/11/2025", "Licence review meeting with NW."),
    ])),
    (YJS, "chronology-yjs.docx", chronology(YJS, [
        entry("EN", "20/01/2026", "Records checked: no involvement with the family.", contact="Record check",
              action="None."),
    ])),
]


def add_return(s, rt, case: Case, agency: str, filename: str, data: dict,  # noqa: ANN001
               received: dt.datetime | None = None) -> Record:
    """A return as stage 1 stores it: the file, the record, the request marked answered."""
    blob = f"{filename}:{agency}:{len(data)}".encode()
    att = store_attachment(s, rt, filename, blob, hashlib.sha256(blob).hexdigest(), "application/octet-stream")
    rec = Record(board=rt.slug, case_id=case.id, form_type=data["form_type"], form_id=data["form"], agency=agency,
                 data=data, attachment_id=att.id, created_at=received or utc(rt.now()))
    s.add(rec)
    s.flush()
    request = s.scalar(select(ScopingRequest).where(ScopingRequest.case_id == case.id,
                                                    ScopingRequest.agency == agency))
    if request is not None and request.status == "outstanding":
        request.status, request.answered_at, request.record_id = "returned", utc(rt.now()), rec.id
    return rec


@pytest.fixture
def rt(maildir_runtime):  # noqa: ANN001, ANN201
    load_state(maildir_runtime, SAMPLES / "emails" / "bot-state.json", SAMPLES)
    return maildir_runtime


@pytest.fixture
def eight(rt):  # noqa: ANN001, ANN201
    """WS-2026-0001 with all eight agencies' returns stored."""
    with rt.store.transaction() as s:
        case = s.scalar(select(Case).where(Case.reference == REFERENCE))
        for agency, filename, data in EIGHT_RETURNS:
            add_return(s, rt, case, agency, filename, data)
    return rt


def case_of(s) -> Case:  # noqa: ANN001
    return s.scalar(select(Case).where(Case.reference == REFERENCE))


_counter = iter(range(1_750_000_000, 1_760_000_000, 100))


def run_mail(rt, raws: list[bytes]) -> None:  # noqa: ANN001
    """Deliver messages into the board mailbox and run the daemon's loop until it is drained."""
    deliver(rt.data_dir / "mail" / rt.slug / "inbox", raws, start=next(_counter))
    while drain(rt).handled:
        pass


def sample(prefix: str) -> bytes:
    return next(raw for name, _e, raw in sample_emails() if name.startswith(prefix))


def command(rt, subject: str, sender: str = BM,  # noqa: ANN001
            message_id: str = "<pack-1@westsussex-scb.example>") -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Martin Kellaway <{sender}>"
    msg["To"] = "WSSCB Mailbox <lscb@westsussex-scb.example>"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(rt.now())
    msg["Message-ID"] = message_id
    msg.set_content("Please send the pack.\n\nMartin")
    return bytes(msg)


def packs(rt) -> list[OutboxMail]:  # noqa: ANN001
    with rt.store.session() as s:
        return list(s.scalars(select(OutboxMail).where(OutboxMail.kind == "pack").order_by(OutboxMail.id)))


def outgoing(rt, kind: str) -> list[OutboxMail]:  # noqa: ANN001
    with rt.store.session() as s:
        return list(s.scalars(select(OutboxMail).where(OutboxMail.kind == kind, ~OutboxMail.dedupe_key.contains(
            ":seed:")).order_by(OutboxMail.id)))


def parsed(row: OutboxMail) -> EmailMessage:
    return email.message_from_bytes(row.raw, policy=policy.default)  # type: ignore[return-value]


def attachments(row: OutboxMail) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() for part in parsed(row).iter_attachments()}
