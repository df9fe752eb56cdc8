"""Moving a demo board through working days: what chasing and the digest do.

``forward`` sets a :class:`FixedClock` to 09:00 London on each of the next
``days`` working days and runs the same due work and delivery a daemon pass
runs, returning a line per email sent. ``mailbot demo`` uses it to show
reminders, escalations and digests without waiting for real days to pass.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from mailbot.outbound.outbox import deliver_pending
from mailbot.runtime import BoardRuntime, FixedClock
from mailbot.schedule import due
from mailbot.store.models import OutboxMail

DEMO_TIME = dt.time(9, 0)


def local_nine(rt: BoardRuntime, day: dt.date) -> dt.datetime:
    """09:00 London on ``day``, as an aware UTC time."""
    return dt.datetime.combine(day, DEMO_TIME, tzinfo=rt.board.calendar.timezone).astimezone(dt.timezone.utc)


def step_day(rt: BoardRuntime, day: dt.date) -> list[str]:
    """Set the clock to 09:00 on ``day``, do the due work, send; lines for what went."""
    clock = rt.clock
    if not isinstance(clock, FixedClock):
        raise TypeError("demo steps need a FixedClock")
    clock.set(local_nine(rt, day))
    with rt.store.session() as s:
        last = s.scalar(select(func.max(OutboxMail.id)).where(OutboxMail.board == rt.slug)) or 0
    due.run_due_work(rt)
    deliver_pending(rt.store, rt.sender, rt.slug, rt.now())
    with rt.store.session() as s:
        rows = s.scalars(select(OutboxMail).where(OutboxMail.board == rt.slug, OutboxMail.id > last)
                         .order_by(OutboxMail.id)).all()
        return [f"{day.strftime('%a %d/%m/%Y')}  {row.kind:<10} {row.status:<7} to {', '.join(row.recipients)}"
                for row in rows]


def forward(rt: BoardRuntime, days: int) -> list[str]:
    """The next ``days`` working days at 09:00 London, one by one."""
    lines: list[str] = []
    day = rt.today()
    for _ in range(days):
        day = rt.board.calendar.next_working_day(day)
        lines += step_day(rt, day)
    return lines
