"""The durable outbox: emails are rows first, sent after commit.

``queue`` writes a finished email into the ``outbox`` table inside the
caller's transaction, so the email exists if and only if the change that
caused it was committed. ``deliver_pending`` sends what is pending, one row
at a time, marking each row before and after the hand-over:

- ``pending`` → ``sending`` (committed) → handed to the server → ``sent``.
- A transient failure puts the row back to ``pending`` with a later
  ``next_attempt_at`` (backoff); a permanent one marks it ``failed`` and
  tells the business manager.
- A row found in ``sending`` at start-up was interrupted by a crash in the
  instant between the server accepting it and our commit. It is sent again
  with the *same* Message-ID, so mail clients and threading treat the two
  copies as one, and the audit trail records the retry.

The ``dedupe_key`` column is unique: the same logical email (the
acknowledgement of one message, the request to one agency on one case, the
nth reminder) can be queued once only, whatever happens.
"""

from __future__ import annotations

import datetime as dt
import logging
from email import policy
from email.message import EmailMessage

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mailbot.errors import SendError
from mailbot.outbound.base import Sender
from mailbot.outbound.compose import recipients_of
from mailbot.store.db import Store
from mailbot.store.models import AuditEntry, OutboxMail

log = logging.getLogger("mailbot.outbound")
MAX_ATTEMPTS = 12


def queue(
    session: Session,
    *,
    board: str,
    kind: str,
    dedupe_key: str,
    message: EmailMessage,
    now: dt.datetime,
    case_id: int | None = None,
) -> OutboxMail | None:
    """Add ``message`` to the outbox; ``None`` if this dedupe key was queued before."""
    existing = session.scalar(select(OutboxMail).where(OutboxMail.dedupe_key == dedupe_key))
    if existing is not None:
        return None
    row = OutboxMail(
        board=board,
        case_id=case_id,
        kind=kind,
        dedupe_key=dedupe_key,
        message_id=str(message["Message-ID"]),
        recipients=recipients_of(message),
        subject=str(message["Subject"]),
        raw=message.as_bytes(policy=policy.SMTP),
        created_at=_naive(now),
        status="pending",
        attempts=0,
    )
    session.add(row)
    session.flush()
    return row


def _naive(now: dt.datetime) -> dt.datetime:
    return now.astimezone(dt.timezone.utc).replace(tzinfo=None) if now.tzinfo else now


def recover_interrupted(store: Store, board: str, now: dt.datetime) -> int:
    """Rows left in ``sending`` by a crash go back to ``pending`` (audited)."""
    with store.transaction() as s:
        rows = s.scalars(
            select(OutboxMail).where(OutboxMail.board == board, OutboxMail.status == "sending")
        ).all()
        for row in rows:
            row.status = "pending"
            s.add(AuditEntry(board=board, case_id=row.case_id, at=_naive(now), actor="mailbot",
                             action="send_retry_after_crash", detail=f"outbox {row.id} ({row.kind})"))
        return len(rows)


def deliver_pending(store: Store, sender: Sender, board: str, now: dt.datetime, limit: int = 200) -> tuple[int, int]:
    """Send pending mail of one board; returns (sent, failed)."""
    sent = failed = 0
    t = _naive(now)
    with store.transaction() as s:
        ids = s.scalars(
            select(OutboxMail.id)
            .where(OutboxMail.board == board, OutboxMail.status == "pending")
            .where((OutboxMail.next_attempt_at.is_(None)) | (OutboxMail.next_attempt_at <= t))
            .order_by(OutboxMail.id)
            .limit(limit)
        ).all()
    for row_id in ids:
        with store.transaction() as s:
            claimed = s.execute(
                update(OutboxMail)
                .where(OutboxMail.id == row_id, OutboxMail.status == "pending")
                .values(status="sending", attempts=OutboxMail.attempts + 1)
            ).rowcount
            row = s.get(OutboxMail, row_id) if claimed else None
            raw, recipients, attempts = (row.raw, list(row.recipients), row.attempts) if row else (b"", [], 0)
        if not claimed:
            continue
        from email import message_from_bytes

        message = message_from_bytes(raw, policy=policy.default)
        try:
            sender.send(message, recipients)  # type: ignore[arg-type]
        except SendError as err:
            permanent = err.permanent or attempts >= MAX_ATTEMPTS
            with store.transaction() as s:
                row = s.get(OutboxMail, row_id)
                assert row is not None
                row.last_error = str(err)[:500]
                if permanent:
                    row.status = "failed"
                    failed += 1
                    s.add(AuditEntry(board=board, case_id=row.case_id, at=t, actor="mailbot",
                                     action="send_failed", detail=f"outbox {row.id} ({row.kind}): {row.last_error}"))
                else:
                    row.status = "pending"
                    row.next_attempt_at = t + dt.timedelta(seconds=min(3600, 15 * 2 ** min(attempts, 8)))
            log.warning("outbox %s not sent (%s, permanent=%s)", row_id, type(err).__name__, permanent)
            if not permanent:
                break  # the server is unwell: try the rest later, in order
            continue
        with store.transaction() as s:
            row = s.get(OutboxMail, row_id)
            assert row is not None
            row.status = "sent"
            row.sent_at = t
            row.last_error = None
        sent += 1
        log.info("outbox %s sent (%s, %d recipients)", row_id, row.kind, len(recipients))
    return sent, failed
