"""Reading a chronology's date cell the way the sub-group reads it.

Swindon's guidance asks agencies to put *something* in the date column,
even "June 04 approx", so that rows still sort; the parsers keep only full
dates as ``date`` and the cell as written as ``date_text``. Here the text
gets a place in time: an approximate date sorts at the **start** of its
period ("June 2014 approx" on 1 June 2014, "Spring 2015" on 1 March 2015,
"2013" on 1 January 2013) and is always shown as it was written. A cell
that names no period at all ("N/K", "unknown", blank) is undated: such rows
are listed apart, never dropped.

Pure functions: no store, no clock (``today`` decides two-digit years, as
records.md says).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from parsers.values import parse_date

#: Coarser periods sort before finer ones that start on the same day.
PRECISION_RANK = {"year": 0, "part": 1, "season": 2, "month": 3, "day": 4}

_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august",
                "september", "october", "november", "december")
#: Where a season starts (meteorological seasons: winter 2015 begins December 2015).
_SEASONS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}
#: School terms start earlier than the seasons they are named after.
_TERMS = {"spring": 1, "summer": 4, "autumn": 9}
#: "early/mid/late" a year (thirds) or a month (days 1, 11, 21).
_PART_OF_YEAR = {"early": 1, "beginning": 1, "start": 1, "mid": 5, "middle": 5, "late": 9, "end": 9}
_PART_OF_MONTH = {"early": 1, "beginning": 1, "start": 1, "mid": 11, "middle": 11, "late": 21, "end": 21}

_NUMERIC_DAY = re.compile(r"(?<!\d)(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4}|\d{2})(?!\d)")
_WORD_DAY = re.compile(r"(?<!\d)(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]{3,9})\.?,?\s+(\d{4}|\d{2})(?!\d)")
_NUMERIC_MONTH = re.compile(r"(?<![\d/.\-])(\d{1,2})\s*[/.\-]\s*(\d{4}|\d{2})(?![\d/.\-])")
_TOKEN = re.compile(r"q[1-4](?!\d)|\d+|[a-z]+")


@dataclass(frozen=True, slots=True)
class When:
    """A row's place in time: where it sorts and how it is shown."""

    #: The first day of the period the cell names; ``None``: undated.
    start: dt.date | None
    #: ``day``, ``month``, ``season``, ``part`` (of a year), ``year`` or ``none``.
    precision: str
    #: What the pack prints: ``dd/mm/yyyy`` for an exact date, else the cell as written.
    shown: str
    approximate: bool

    @property
    def dated(self) -> bool:
        return self.start is not None

    @property
    def rank(self) -> int:
        return PRECISION_RANK.get(self.precision, 0)


def _year(raw: str, today: dt.date) -> int | None:
    if len(raw) == 4:
        year = int(raw)
        return year if 1900 <= year <= 2100 else None
    if len(raw) == 2:
        yy = int(raw)
        return 2000 + yy if yy <= today.year % 100 else 1900 + yy
    return None


def _month(word: str) -> int | None:
    """1–12 for a month's name or its abbreviation ("Jun", "Sept"); "market" is no month."""
    if len(word) < 3:
        return None
    if word == "sept":
        return 9
    return next((i for i, name in enumerate(_MONTH_NAMES, 1) if name.startswith(word)), None)


def _safe(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _full_date(text: str, today: dt.date) -> dt.date | None:
    """A full date somewhere in the cell ("12/05/14 approx", "w/c 3 March 2015")."""
    for m in _NUMERIC_DAY.finditer(text):
        year = _year(m[3], today)
        if year and (found := _safe(year, int(m[2]), int(m[1]))):
            return found
    for m in _WORD_DAY.finditer(text):
        month, year = _month(m[2]), _year(m[3], today)
        if month and year and (found := _safe(year, month, int(m[1]))):
            return found
    return None


def _period(text: str, today: dt.date) -> tuple[dt.date, str] | None:
    """(start, precision) of a month, season, part of a year, or year named in the cell."""
    for m in _NUMERIC_MONTH.finditer(text):  # 06/2014, 6/14
        year = _year(m[2], today)
        if year and 1 <= int(m[1]) <= 12:
            return dt.date(year, int(m[1]), 1), "month"
    words = _TOKEN.findall(text)
    part = next((w for w in words if w in _PART_OF_YEAR), None)
    for i, word in enumerate(words):
        year = _following_year(words, i, today)
        if year is None:
            continue
        if word in ("christmas", "xmas"):
            return dt.date(year, 12, 25), "day"
        if word.startswith("q") and word[1:] in ("1", "2", "3", "4"):
            return dt.date(year, 3 * int(word[1:]) - 2, 1), "season"
        if (month := _month(word)) is not None:
            day = _PART_OF_MONTH.get(part or "", 1)
            return dt.date(year, month, day), "month"
        if word in _SEASONS:
            term = i + 1 < len(words) and words[i + 1] == "term"
            return dt.date(year, (_TERMS if term else _SEASONS).get(word, 1), 1), "season"
    for word in words:
        if len(word) == 4 and word.isdigit() and (year := _year(word, today)):
            if part:
                return dt.date(year, _PART_OF_YEAR[part], 1), "part"
            return dt.date(year, 1, 1), "year"
    return None


def _following_year(words: list[str], i: int, today: dt.date) -> int | None:
    """The year written after a month or season word ("June 2014", "Jun 14", "Spring term 2015")."""
    for j in (i + 1, i + 2, i + 3):
        if j >= len(words):
            return None
        word = words[j]
        if word.isdigit():
            return _year(word, today) if len(word) in (2, 4) else None
        if word not in ("term", "of", "approx", "approximately", "c", "ca", "circa") and _month(word) is None:
            return None
    return None


def read_when(iso: str | dt.date | None, text: str | None, today: dt.date) -> When:
    """Where a row sorts, from the record's ``date`` (ISO) and ``date_text`` (as written)."""
    written = " ".join((text or "").split())
    if iso:
        day = iso if isinstance(iso, dt.date) else dt.date.fromisoformat(iso)
        return When(day, "day", f"{day:%d/%m/%Y}", False)
    if not written:
        return When(None, "none", "", False)
    exact = parse_date(written, today)
    if exact is not None:
        return When(exact, "day", f"{exact:%d/%m/%Y}", False)
    lowered = written.lower()
    found = _full_date(lowered, today)
    if found is not None:
        return When(found, "day", written, True)
    period = _period(lowered, today)
    if period is not None:
        return When(period[0], period[1], written, True)
    return When(None, "none", written, False)


def time_key(time: str | None) -> tuple[int, int]:
    """Sort key of a row's time within its day: untimed first, "am" before 00:00, "pm" before 12:00."""
    if not time:
        return (-1, 0)
    if time == "am":
        return (0, 0)
    if time == "pm":
        return (720, 0)
    try:
        hours, minutes = time.split(":")
        return (int(hours) * 60 + int(minutes), 1)
    except ValueError:
        return (-1, 0)
