"""Stage 2 in the pack: what the review asked each agency for, and their reports as received.

Once a review is under way the pack's reader (the sub-group, or the review
panel) needs the stage-2 requests beside the scoping ones — who was asked
for a chronology or a management report, by when, chased how, answered
when — and the reports themselves. Chronology forms are read and merged
into the integrated chronology (:mod:`mailbot.pack.collect`); a report is
stored as received, so it goes with the pack as a file of its own, named
by case, what it is and the agency (never by the sender's file name, which
often names the child). Reports are attached while their sizes stay
within a budget that keeps the pack's email inside mail servers' common
limit; any beyond it are named in the email as kept by mailbot.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import PurePath

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.outbound.compose import OutgoingAttachment
from mailbot.runtime import BoardRuntime
from mailbot.sizes import MB
from mailbot.store.models import Attachment, Case
from mailbot.store.review_models import ReviewRequest
from mailbot.workflow.chasing import chase_lines
from mailbot.workflow.common import read_stored
from mailbot.workflow.stage2 import return_label

#: Reports attached to one pack email, in all (the pack's own files are well under 1 MB).
REPORT_BUDGET_BYTES = 15 * MB
#: What a report is sent as, by the kind the reader sniffed it to be (stored instead of the sender's label).
MIME_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "doc": "application/msword", "pdf": "application/pdf", "odt": "application/vnd.oasis.opendocument.text",
    "rtf": "application/rtf",
}
REVIEW_STATUS = {"returned": "returned", "not_known": "nil return", "outstanding": "missing"}


@dataclass(frozen=True)
class ReviewLine:
    """One stage-2 request on the cover sheet."""

    agency: str
    asked_for: str
    status: str
    requested_on: dt.date
    due_on: dt.date
    answered_on: dt.date | None
    chases: list[str]


@dataclass(frozen=True)
class Report:
    """A report returned for the review, stored as received."""

    request_id: int
    agency: str
    asked_for: str
    attachment_id: int
    suffix: str
    content_type: str
    size: int


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def review_lines(s: Session, rt: BoardRuntime, case: Case) -> list[ReviewLine]:
    cal, out = rt.board.calendar, []
    for req in s.scalars(select(ReviewRequest).where(ReviewRequest.case_id == case.id).order_by(ReviewRequest.id)):
        out.append(ReviewLine(req.agency, _capital(return_label(rt, req)), REVIEW_STATUS.get(req.status, req.status),
                              cal.today(req.requested_at), req.due_on,
                              cal.today(req.answered_at) if req.answered_at else None, chase_lines(s, rt, req)))
    return out


def reports(s: Session, rt: BoardRuntime, case: Case) -> list[Report]:
    """The returned documents that were stored, not read (a chronology form is read into a record)."""
    rows = s.execute(select(ReviewRequest, Attachment).join(Attachment, Attachment.id == ReviewRequest.attachment_id)
                     .where(ReviewRequest.case_id == case.id, ReviewRequest.status == "returned",
                            ReviewRequest.record_id.is_(None))
                     .order_by(ReviewRequest.id)).all()
    return [Report(req.id, req.agency, return_label(rt, req), att.id, PurePath(att.filename).suffix.lower()[:8],
                   att.content_type or "application/octet-stream", att.size) for req, att in rows]


def report_files(s: Session, rt: BoardRuntime, case: Case, found: list[Report],
                 budget: int = REPORT_BUDGET_BYTES) -> tuple[list[OutgoingAttachment], list[str]]:
    """(files attached, what was kept back and why): reports in the order they came, within ``budget``."""
    attached: list[OutgoingAttachment] = []
    kept: list[str] = []
    used = 0
    for report in found:
        name = f"{case.reference} {_capital(report.asked_for)} – {report.agency}{report.suffix}"
        if used + report.size > budget:
            kept.append(f"{report.asked_for} from {report.agency} (too large to attach with the rest)")
            continue
        data = read_stored(rt, s.get(Attachment, report.attachment_id))
        if data is None:
            kept.append(f"{report.asked_for} from {report.agency} (its stored file is missing)")
            continue
        used += len(data)
        kind = report.content_type if report.content_type in MIME_TYPES else report.suffix.lstrip(".")
        attached.append(OutgoingAttachment(name, data, MIME_TYPES.get(kind, "application/octet-stream")))
    return attached, kept
