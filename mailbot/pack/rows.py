"""The integrated chronology's rows: one stored return or form, and each event it gives.

Apart from :mod:`mailbot.pack.chronology` (which orders them) so that the
duplicate marking (:mod:`mailbot.pack.duplicates`) can read rows without
importing the module that calls it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from mailbot.pack.dates import When, time_key

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
