"""The ledger: every fact mailbot relies on is a row here.

Messages seen, records parsed, cases, scoping requests, outgoing mail and the
audit trail. IMAP flags and folders are a courtesy; these rows are the truth,
so a restart, a crash or a lost folder move changes nothing.

Times are stored as naive UTC; dates (deadlines) as plain dates in the
board's calendar. Audit ``detail`` and ``reason`` columns never hold a
child's or family member's personal data: they name kinds, agencies and ids.
The columns that do hold it (``records.data``, ``outbox.raw``) are sealed
when an encryption key is configured (:mod:`mailbot.store.crypto`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from mailbot.store.crypto import SealedBytes, SealedJSON


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[str]: JSON}


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("board", "year", "seq", name="uq_case_board_year_seq"),
        Index("ix_cases_board_status", "board", "status"),  # the open cases, however many have closed
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    board: Mapped[str] = mapped_column(String(64), index=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    #: Where the case is (see mailbot.workflow.stages).
    stage: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16), default="open")
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime)
    #: The day the board learned of the case (the referral's notification date).
    notified_on: Mapped[dt.date | None] = mapped_column(Date)
    decision: Mapped[str | None] = mapped_column(String(32))
    decided_on: Mapped[dt.date | None] = mapped_column(Date)
    #: The thread root: the referral message's Message-ID.
    referral_message_id: Mapped[str | None] = mapped_column(String(998))
    #: Who referred (an agency's professional address, to acknowledge).
    referrer_email: Mapped[str | None] = mapped_column(String(320))
    #: The day a business manager set for the scoping pack to go (board calendar);
    #: cleared once a pack has gone (mailbot.pack.scheduled).
    pack_on: Mapped[dt.date | None] = mapped_column(Date)

    requests: Mapped[list["ScopingRequest"]] = relationship(
        back_populates="case", order_by="ScopingRequest.id"
    )
    records: Mapped[list["Record"]] = relationship(back_populates="case", order_by="Record.id")


class MessageSeen(Base):
    """One incoming message and what became of it (the intake ledger)."""

    __tablename__ = "messages_seen"
    __table_args__ = (
        UniqueConstraint("board", "sha256", name="uq_message_board_sha"),
        Index("ix_message_board_msgid", "board", "message_id"),
        Index("ix_message_board_outcome", "board", "outcome"),  # the held ones, among every message
        Index("ix_message_board_settle_token", "board", "settle_token"),
        Index("ix_message_board_resolved", "board", "resolved_at"),  # settled since the last digest
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    board: Mapped[str] = mapped_column(String(64))
    mailbox: Mapped[str] = mapped_column(String(200))
    folder: Mapped[str] = mapped_column(String(200))
    uid: Mapped[str] = mapped_column(String(200))
    uidvalidity: Mapped[str | None] = mapped_column(String(32))
    message_id: Mapped[str | None] = mapped_column(String(998))
    sha256: Mapped[str] = mapped_column(String(64))
    sender: Mapped[str | None] = mapped_column(String(320))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime)
    kind: Mapped[str] = mapped_column(String(32))
    #: ``processed`` or ``needs-attention``.
    outcome: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    #: When a person dealt with a message held for attention.
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    #: The token in a held message's notice (``HOLD-K3M9QX``): a business manager's reply
    #: carrying it settles the message (``workflow/settle.py``); used once.
    settle_token: Mapped[str | None] = mapped_column(String(16))
    #: Who settled it by reply, and as what (``not known to Sussex Police``, ``ignored``…).
    settled_by: Mapped[str | None] = mapped_column(String(320))
    settled_as: Mapped[str | None] = mapped_column(String(200))
    #: A held message's bytes, kept (sealed, like attachments) so that settling it as a
    #: referral can read it again.
    held_raw_id: Mapped[int | None] = mapped_column(Integer)


class Attachment(Base):
    """A stored attachment (file on disk, owner-only permissions)."""

    __tablename__ = "attachments"
    __table_args__ = (UniqueConstraint("board", "sha256", name="uq_attachment_board_sha"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    board: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    stored_path: Mapped[str] = mapped_column(String(1024))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class Record(Base):
    """A parsed form (records.md), stored as its contract JSON."""

    __tablename__ = "records"

    id: Mapped[int] = mapped_column(primary_key=True)
    board: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    form_type: Mapped[str] = mapped_column(String(32))
    form_id: Mapped[str] = mapped_column(String(120))
    agency: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(SealedJSON("records.data"))
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"), index=True)
    message_row_id: Mapped[int | None] = mapped_column(ForeignKey("messages_seen.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)

    case: Mapped[Case | None] = relationship(back_populates="records")


class RequestColumns:
    """What every request to an agency holds, scoping or stage 2: who was asked, on which thread,
    by when, what came back, and its chasing (:mod:`mailbot.workflow.chasing` reads both kinds).
    A new table lists its columns as before: the id, the class's own keys, these, what it adds."""

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-10)
    agency: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(320))
    #: The request email's Message-ID (replies thread to it).
    message_id: Mapped[str] = mapped_column(String(998), index=True)
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime)
    due_on: Mapped[dt.date] = mapped_column(Date)
    #: ``outstanding``, ``returned`` or ``not_known`` (a nil return).
    status: Mapped[str] = mapped_column(String(16), default="outstanding")
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    #: The parsed form, when the return is one.
    record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id"))
    chase_level: Mapped[int] = mapped_column(Integer, default=0)
    last_chased_on: Mapped[dt.date | None] = mapped_column(Date)
    bounced_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class ScopingRequest(RequestColumns, Base):
    """One agency asked for its return on one case."""

    __tablename__ = "scoping_requests"
    __table_args__ = (
        UniqueConstraint("case_id", "agency", name="uq_request_case_agency"),
        Index("ix_request_agency_chased", "agency", "last_chased_on"),  # one reminder a day per agency
    )

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), sort_order=-5)
    #: The agency answered in a form mailbot cannot read alone (a portal or a link): not
    #: chased while a person settles it.
    held_at: Mapped[dt.datetime | None] = mapped_column(DateTime, sort_order=5)

    case: Mapped[Case] = relationship(back_populates="requests")


