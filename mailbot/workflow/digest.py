"""The daily digest to the business managers (process.md, "The daily digest").

One email per board per working day, at or after the board's ``digest.time``
(Europe/London). Like chasing it is a due job: "is today's digest due and
not yet queued?" The outbox dedupe key ``{board}:digest:{date}`` makes a
second one for the same day impossible, and after downtime spanning days
only today's is sent (yesterday's news is in today's).

``collect`` gathers what the digest says as plain data (each case's line,
with the deadlines missed since the last digest, in ``digest_cases``); the
templates ``digest/daily.txt`` and ``daily.html`` lay it out. The digest
names cases by reference and agencies by name: no child's or family
member's personal data, in the subject or the body.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from mailbot.outbound import outbox
from mailbot.outbound.composed import ComposedEmail
from mailbot.runtime import BoardRuntime
from mailbot.store.models import Case, MessageSeen, OutboxMail, ScopingRequest
from mailbot.workflow.chasing import ChaseRecord, chase_history, steps_for, utc_at
from mailbot.workflow.common import audit, utc
from mailbot.workflow.digest_cases import CaseLine, case_line

log = logging.getLogger("mailbot.workflow")


@dataclass
class OverdueLine:
    reference: str
    agency: str
    due: dt.date
    working_days_late: int
    history: list[ChaseRecord]
    next_step: str


@dataclass
class ChairItem:
    """A draft awaiting the Chair's approval (fed by ``awaiting_chair``)."""

    reference: str
    title: str
    sent_on: dt.date
    expires_on: dt.date | None = None


@dataclass
class DigestData:
    day: dt.date
    since: dt.datetime
    new_cases: list[dict[str, Any]] = field(default_factory=list)
    returns: list[dict[str, Any]] = field(default_factory=list)
    cases: list[CaseLine] = field(default_factory=list)
    overdue: list[OverdueLine] = field(default_factory=list)
    awaiting_chair: list[ChairItem] = field(default_factory=list)
    held: list[dict[str, Any]] = field(default_factory=list)
    #: Held messages a business manager settled by reply since the last digest, and by whom.
    settled: list[dict[str, Any]] = field(default_factory=list)
    bounces: list[dict[str, Any]] = field(default_factory=list)

    @property
    def missed_count(self) -> int:
        return sum(len(line.missed) for line in self.cases)

    @property
    def rag_counts(self) -> dict[str, int]:
        return {c: sum(line.rag == c for line in self.cases) for c in ("red", "amber", "green")}


def digest_key(board: str, day: dt.date) -> str:
    return f"{board}:digest:{day.isoformat()}"


def awaiting_chair(session: Session, rt: BoardRuntime) -> list[ChairItem]:
    """Drafts sent to the Chair and not yet answered, with any refused replies."""
    from mailbot.workflow.drafts import drafts_for_digest

    items = []
    for d in drafts_for_digest(session, rt.slug):
        refused = len(d["refused_replies"])
        title = d["title"] + (f" ({refused} reply refused)" if refused else "")
        items.append(ChairItem(reference=d["case_reference"], title=title,
                               sent_on=d["sent_to_chair_at"].date(), expires_on=d["expires_at"].date()))
    return items


def _since(s: Session, rt: BoardRuntime, day: dt.date) -> dt.datetime:
    """When the last digest went (naive UTC), or the previous working day's digest time."""
    last = s.scalar(select(func.max(OutboxMail.created_at))
                    .where(OutboxMail.board == rt.slug, OutboxMail.kind == "digest",
                           OutboxMail.created_at < utc(utc_at(rt, day, dt.time(0, 0)))))
    if last is not None:
        return last
    previous = rt.board.calendar.previous_working_day(day)
    return utc(utc_at(rt, previous, digest_time(rt)))


def _next_chase(rt: BoardRuntime, request: ScopingRequest, day: dt.date) -> str:
    later = [st for st in steps_for(rt, request) if st.number > request.chase_level]
    if not later:
        return "escalated to the business manager: no further chasing"
    st = later[0]
    when = st.date if st.date > day else rt.board.calendar.next_working_day(day)
    what = "escalation to the business manager" if not st.remind_agency else (
        f"reminder {st.number}" + (" copied to the senior manager" if st.copy_senior_manager else ""))
    return f"{what} on {when.strftime('%d/%m/%Y')}"


def _domain(address: str | None) -> str:
    return "@" + address.rsplit("@", 1)[1] if address and "@" in address else "unknown sender"


