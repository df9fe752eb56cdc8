"""Small actions every workflow step uses: audit, store files, tell people.

Each takes the open session of the step's one transaction, so an email
queued here is committed (and later sent) only if the whole step commits.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.outbound import outbox
from mailbot.outbound.compose import OutgoingAttachment
from mailbot.runtime import BoardRuntime
from mailbot.store.models import Attachment, AuditEntry, Case


def utc(now: dt.datetime) -> dt.datetime:
    """Naive UTC, as the database keeps times."""
    return now.astimezone(dt.timezone.utc).replace(tzinfo=None) if now.tzinfo else now


def audit(s: Session, rt: BoardRuntime, action: str, detail: str | None = None,
          case: Case | None = None, actor: str = "mailbot") -> None:
    """One audit row. ``detail`` names kinds, agencies and ids, never personal data."""
    s.add(AuditEntry(board=rt.slug, case_id=case.id if case else None, at=utc(rt.now()),
                     actor=actor, action=action, detail=detail))


def store_attachment(s: Session, rt: BoardRuntime, filename: str, data: bytes,
                     sha256: str, content_type: str) -> Attachment:
    """Keep a file once per content: owner-only, sealed when a key is configured.

    The file on disk is named by the content's SHA-256 inside the board's
    attachment folder, never by the sender's file name (which is only kept,
    made safe, as a label), so no name can place a file anywhere else.
    """
    from mailbot.inbound.attachments import safe_filename
    from mailbot.store import crypto

    existing = s.scalar(select(Attachment).where(Attachment.board == rt.slug, Attachment.sha256 == sha256))
    if existing:
        return existing
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError("an attachment is stored under its SHA-256 (64 hex digits)")
    folder: Path = rt.attachments_dir / sha256[:2]
    folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / sha256
    if not path.exists():
        tmp = folder / f".{sha256}.tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(tmp, flags, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(crypto.seal(crypto.engine_keyring(rt.store.engine), data, "attachment"))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    row = Attachment(board=rt.slug, sha256=sha256, filename=safe_filename(filename),
                     content_type=content_type[:100], size=len(data), stored_path=str(path),
                     created_at=utc(rt.now()))
    s.add(row)
    s.flush()
    return row


def read_stored(rt: BoardRuntime, att: Attachment) -> bytes | None:
    """The content of a stored file (opened when sealed); None when the file is gone."""
    from mailbot.store import crypto

    path = Path(att.stored_path)
    if not path.is_file():
        return None
    return crypto.unseal(crypto.engine_keyring(rt.store.engine), path.read_bytes(), "attachment")


def notify_business_managers(
    s: Session, rt: BoardRuntime, *, dedupe_key: str, headline: str, reason: str,
    case: Case | None = None, details: list[str] | None = None, ledger_id: int | None = None,
    settle_token: str | None = None,
) -> None:
    """Tell the business managers something the bot could not settle alone.

    ``settle_token``: a held message's token; the notice then says how to settle it by reply.
    """
    msg = rt.composer.build(
        "notices/attention",
        kind="notice",
        to=rt.board.config.business_managers,
        now=rt.now(),
        case_reference=case.reference if case else None,
        context={"headline": headline, "reason": reason, "details": details or [], "ledger_id": ledger_id,
                 "settle_token": settle_token},
    )
    outbox.queue(s, board=rt.slug, kind="notice", dedupe_key=f"{rt.slug}:notice:{dedupe_key}",
                 message=msg, now=rt.now(), case_id=case.id if case else None)


def reply(
    s: Session, rt: BoardRuntime, purpose: str, *, kind: str, to: str, dedupe_key: str,
    in_reply_to: str | None, references: list[str], case: Case | None,
    context: dict | None = None, attachments: list[OutgoingAttachment] | None = None,
) -> None:
    """Answer a sender in its own thread."""
    msg = rt.composer.build(
        purpose, kind=kind, to=[to], now=rt.now(), context=context or {},
        case_reference=case.reference if case else None,
        in_reply_to=in_reply_to, references=references, attachments=attachments or [],
    )
    outbox.queue(s, board=rt.slug, kind=kind, dedupe_key=f"{rt.slug}:{dedupe_key}",
                 message=msg, now=rt.now(), case_id=case.id if case else None)
