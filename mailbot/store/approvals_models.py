"""Drafts awaiting the Chair: what the bot wants to send and what became of it.

A :class:`Draft` is one notification (or a decision request) emailed to the
Chair for approval, with its single-use token. The row is the ledger of the
approval: who it was sent to, when it expires, what the Chair answered and
what was sent. ``reason`` and ``refusals`` hold the Chair's words and the
bot's one-line reasons; audit rows only name the draft. ``context`` (what the
letters say, the child's name among it) and ``reason`` are sealed when an
encryption key is configured (:mod:`mailbot.store.crypto`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from mailbot.store.crypto import SealedJSON, SealedText
from mailbot.store.models import Base

# Statuses. Names are stable: they are stored in the database.
AWAITING = "awaiting_approval"
APPROVED = "approved"
REJECTED = "rejected"
SUPERSEDED = "superseded"
EXPIRED = "expired"
SENT = "sent"
ANSWERED = "answered"  # a decision request the Chair has answered


class Draft(Base):
    """One draft emailed to the Chair, answered at most once."""

    __tablename__ = "drafts"
    __table_args__ = (Index("ix_drafts_board_status", "board", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    board: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    #: ``scr_notification``, ``no_scr_notification``, ``agencies_letter``,
    #: ``decision_request`` or another kind a board's state names.
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    #: ``#`` + six characters; unique across boards, never reused.
    token: Mapped[str] = mapped_column(String(16), unique=True)
    #: The Chair's address the draft was sent to (the token is bound to it).
    chair_email: Mapped[str] = mapped_column(String(320))
    #: Message-ID of the email to the Chair; replies must thread to it.
    message_id: Mapped[str | None] = mapped_column(String(998), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=AWAITING)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("drafts.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    #: The Chair's reason for a rejection (their words).
    reason: Mapped[str | None] = mapped_column(SealedText("drafts.reason"))
    #: Formatted addresses the notification goes to (the Chair is copied).
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    recipients_label: Mapped[str] = mapped_column(String(300), default="")
    #: Template context of the notification (decision, reasons, reviewers…).
    context: Mapped[dict[str, Any]] = mapped_column(SealedJSON("drafts.context"), default=dict)
    #: The drafted Word document, and the Chair's edited copy when one was approved.
    document_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    edited_document_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    #: Stored files sent with the notification (the referral, the SIN…).
    enclosure_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    #: The statutory milestone the send meets, and its due date.
    milestone: Mapped[str | None] = mapped_column(String(60))
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    sent_outbox_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    #: Replies refused for this draft (wrong sender, spoof, unclear…), for the digest.
    refusals: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Reminders sent to the Chair so far.
    chase_level: Mapped[int] = mapped_column(Integer, default=0)
    last_chased_on: Mapped[dt.date | None] = mapped_column(Date)