def collect(s: Session, rt: BoardRuntime, day: dt.date) -> DigestData:
    """Everything the digest of ``day`` says, as plain data."""
    since = _since(s, rt, day)
    data = DigestData(day=day, since=since)
    cases = s.scalars(select(Case).options(selectinload(Case.requests))
                      .where(Case.board == rt.slug, Case.status == "open").order_by(Case.reference)).all()
    refs = {c.id: c.reference for c in cases}
    for case in cases:
        if case.opened_at >= since:
            who = rt.directory.identify(case.referrer_email or "")
            data.new_cases.append({"reference": case.reference, "opened": case.opened_at,
                                   "from": who.agency.name if who.agency else _domain(case.referrer_email)})
        data.cases.append(case_line(rt, case, day, since))
        for req in case.requests:
            if req.answered_at is not None and req.answered_at >= since:
                data.returns.append({"reference": case.reference, "agency": req.agency,
                                     "not_known": req.status == "not_known", "on": req.answered_at})
            if req.status != "outstanding":
                continue
            if req.bounced_at is not None:
                data.bounces.append({"reference": case.reference, "agency": req.agency,
                                     "address": req.contact_email, "on": req.bounced_at})
            elif req.due_on < day:
                data.overdue.append(OverdueLine(
                    case.reference, req.agency, req.due_on,
                    rt.board.calendar.working_days_between(req.due_on, day),
                    chase_history(s, rt, req), _next_chase(rt, req, day)))
        _stage2_lines(s, rt, case, day, since, data)
    held = s.scalars(select(MessageSeen).where(MessageSeen.board == rt.slug,
                                               MessageSeen.outcome == "needs-attention",
                                               MessageSeen.resolved_at.is_(None))
                     .order_by(MessageSeen.received_at)).all()
    for row in held:
        data.held.append({"id": row.id, "received": row.received_at, "kind": row.kind.replace("_", " "),
                          "sender": _domain(row.sender), "reference": refs.get(row.case_id),
                          "reason": " ".join((row.reason or "no reason recorded").split())[:200]})
    names = {p.email.lower(): p.name for p in rt.board.config.business_managers}
    settled = s.scalars(select(MessageSeen).where(MessageSeen.board == rt.slug, MessageSeen.settled_by.is_not(None),
                                                  MessageSeen.resolved_at >= since)
                        .order_by(MessageSeen.resolved_at)).all()
    for row in settled:
        data.settled.append({"id": row.id, "on": row.resolved_at, "as": row.settled_as,
                             "by": names.get((row.settled_by or "").lower(), row.settled_by)})
    data.overdue.sort(key=lambda o: (o.due, o.reference, o.agency))
    data.awaiting_chair = list(awaiting_chair(s, rt))
    return data


def _stage2_lines(s: Session, rt: BoardRuntime, case: Case, day: dt.date, since: dt.datetime,
                  data: DigestData) -> None:
    """Stage-2 returns in the digest as scoping returns are: new ones, overdue ones with their chasing."""
    from mailbot.workflow.stage2 import return_label

    for req in case.review_requests:
        what = f"{req.agency} ({return_label(rt, req)})"
        if req.answered_at is not None and req.answered_at >= since:
            data.returns.append({"reference": case.reference, "agency": what,
                                 "not_known": req.status == "not_known", "on": req.answered_at})
        if req.status == "outstanding" and req.bounced_at is None and req.due_on < day:
            data.overdue.append(OverdueLine(case.reference, what, req.due_on,
                                            rt.board.calendar.working_days_between(req.due_on, day),
                                            chase_history(s, rt, req), _next_chase(rt, req, day)))
    planned = next((d.on for d in case.review_dates if d.state == "planned"), None)
    if planned is not None and data.cases and data.cases[-1].reference == case.reference:
        data.cases[-1].publication_on = planned


RAG_COLOURS = {"red": "#c62828", "amber": "#ef8f00", "green": "#2e7d32", "grey": "#9e9e9e"}
RAG_TINTS = {"red": "#f6cfcc", "amber": "#fde2b8", "green": "#cfe8d0", "grey": "#e6e6e6"}


def _context(rt: BoardRuntime, data: DigestData) -> dict[str, Any]:
    return {"d": data, "colours": RAG_COLOURS, "tints": RAG_TINTS, "thresholds": rt.board.regime.rag}


def build(s: Session, rt: BoardRuntime, day: dt.date) -> tuple[DigestData, ComposedEmail]:
    data = collect(s, rt, day)
    msg = rt.composer.build("digest/daily", kind="digest", to=rt.board.config.business_managers,
                            now=rt.now(), context=_context(rt, data))
    return data, msg


def render(rt: BoardRuntime, day: dt.date) -> tuple[str, str, str | None]:
    """(subject, text, html) of ``day``'s digest, without queuing it (preview)."""
    with rt.store.session() as s:
        data = collect(s, rt, day)
    return rt.composer.render("digest/daily", {**_context(rt, data), "case_reference": None})


def digest_time(rt: BoardRuntime) -> dt.time:
    hh, mm = rt.board.config.digest.time.split(":")
    return dt.time(int(hh), int(mm))


def is_due(rt: BoardRuntime) -> bool:
    """A working day, at or after the digest time, London time."""
    if not rt.board.config.digest.enabled:
        return False
    now = rt.now()
    local = (now if now.tzinfo else now.replace(tzinfo=dt.timezone.utc)).astimezone(rt.board.calendar.timezone)
    return rt.board.calendar.is_working_day(local.date()) and local.time() >= digest_time(rt)


def digest_due(rt: BoardRuntime) -> int:
    """The due job: today's digest, once."""
    if not is_due(rt):
        return 0
    day = rt.today()
    key = digest_key(rt.slug, day)
    try:
        with rt.store.transaction() as s:
            if s.scalar(select(OutboxMail.id).where(OutboxMail.dedupe_key == key)) is not None:
                return 0
            data, msg = build(s, rt, day)
            outbox.queue(s, board=rt.slug, kind="digest", dedupe_key=key, message=msg, now=rt.now())
            audit(s, rt, "digest_queued", f"{len(data.cases)} open cases, {len(data.overdue)} overdue returns, "
                                          f"{len(data.held)} held messages")
    except IntegrityError:  # queued by another thread a moment ago
        return 0
    log.info("%s: daily digest for %s queued", rt.slug, day.isoformat())
    return 1
