"""After the decision: what the review asks agencies for, and the dates a review keeps.

A :class:`ReviewRequest` is one agency asked for one stage-2 return (its
chronology, its agency / management report) on one case; it is chased like
a scoping request (:mod:`mailbot.workflow.chasing`). A :class:`ReviewDate`
is a date a business manager recorded by email (``DONE WS-2026-0001 first
draft 12/06/2026``, ``PUBLISH WS-2026-0001 ON 03/11/2026``) or a Panel's
answer: the events the regime's later milestones are dated from. Neither
holds personal data: agencies, addresses of professionals, ids and dates.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from mailbot.store.models import Base, Case, RequestColumns


class ReviewRequest(RequestColumns, Base):
    """One agency asked for one stage-2 return (``kind``: a regime return id)."""

    __tablename__ = "review_requests"
    __table_args__ = (
        UniqueConstraint("case_id", "kind", "agency", name="uq_review_request_case_kind_agency"),
        Index("ix_review_request_agency_chased", "agency", "last_chased_on"),
    )

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True, sort_order=-5)
    #: The regime's return id (``chronology``, ``management_report``).
    kind: Mapped[str] = mapped_column(String(40), sort_order=-4)
    #: The document as received (a report is stored, not read; a chronology form is a record).
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"), sort_order=5)

    case: Mapped[Case] = relationship(backref=backref("review_requests", order_by="ReviewRequest.id"))


class ReviewDate(Base):
    """A milestone done, or an event dated, on a case (one row per name)."""

    __tablename__ = "review_dates"
    __table_args__ = (UniqueConstraint("case_id", "name", name="uq_review_date_case_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    #: A regime milestone id or event name (``first_draft``, ``publication``).
    name: Mapped[str] = mapped_column(String(60))
    on: Mapped[dt.date] = mapped_column(Date)
    #: ``done`` (it happened) or ``planned`` (the date set for it, e.g. publication).
    state: Mapped[str] = mapped_column(String(16), default="done")
    recorded_by: Mapped[str] = mapped_column(String(320))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime)

    case: Mapped[Case] = relationship(backref=backref("review_dates", order_by="ReviewDate.id"))
