"""Tick options: finding an option's line whatever its mark, and reading the mark.

An option reads the same whether its box is a Word check box, a glyph or
a typed mark, before or after its words (``☒ Police``, ``[X] Police``,
``Police – Yes``).  The index here holds, for every line that carries such
a mark, the line without it, so the option's wording matches; the mark
itself is kept beside it.
"""

from __future__ import annotations

import dataclasses

from parsers.document import Slot
from parsers.ticks import cell_mark, split_mark
from parsers.values import normalise, normalise_label


class OptionIndex:
    """Slots that carry a tick mark, as copies without the mark, by first word."""

    def __init__(self, slots: list[Slot]) -> None:
        self.by_first: dict[str, list[Slot]] = {}
        self.marks: dict[int, bool] = {}
        for slot in slots:
            text = slot.text
            if not text or len(text) > 300:
                continue
            mark, bare = split_mark(text)
            if mark is None:
                continue
            self.marks[slot.index] = mark
            norm = normalise(bare)
            if norm:
                shadow = dataclasses.replace(slot, text=bare, norm=norm)
                self.by_first.setdefault(norm.split(" ", 1)[0], []).append(shadow)


def ticked(slot: Slot, marks: dict[int, bool], cell_slot_text: dict[int, str]) -> bool:
    """Is the option at ``slot`` ticked: a checked box, or a mark on its line or in its row.

    An unchecked box with a typed mark beside it counts as ticked (contract).
    """
    if any(slot.boxes) or marks.get(slot.index):
        return True
    if slot.table is None:
        return False
    seen: set[int] = set()
    for cell in slot.table.rows[slot.row]:
        if id(cell) in seen:
            continue
        seen.add(id(cell))
        if any(cell.boxes):
            return True
        if cell is not slot.cell and cell_mark(cell.text):
            return True
    return False


def mark_kind(slot: Slot, marks: dict[int, bool]) -> str:
    """How an option's tick was given, for ``--explain`` (no values: marks only)."""
    if slot.boxes:
        return "Word check box"
    if slot.index in marks:
        return "typed mark on its line"
    if slot.table is not None:
        for cell in slot.table.rows[slot.row]:
            if cell is not slot.cell and (cell.boxes or cell_mark(cell.text) is not None):
                return "check box in its row" if cell.boxes else "typed mark in its row"
    return "no mark"


def row_detail(slot: Slot, group_label_norms: set[str]) -> str | None:
    """Typed text elsewhere in the option's row (an "Others: …" box)."""
    if slot.table is None:
        return None
    seen: set[int] = {id(slot.cell)}
    for cell in slot.table.rows[slot.row]:
        if id(cell) in seen:
            continue
        seen.add(id(cell))
        text = cell.text.strip()
        if text and cell_mark(text) is None and not any(
                normalise_label(text).startswith(g) for g in group_label_norms):
            return text
    return None
