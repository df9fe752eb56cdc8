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
from typing import Any, Callable, Iterable

from mailbot.pack.dates import read_when
from mailbot.pack.duplicates import mark_duplicates
from mailbot.pack.family import FamilyKey
from mailbot.pack.rows import FORM_LABELS, Chronology, Row, Source

__all__ = ["FORM_LABELS", "Chronology", "Row", "Source", "integrate", "ranges", "rows_of"]

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
    (mark or mark_duplicates)(dated)
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
