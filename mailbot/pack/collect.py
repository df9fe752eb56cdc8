"""What a pack is made of, read from the ledger in one place.

``collect`` gathers a case's referral, every stored return and chronology
form (with the file each came in), each agency asked and what became of
its request (chasing included), and the packs sent before. Everything
after this is built from the :class:`PackInput` alone, so the documents
never query the database and the same input always gives the same pack.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.pack.chronology import Source
from mailbot.pack.review import Report, ReviewLine, reports, review_lines
from mailbot.runtime import BoardRuntime
from mailbot.store.models import Attachment, AuditEntry, Case, OutboxMail, Record, ScopingRequest
from mailbot.workflow.chasing import chase_lines

RETURN_TYPES = ("scoping_return", "chronology")
PACK_KIND = "pack"
STATUS_LABELS = {"returned": "returned", "not_known": "not known to the agency", "outstanding": "missing"}
_AUDIT = re.compile(r"version (\d+); records ([\d,]*); outstanding ([\d,]*)")


@dataclass(frozen=True)
class AgencyLine:
    """One agency on the cover sheet: asked or not, answered or chased."""

    agency: str
    status: str
    requested_on: dt.date | None
    due_on: dt.date | None
    answered_on: dt.date | None
    chases: list[str]
    documents: list[str]
    request_id: int | None = None


@dataclass(frozen=True)
class PackSent:
    """An earlier pack of the case, as the outbox and the audit trail recorded it."""

    version: int
    sent_on: dt.date
    record_ids: frozenset[int]
    outstanding_ids: frozenset[int]


@dataclass
class PackInput:
    case: Case
    referral: dict[str, Any] | None
    sources: list[Source]
    agencies: list[AgencyLine]
    previous: list[PackSent] = field(default_factory=list)
    today: dt.date = dt.date.min
    made_at: dt.datetime = dt.datetime.min
    #: Stage 2: what the review asked each agency for, and the reports stored as received.
    review: list[ReviewLine] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)

    @property
    def record_ids(self) -> list[int]:
        return sorted(s.record_id for s in self.sources)

    @property
    def outstanding_ids(self) -> list[int]:
        return sorted(a.request_id for a in self.agencies if a.status == "missing" and a.request_id)

    def fingerprint(self) -> str:
        """Identical for identical contents: the outbox refuses the same pack twice."""
        states = sorted((a.agency, a.status) for a in self.agencies)
        text = f"records={self.record_ids};agencies={states}"
        if self.review:  # stage 2 (absent before it: the fingerprints of earlier packs stay as they were)
            asked = sorted((r.agency, r.asked_for, r.status) for r in self.review)
            text += f";review={asked};reports={sorted(r.attachment_id for r in self.reports)}"
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def version(self) -> int:
        return len(self.previous) + 1


def _agencies(s: Session, rt: BoardRuntime, case: Case, sources: list[Source]) -> list[AgencyLine]:
    cal = rt.board.calendar
    out: list[AgencyLine] = []
    by_agency: dict[str, list[str]] = {}
    for src in sources:
        by_agency.setdefault(src.agency, []).append(src.filename or src.form_type.replace("_", " "))
    for req in s.scalars(select(ScopingRequest).where(ScopingRequest.case_id == case.id)
                         .order_by(ScopingRequest.id)):
        out.append(AgencyLine(req.agency, STATUS_LABELS.get(req.status, req.status), cal.today(req.requested_at),
                              req.due_on, cal.today(req.answered_at) if req.answered_at else None,
                              chase_lines(s, rt, req),
                              by_agency.pop(req.agency, []), req.id))
    for agency, docs in by_agency.items():
        out.append(AgencyLine(agency, "returned (not asked)", None, None, None, [], docs))
    return out


def _ids(text: str) -> frozenset[int]:
    return frozenset(int(x) for x in text.split(",") if x)


def _previous(s: Session, case: Case, cal: Any) -> list[PackSent]:
    """Packs sent before: the outbox dates them, their ``pack_sent`` audit rows say what they held."""
    sent = s.scalars(select(OutboxMail.created_at).where(  # not the rows: each holds a whole pack
        OutboxMail.case_id == case.id, OutboxMail.kind == PACK_KIND).order_by(OutboxMail.id)).all()
    notes = s.scalars(select(AuditEntry.detail).where(AuditEntry.case_id == case.id,
                                                      AuditEntry.action == "pack_sent")
                      .order_by(AuditEntry.id)).all()
    held = {int(m[1]): (_ids(m[2]), _ids(m[3])) for m in (_AUDIT.search(n or "") for n in notes) if m}
    return [PackSent(version, cal.today(when), *held.get(version, (frozenset(), frozenset())))
            for version, when in enumerate(sent, start=1)]


def collect(s: Session, rt: BoardRuntime, case: Case) -> PackInput:
    """Everything the pack of ``case`` shows, as it stands now."""
    records = s.scalars(select(Record).where(Record.case_id == case.id).order_by(Record.id)).all()
    referral = next((r.data for r in records if r.form_type == "referral"), None)
    names = {a.id: a.filename for a in s.scalars(select(Attachment).where(
        Attachment.id.in_([r.attachment_id for r in records if r.attachment_id])))}
    sources = []
    for record in (r for r in records if r.form_type in RETURN_TYPES):
        agency = record.agency or _directory_name(rt, record.data.get("agency")) or "Agency not named"
        sources.append(Source(len(sources), record.id, record.form_type, agency, record.data,
                              names.get(record.attachment_id), record.created_at))
    return PackInput(case=case, referral=referral, sources=sources, agencies=_agencies(s, rt, case, sources),
                     previous=_previous(s, case, rt.board.calendar), today=rt.today(), made_at=rt.now(),
                     review=review_lines(s, rt, case), reports=reports(s, rt, case))


def _directory_name(rt: BoardRuntime, written: str | None) -> str | None:
    agency = rt.directory.agency_named(written)
    return agency.name if agency else written
