"""The integrated chronology: every agency's events merged into one date order.

Swindon's business manager merged the agencies' Word tables by hand and
re-sorted the undated rows manually; here each return's significant events
and each chronology form's entries become :class:`Row` s that keep their
agency, subject and source document, and ``integrate`` orders them:

- by the start of the period the date names (approximate dates sort at the
  start of theirs, coarser periods before finer ones starting that day),
- then by time of day where known (untimed, "am", 00:00…, "pm", 12:00…),
- then by agency and the order the agency wrote them in.

Rows whose date cell names no period are listed apart (``undated``), in
agency and document order, numbered after the dated ones. Nothing is
dropped and nothing is merged: rows that look like one event reported by
two agencies are only *marked* (:mod:`mailbot.pack.duplicates`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from mailbot.pack.dates import When, read_when, time_key
from mailbot.pack.family import FamilyKey

FORM_LABELS = {"scoping_return": "scoping return", "chronology": "chronology"}


@dataclass(frozen=True)
class Source:
    """One stored return or chronology form of the case."""

    index: int
    record_id: int
    form_type: str
    #: The directory's name for the agency (the sender's, else the form's).
    agency: str
    data: dict[str, Any]
    filename: str | None
    received: dt.datetime | None

    @property
    def kind(self) -> str:
        return f"{self.agency} {FORM_LABELS.get(self.form_type, self.form_type.replace('_', ' '))}"

    @property
    def label(self) -> str:
        return self.kind + (f" ({self.filename})" if self.filename else "")


@dataclass(slots=True)
class Row:
    when: When
    time: str | None
    #: The agency column as written (it may name a team or a member of staff).
    agency: str
    #: The directory's agency: what filters and duplicate checks go by.
    agency_key: str
    subject: str | None
    contact: str | None
    text: str | None
    action: str | None
    family: str | None
    source: Source
    seq: int
    number: int = 0
    #: Numbers of rows (of other agencies) that look like the same event.
    same_as: list[int] = field(default_factory=list)
    #: ``S1``, ``S2``…: rows marked as one event share a group.
    group: str | None = None

    def sort_key(self) -> tuple:
        return (self.when.start, self.when.rank, *time_key(self.time), self.agency_key.lower(),
                self.source.index, self.seq)


@dataclass
class Chronology:
    dated: list[Row]
    undated: list[Row]

    @property
    def rows(self) -> list[Row]:
        return [*self.dated, *self.undated]

    def by_year(self) -> list[tuple[str, list[Row]]]:
        """Dated rows under a heading per year (a long chronology reads in sections)."""
        groups: list[tuple[str, list[Row]]] = []
        for row in self.dated:
            year = str(row.when.start.year) if row.when.start else ""
            if not groups or groups[-1][0] != year:
                groups.append((year, []))
            groups[-1][1].append(row)
        return groups

    def numbers_for(self, record_id: int) -> list[int]:
        return [r.number for r in self.rows if r.source.record_id == record_id]


def _clean(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def rows_of(source: Source, key: FamilyKey, today: dt.date) -> list[Row]:
    """The rows one return or chronology form gives, names replaced by initials."""
    data, out = source.data, []
    if source.form_type == "chronology":
        for seq, e in enumerate(data.get("entries") or []):
            out.append(Row(
                when=read_when(e.get("date"), e.get("date_text"), today), time=_clean(e.get("time")),
                agency=_clean(e.get("agency")) or source.agency, agency_key=source.agency,
                subject=key.anonymise(_clean(e.get("subject"))), contact=_clean(e.get("contact_type")),
                text=key.anonymise(_clean(e.get("text"))), action=key.anonymise(_clean(e.get("action_taken"))),
                family=key.anonymise(_clean(e.get("family_present"))), source=source, seq=seq))
    elif source.form_type == "scoping_return":
        child = key.members[0].initials if key.members and key.members[0].relationship == "the child" else None
        for seq, e in enumerate(data.get("significant_events") or []):
            out.append(Row(
                when=read_when(e.get("date"), e.get("date_text"), today), time=None, agency=source.agency,
                agency_key=source.agency, subject=child, contact=None, text=key.anonymise(_clean(e.get("event"))),
                action=None, family=None, source=source, seq=seq))
    return out


def integrate(sources: Iterable[Source], key: FamilyKey, today: dt.date,
              mark: Callable[[list[Row]], None] | None = None) -> Chronology:
    """Every source's rows in one order, numbered, undated ones apart, duplicates marked."""
    rows = [row for source in sources for row in rows_of(source, key, today)]
    dated = sorted((r for r in rows if r.when.dated), key=Row.sort_key)
    undated = sorted((r for r in rows if not r.when.dated),
                     key=lambda r: (r.agency_key.lower(), r.source.index, r.seq))
    for number, row in enumerate([*dated, *undated], start=1):
        row.number = number
    if mark is None:
        from mailbot.pack.duplicates import mark_duplicates as mark
    mark(dated)
    return Chronology(dated, undated)


def ranges(numbers: list[int]) -> str:
    """``[3, 4, 5, 9]`` → ``"3–5, 9"``."""
    parts: list[str] = []
    start = prev = None
    for n in sorted(numbers):
        if start is None:
            start = prev = n
        elif n == prev + 1:
            prev = n
        else:
            parts.append(f"{start}–{prev}" if prev != start else str(start))
            start = prev = n
    if start is not None:
        parts.append(f"{start}–{prev}" if prev != start else str(start))
    return ", ".join(parts)
