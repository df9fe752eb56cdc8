"""A board's working-day calendar: weekends and bank holidays, Europe/London.

Every deadline the bot keeps is counted on this calendar, so the rules live
in one place (shared/spec/process.md, "Working days and dates"):

- Working days skip Saturdays, Sundays and the bank holidays of the board's
  nation: England, or Wales for a Welsh board. Never the UK-wide set, which
  would add Scottish days (2 January, St Andrew's Day, the early August
  Summer bank holiday) and Northern Irish ones (17 March, 12 July).
  Substitute days ("Christmas Day (observed)") count as bank holidays.
  Admins can add one-off days (a state funeral, a coronation announced after
  the holidays package was released) in the board's config.
- "N working days after D" counts D's next working day as day 1.
- "Within one month" is the same day next month, or that month's last day
  when it has no such day (31 January + 1 month = 28/29 February).
- "14 days", "4 weeks", "6 months" are calendar periods; the date they land
  on stands even when it is a weekend or bank holiday.
- "Today" is the date in Europe/London, whatever the server's zone.

Holidays come from the ``holidays`` package, loaded a year at a time as
dates are asked about, so a calendar costs nothing until used.
"""

from __future__ import annotations

import calendar as _stdcal
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta, timezone as _tz
from typing import Literal, get_args
from zoneinfo import ZoneInfo

import holidays

Region = Literal["england", "wales"]
REGIONS: tuple[str, ...] = get_args(Region)

#: The ``holidays`` package's subdivision codes of ``GB`` for our regions.
_SUBDIV: dict[str, str] = {"england": "ENG", "wales": "WLS"}

#: Name shown in the digest for a day added in config without a name.
EXTRA_HOLIDAY_NAME = "Bank holiday (board config)"

#: Safety stop for loops over days: ten years of calendar.
_MAX_SPAN_DAYS = 3660


class BoardCalendar:
    """Working days for one board.

    ``extra_holidays`` may be a list of dates or a mapping of date to name.
    """

    def __init__(
        self,
        region: Region = "england",
        extra_holidays: Iterable[date] | Mapping[date, str] = (),
        timezone: str = "Europe/London",
    ) -> None:
        if region not in _SUBDIV:
            raise ValueError(f"region must be one of {', '.join(REGIONS)}, not {region!r}")
        self.region: Region = region
        self.timezone = ZoneInfo(timezone)
        self._bank = holidays.country_holidays("GB", subdiv=_SUBDIV[region], expand=True)
        if isinstance(extra_holidays, Mapping):
            extras = {_as_date(d): str(n or EXTRA_HOLIDAY_NAME) for d, n in extra_holidays.items()}
        else:
            extras = {_as_date(d): EXTRA_HOLIDAY_NAME for d in extra_holidays}
        self.extra_holidays: dict[date, str] = extras

    def __repr__(self) -> str:
        extras = sorted(self.extra_holidays)
        return f"BoardCalendar(region={self.region!r}, extra_holidays={extras})"

    # --- what a day is -------------------------------------------------------

    def holiday_name(self, d: date) -> str | None:
        """The bank holiday's name(s) on ``d``, or None on an ordinary day."""
        d = _as_date(d)
        names = list(self._bank.get_list(d))
        if d in self.extra_holidays:
            names.append(self.extra_holidays[d])
        return "; ".join(names) if names else None

    def is_bank_holiday(self, d: date) -> bool:
        d = _as_date(d)
        return d in self.extra_holidays or d in self._bank

    def is_working_day(self, d: date) -> bool:
        d = _as_date(d)
        return d.weekday() < 5 and not self.is_bank_holiday(d)

    def holidays_between(self, start: date, end: date) -> list[tuple[date, str]]:
        """Bank holidays from ``start`` to ``end`` inclusive, for the digest."""
        out: list[tuple[date, str]] = []
        d = _as_date(start)
        while d <= end:
            name = self.holiday_name(d)
            if name:
                out.append((d, name))
            d += timedelta(days=1)
        return out

    # --- moving between working days -----------------------------------------

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        return self._step(_as_date(d), +1)

    def previous_working_day(self, d: date) -> date:
        """The last working day strictly before ``d``."""
        return self._step(_as_date(d), -1)

    def on_or_after(self, d: date) -> date:
        """``d`` if it is a working day, else the next one (when to send mail)."""
        d = _as_date(d)
        return d if self.is_working_day(d) else self.next_working_day(d)

    def on_or_before(self, d: date) -> date:
        """``d`` if it is a working day, else the one before.

        A calendar-period deadline on a weekend stays on that date, but the
        digest shows it on this day: the safe side.
        """
        d = _as_date(d)
        return d if self.is_working_day(d) else self.previous_working_day(d)

    def add_working_days(self, d: date, n: int) -> date:
        """``n`` working days after ``d``; D's next working day is day 1.

        ``n == 0`` gives ``d`` itself (even on a non-working day: nothing was
        added). A negative ``n`` counts back, D's previous working day being
        day 1 ("at least 7 working days before publication").
        """
        d = _as_date(d)
        step = 1 if n >= 0 else -1
        for _ in range(abs(n)):
            d = self._step(d, step)
        return d

    def working_days_between(self, a: date, b: date) -> int:
        """Working days after ``a`` up to and including ``b``; negative if b < a.

        With ``a`` = today and ``b`` = a due date this is "working days left":
        1 when due on the next working day, 0 when due today, negative when
        overdue. ``add_working_days(a, working_days_between(a, b)) == b``
        whenever ``b`` is a working day.
        """
        a, b = _as_date(a), _as_date(b)
        if b == a:
            return 0
        lo, hi, sign = (a, b, 1) if b > a else (b, a, -1)
        count = 0
        d = lo + timedelta(days=1)
        while d <= hi:
            count += self.is_working_day(d)
            d += timedelta(days=1)
        return sign * count

    def _step(self, d: date, step: int) -> date:
        for _ in range(_MAX_SPAN_DAYS):
            d += timedelta(days=step)
            if self.is_working_day(d):
                return d
        raise ValueError(f"no working day within ten years of {d}")  # pragma: no cover

    # --- calendar periods ----------------------------------------------------

    @staticmethod
    def add_days(d: date, n: int) -> date:
        return _as_date(d) + timedelta(days=n)

    @staticmethod
    def add_weeks(d: date, n: int) -> date:
        return _as_date(d) + timedelta(weeks=n)

    @staticmethod
    def add_months(d: date, n: int) -> date:
        """The same day ``n`` months on, or that month's last day."""
        d = _as_date(d)
        months = d.year * 12 + (d.month - 1) + n
        year, month = divmod(months, 12)
        last = _stdcal.monthrange(year, month + 1)[1]
        return date(year, month + 1, min(d.day, last))

    # --- the clock -----------------------------------------------------------

    def today(self, now: datetime) -> date:
        """The board's date at ``now``; a naive ``now`` is taken as UTC.

        At 23:30 UTC on a summer evening it is already tomorrow in London,
        and a deadline counted from the server's date would be a day out.
        """
        if now.tzinfo is None:
            now = now.replace(tzinfo=_tz.utc)
        return now.astimezone(self.timezone).date()


def _as_date(d: date) -> date:
    """Insist on a plain date: a datetime's date depends on its zone (use
    ``today()``), and a string would be compared wrongly."""
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(f"expected a date, got {type(d).__name__}")
    return d
