"""Repeating tables: one record entry per non-empty row under a header row.

Siblings, other agencies, significant events and chronology entries all
come as a header row of column names and rows below it.  The header is
found by the mapping's column wordings, so columns may come in any order.
"""

from __future__ import annotations

from typing import Any

from parsers.document import Table
from parsers.labels import Locator, _after_label
from parsers.mapping import FieldSpec
from parsers.reading import ValueReader
from parsers.values import as_written, normalise_label, parse_date, parse_time


def _header(table: Table, spec: FieldSpec, loc: Locator) -> tuple[int, dict[str, int]] | None:
    """The header row and the grid column of every mapped column."""
    for r, row in enumerate(table.rows):
        cols: dict[str, int] = {}
        for key, column in spec.columns.items():
            for c, cell in enumerate(row):
                slot = loc.cell_slots.get(id(cell))
                if slot is None:
                    continue
                if any((h := _after_label(slot, normalise_label(lb))) and not h.rest.strip()
                       for lb in column.labels):
                    cols[key] = c
                    break
        if len(cols) == len(spec.columns):
            return r, cols
    return None


def read_table(loc: Locator, spec: FieldSpec, span: tuple[int, int], values: ValueReader,
               warnings: list[str], path: str) -> tuple[list[dict[str, Any]], str | None]:
    """Entries of the first table in ``span`` whose header has every column."""
    seen: set[int] = set()
    for slot in loc.slots[span[0]:span[1]]:
        table = slot.table
        if table is None or id(table) in seen:
            continue
        seen.add(id(table))
        found = _header(table, spec, loc)
        if found is None:
            continue
        header, cols = found
        entries = []
        head_texts = [c.text for c in table.rows[header]]
        for row in table.rows[header + 1:]:
            if [c.text for c in row] == head_texts:
                continue  # the header repeated after a page break
            entry: dict[str, Any] = {}
            for key, column in spec.columns.items():
                raw = row[cols[key]].text if cols[key] < len(row) else ""
                text = values.text(raw)
                if column.type == "date":
                    entry[key] = parse_date(text)
                    if column.text_to:
                        entry[column.text_to] = as_written(raw)
                    if text and entry[key] is None and not column.text_to:
                        warnings.append(f"could not read a full date in {path}")
                elif column.type == "time":
                    entry[key] = parse_time(text)
                else:
                    entry[key] = text
            if any(v is not None for v in entry.values()):
                entries.append(entry)
        return entries, f"table {table.number} row {header + 1}"
    return [], None
