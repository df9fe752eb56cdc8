"""The date a business manager sets for the scoping pack (process.md stage 1 step 6).

"When all returns are in (or on the date the business manager sets)": a
business manager emails ``PACK WS-2026-0001 ON 12/03/2026`` (or an admin runs
``mailbot pack WS-2026-0001 --on 12/03/2026``) and the date is kept on the
case (``cases.pack_on``). A later date replaces it. The due-work pass
(:func:`pack_due`, listed in :mod:`mailbot.schedule`) sends the pack on that
day, in the board's timezone, from the hour chasing starts; a working day is
not required. Once any pack has gone the date is cleared (``send_pack`` does
it), so a pack that went sooner because every agency answered is not
followed by another, and the outbox dedupe key makes sure the same pack is
never sent twice anyway.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mailbot.runtime import BoardRuntime
from mailbot.store.models import Case
from mailbot.pack.send import pack_safely, pack_went
from mailbot.workflow.common import audit

log = logging.getLogger("mailbot.pack")

_MONTHS = {name: i for i, names in enumerate(
    [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
     ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"),
     ("november", "nov"), ("december", "dec")], start=1) for name in names}
_WEEKDAYS = {name: i for i, names in enumerate(
    [("monday", "mon"), ("tuesday", "tue", "tues"), ("wednesday", "wed"), ("thursday", "thu", "thur", "thurs"),
     ("friday", "fri"), ("saturday", "sat"), ("sunday", "sun")]) for name in names}
_NUMERIC = re.compile(r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_WORDS = re.compile(r"(?:([a-z]+)\.?,?\s+)?(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?,?\s+(\d{4})")
EXAMPLE = "12/03/2026 or 12 March 2026"


def parse_date(text: str) -> dt.date:
    """A date written ``12/03/2026`` (day first), ``12 March 2026`` (``Thursday 12th Mar 2026`` too)
    or ``2026-03-12``. Raises ValueError with a one-line reason."""
    written = " ".join((text or "").lower().split())
    if not written:
        raise ValueError(f"no date was given: write it as {EXAMPLE}")
    weekday = None
    if m := _NUMERIC.fullmatch(written):
        year, month, day = int(m.group(3)), int(m.group(2)), int(m.group(1))
    elif m := _ISO.fullmatch(written):
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    elif (m := _WORDS.fullmatch(written)) and m.group(3) in _MONTHS and m.group(1) in (None, *_WEEKDAYS):
        year, month, day, weekday = int(m.group(4)), _MONTHS[m.group(3)], int(m.group(2)), m.group(1)
    else:
        raise ValueError(f'"{text.strip()[:40]}" could not be read as a date: write it as {EXAMPLE}')
    try:
        date = dt.date(year, month, day)
    except ValueError:
        raise ValueError(f'there is no such day as "{text.strip()}"') from None
    if weekday is not None and _WEEKDAYS[weekday] != date.weekday():
        raise ValueError(f"{long_date(date)} is not a {weekday.capitalize()}")
    return date


def long_date(day: dt.date) -> str:
    """``Thursday 12 March 2026``."""
    return f"{day:%A} {day.day} {day:%B %Y}"


@dataclass(frozen=True)
class DateAnswer:
    """What became of a request to set the pack date, as the one line the requester is told."""

    ok: bool
    line: str
    on: dt.date | None = None


def unknown_case(reference: str) -> DateAnswer:
    return DateAnswer(False, f"There is no case {reference}, so no date was set for a scoping pack.")


def set_pack_date(s: Session, rt: BoardRuntime, case: Case, written: str, by: str) -> DateAnswer:
    """Record ``written`` as the case's pack date, or say in one line why not (nothing changes then)."""
    ref = case.reference
    try:
        day = parse_date(written)
    except ValueError as err:
        audit(s, rt, "pack_date_refused", "unreadable date", case)
        return DateAnswer(False, f"No date was set for the scoping pack for {ref}: {err}.")
    if case.status != "open":
        audit(s, rt, "pack_date_refused", "case closed", case)
        return DateAnswer(False, f"Case {ref} is closed, so no date was set for its scoping pack.")
    if day < rt.today():
        audit(s, rt, "pack_date_refused", "date in the past", case)
        return DateAnswer(False, f"{long_date(day)} has passed, so no date was set for the scoping pack for {ref}; "
                                 f"to send it now, email PACK {ref}.")
    if pack_went(s, case):
        audit(s, rt, "pack_date_refused", "a pack has gone already", case)
        return DateAnswer(False, f"The scoping pack for {ref} has already been sent, and an updated one goes "
                                 f"whenever an agency answers, so no date was set.")
    previous, case.pack_on = case.pack_on, day
    audit(s, rt, "pack_date_set", f"{day.isoformat()} by {by}"
          f"{f' (replaces {previous.isoformat()})' if previous and previous != day else ''}", case)
    log.info("%s: scoping pack for %s to be sent on %s", rt.slug, ref, day.isoformat())
    replaces = f" This replaces the date set before, {long_date(previous)}." if previous and previous != day else ""
    return DateAnswer(True, f"The scoping pack for {ref} will be sent on {long_date(day)}, or sooner if every "
                            f"agency answers first.{replaces}", day)


def due_through(rt: BoardRuntime) -> dt.date:
    """The latest pack date due now: today from the hour chasing starts (board time), else yesterday."""
    from mailbot.workflow.chasing import NOT_BEFORE

    now = rt.now()
    local = (now if now.tzinfo else now.replace(tzinfo=dt.timezone.utc)).astimezone(rt.board.calendar.timezone)
    return local.date() if local.time() >= NOT_BEFORE else local.date() - dt.timedelta(days=1)


def pack_due(rt: BoardRuntime) -> int:
    """The due job: every open case whose pack date has come, each in its own transaction."""
    through = due_through(rt)
    with rt.store.session() as s:
        ids = list(s.scalars(select(Case.id).where(Case.board == rt.slug, Case.status == "open",
                                                   Case.pack_on.is_not(None), Case.pack_on <= through)
                             .order_by(Case.pack_on, Case.id)))
    sent = 0
    for case_id in ids:
        try:
            with rt.store.transaction() as s:
                case = s.get(Case, case_id)
                if case is None or case.status != "open" or case.pack_on is None or case.pack_on > through:
                    continue  # changed since the query
                day = case.pack_on
                result = pack_safely(s, rt, case, "scheduled")
                case.pack_on = None  # done: sent, unchanged since it went, or the business managers told
                audit(s, rt, "pack_date_reached", f"{day.isoformat()}: {result.status if result else 'failed'}",
                      case)
                if result is not None and result.status == "sent":
                    sent += 1
        except IntegrityError:  # another thread queued the same pack a moment ago
            log.info("%s: scheduled pack of case %s already queued elsewhere", rt.slug, case_id)
    return sent
