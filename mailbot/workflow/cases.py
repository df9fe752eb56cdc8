"""Cases: opening one with its reference, finding one, what stage it is in."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from mailbot.mailbox.base import Folder
from mailbot.runtime import BoardRuntime
from mailbot.store.models import Case, CaseCounter, OutboxMail, ScopingRequest
from mailbot.workflow.common import utc

# Stages, in order. Names are stable: they are stored in the database.
SCOPING = "scoping"
AWAITING_DECISION = "awaiting_decision"
AWAITING_NOTIFICATION = "awaiting_notification"
REVIEW = "review"
CLOSED = "closed"
#: How each stage reads; ``{subgroup}`` is the board's word for its sub-group (the regime's vocabulary).
STAGE_LABELS = {
    SCOPING: "Scoping: returns requested from agencies",
    AWAITING_DECISION: "Awaiting the {subgroup} and Chair's decision",
    AWAITING_NOTIFICATION: "Decision made: notifications awaiting the Chair's approval",
    REVIEW: "Review under way",
    CLOSED: "Closed",
}


#: Events a step reports in its outcome, for the layer above to act on
#: (:mod:`mailbot.inbound.pipeline` names what follows each one).
ANSWER_RECORDED = "answer_recorded"  # a return or "not known" was recorded against a request
ALL_RETURNS_IN = "all_returns_in"  # ... and it was the last one outstanding
NOTIFICATION_SENT = "notification_sent"  # the Chair approved a draft and it was queued to its recipients
REVIEW_RETURNS_IN = "review_returns_in"  # the last stage-2 return outstanding came in


def stage_label(stage: str, vocabulary: object | None = None) -> str:
    """The stage as the board says it ("Awaiting the Learning and Improvement Sub-Group (LISG) and …")."""
    subgroup = getattr(vocabulary, "subgroup", None) or "sub-group"
    return STAGE_LABELS.get(stage, stage).replace("{subgroup}", subgroup)


@dataclass
class Outcome:
    """What a workflow step decided about the message it handled.

    ``events`` say what changed in the case, so that what follows (the
    scoping pack once every return is in, say) is called by the pipeline
    above instead of being hooked in from below.
    """

    folder: Folder
    reason: str | None = None
    case: Case | None = None
    events: tuple[str, ...] = field(default=())


def open_case(s: Session, rt: BoardRuntime, notified_on: dt.date | None,
              referral_message_id: str | None, referrer_email: str | None) -> Case:
    """A new case with the board's next reference for this year (``WS-2026-0007``)."""
    year = rt.today().year
    seq = next_case_number(s, rt.slug, year)
    case = Case(
        board=rt.slug,
        reference=f"{rt.board.config.reference_prefix}-{year}-{seq:04d}",
        year=year,
        seq=seq,
        stage=SCOPING,
        status="open",
        opened_at=utc(rt.now()),
        notified_on=notified_on or rt.today(),
        referral_message_id=referral_message_id,
        referrer_email=referrer_email,
    )
    s.add(case)
    s.flush()
    return case


def next_case_number(s: Session, board: str, year: int) -> int:
    """The board's next number for ``year``, from its counter row, under that row's lock.

    The UPDATE locks the row until the caller's transaction ends, so two
    instances opening cases at once are served one after the other, and a
    rolled-back case gives its number back. The row is made on first use,
    from the cases already there (a database that predates the counter).
    """
    table = CaseCounter.__table__
    bump = update(table).where(table.c.board == board, table.c.year == year).values(last=table.c.last + 1)
    if s.execute(bump).rowcount == 0:  # type: ignore[attr-defined]
        start = s.scalar(select(func.max(Case.seq)).where(Case.board == board, Case.year == year)) or 0
        s.execute(_insert_once(s, table).values(board=board, year=year, last=start))
        s.execute(bump)
    return s.scalar(select(table.c.last).where(table.c.board == board, table.c.year == year)) or 0


def _insert_once(s: Session, table):  # noqa: ANN001, ANN202
    """INSERT that leaves an existing row alone (another instance made it first): then the bump waits for it."""
    if s.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table).on_conflict_do_nothing()


def find_case(s: Session, rt: BoardRuntime, reference: str | None) -> Case | None:
    if not reference:
        return None
    return s.scalar(select(Case).where(Case.board == rt.slug, Case.reference == reference))


def case_exists(s: Session, board: str, reference: str) -> bool:
    return s.scalar(select(Case.id).where(Case.board == board, Case.reference == reference)) is not None


def sent_mail(s: Session, board: str, message_ids: list[str]) -> tuple[OutboxMail, ScopingRequest | None] | None:
    """Our own earlier email among ``message_ids`` (nearest first), with its request."""
    for mid in message_ids:
        row = s.scalar(select(OutboxMail).where(OutboxMail.board == board, OutboxMail.message_id == mid))
        if row is None:
            continue
        request = s.scalar(select(ScopingRequest).where(ScopingRequest.message_id == mid))
        if request is None and row.kind == "chase":
            request = s.scalar(
                select(ScopingRequest).where(
                    ScopingRequest.case_id == row.case_id,
                    ScopingRequest.contact_email.in_(row.recipients),
                )
            )
        return row, request
    return None