class OutboxMail(Base):
    """An email mailbot will send or has sent.

    Written in the same transaction as the change that caused it and sent
    after commit; ``dedupe_key`` makes "the same email twice" impossible at
    the database level.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_board_status", "board", "status"),  # what is pending, in id order
        Index("ix_outbox_case_kind", "case_id", "kind"),  # a case's chases, its packs
        Index("ix_outbox_board_kind_created", "board", "kind", "created_at"),  # the last digest
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    board: Mapped[str] = mapped_column(String(64), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(String(40))
    dedupe_key: Mapped[str] = mapped_column(String(300), unique=True)
    message_id: Mapped[str] = mapped_column(String(998), unique=True)
    recipients: Mapped[list[str]] = mapped_column(JSON)
    subject: Mapped[str] = mapped_column(Text)
    raw: Mapped[bytes] = mapped_column(SealedBytes("outbox.raw"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    #: ``pending``, ``sent`` or ``failed`` (permanent).
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    #: Who claimed the row for sending (``host:pid:nonce``) and under which lease token
    #: (``BoardLease.token``): marks and releases match on both, and recovery after a
    #: takeover touches only rows whose claim is not the board's current holder's.
    claimant: Mapped[str | None] = mapped_column(String(200))
    claim_token: Mapped[int | None] = mapped_column(Integer)


class BoardLease(Base):
    """Which mailbot instance works a board now (``mailbot.store.leases``).

    One row per board. ``holder`` renews ``expires_at`` every few seconds
    (the database's clock, so instances' clocks need not agree); a holder
    that stops renewing loses the board once it expires. ``token`` grows by
    one at every acquisition: the fencing token outbox claims carry.
    ``holder`` is NULL after a clean release; ``expires_at`` then says since
    when nobody has held the board (``alerted_at``: the admins were told).
    """

    __tablename__ = "board_leases"

    board: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(200))
    token: Mapped[int] = mapped_column(Integer, default=0)
    acquired_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    alerted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class CaseCounter(Base):
    """The last case number given per board and year: a locked counter, never ``max(seq) + 1``.

    Two instances opening cases at once each add one to the row under its
    row lock, so they never hand out the same reference.
    """

    __tablename__ = "case_counters"

    board: Mapped[str] = mapped_column(String(64), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class AuditEntry(Base):
    """What happened, when, by whom: one row per action."""

    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    board: Mapped[str] = mapped_column(String(64), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60))
    detail: Mapped[str | None] = mapped_column(Text)


class MailboxStatus(Base):
    """Health of one board's mailbox connection (``mailbot status``)."""

    __tablename__ = "mailbox_status"

    board: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_success_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    down_since: Mapped[dt.datetime | None] = mapped_column(DateTime)
    alerted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    #: IMAP resume point.
    uidvalidity: Mapped[str | None] = mapped_column(String(32))
    last_uid: Mapped[str | None] = mapped_column(String(64))
