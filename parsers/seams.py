"""Page breaks in a PDF's tables, settled by the mapping: a row goes on, or a table ends.

A PDF reader sees where a page break fell in a table (``Table.seams``) but
not always what it did.  A break exactly at a paragraph end leaves the rest
of a cell at the head of the next page, looking like a row of its own; and
a table that ends at the foot of a page, with another as wide at the head
of the next, looks like one table going on.  The words tell: what the form
prints (its labels, or whatever stands on the blank form) is a question,
what the agency typed is an answer.

- A row whose cells hold printed text is never the rest of the row above.
  It opens a new table when the row above is typed (an entry, or an answer
  under its question), unless it repeats an earlier row (a repeated header):
  so a list of entries never runs on into the next question's table.
- Typed text under typed text goes on when position allows it
  (``Seam.joined``) and the row is not a whole row of its own: some cell
  filled above is empty in it (a new entry fills what the one above did),
  and no cell on either side of the join is one short value (a date, a
  time, "N/K"), which never runs over two paragraphs.
  In a one-column table there is no such cell: there the text goes on when
  the row above is the answer under a question (never in a list of entries
  under a column heading).
"""

from __future__ import annotations

from parsers.document import Cell, Document, Table, number_tables
from parsers.labels import Locator
from parsers.mapping import FormMapping
from parsers.printed import Printed
from parsers.values import is_filler, normalise, normalise_label, parse_date, parse_time


class _Words:
    """Which texts the form prints, by the mapping's wordings and the blank form."""

    def __init__(self, mapping: FormMapping, printed: Printed | None) -> None:
        loc = Locator([], mapping, printed)
        self.stops, self.stops_by_first, self.printed = loc.stops, loc.stops_by_first, printed
        self.headings = {normalise_label(label) for spec in mapping.fields.values()
                         for column in spec.columns.values() for label in column.labels}

    def printed_text(self, cell: Cell) -> bool:
        norm = normalise(cell.text)
        if not norm:
            return False
        if self.printed is not None and self.printed.prefix(norm):
            return True
        words = norm.split(" ")
        return any(n <= len(words) and " ".join(words[:n]) in self.stops
                   for n in self.stops_by_first.get(words[0], ()))

    def heading(self, cell: Cell) -> bool:
        return normalise(cell.text) in self.headings


def _distinct(row: list[Cell]) -> list[tuple[int, Cell]]:
    seen: set[int] = set()
    out = []
    for c, cell in enumerate(row):
        if id(cell) not in seen:
            seen.add(id(cell))
            out.append((c, cell))
    return out


def _whole_value(cell: Cell) -> bool:
    """A date, a time or a "nothing" (N/K, n/a): one short value, never a paragraph
    of a longer answer, so a cell holding one neither goes on nor is gone on."""
    text = cell.text.strip()
    return bool(text) and (parse_date(text) is not None or parse_time(text) is not None
                           or is_filler(text))


def _goes_on(table: Table, r: int, words: _Words) -> bool:
    above, row = table.rows[r - 1], table.rows[r]
    pairs = [(above[c], cell) for c, cell in _distinct(row) if c < len(above)]
    for a, b in pairs:
        if b.text.strip() and (words.printed_text(b) or words.printed_text(a)
                               or _whole_value(a) or _whole_value(b)):
            return False
    if len(pairs) > 1:
        return any(a.text.strip() and not b.text.strip() for a, b in pairs)
    if r < 2:
        return False
    question = table.rows[r - 2][0]
    return words.printed_text(question) and not words.heading(question)


def _new_table(table: Table, r: int, words: _Words) -> bool:
    row, above = table.rows[r], table.rows[r - 1]
    if not any(words.printed_text(c) for _, c in _distinct(row)):
        return False
    if any(words.printed_text(c) for _, c in _distinct(above)):
        return False
    texts = [c.text for c in row]
    return not any([c.text for c in earlier] == texts for earlier in table.rows[:r])


def _settle(table: Table, words: _Words) -> list[Table]:
    """The table with its seams settled; more than one when a seam ended it."""
    tail: list[Table] = []
    for seam in sorted(table.seams, key=lambda s: s.row, reverse=True):
        r = seam.row
        if r >= len(table.rows):
            continue
        if seam.joined is not None and _goes_on(table, r, words):
            done: set[int] = set()
            for c, cell in enumerate(table.rows[r - 1]):
                if id(cell) not in done and c < len(seam.joined):
                    done.add(id(cell))
                    cell.text = seam.joined[c]
            del table.rows[r]
        elif _new_table(table, r, words):
            tail.insert(0, Table(table.rows[r:]))
            del table.rows[r:]
    table.seams = []
    return [table, *tail]


def mend(doc: Document, mapping: FormMapping, printed: Printed | None) -> bool:
    """Settle every table's page breaks; True when the document changed."""
    if not any(isinstance(b, Table) and b.seams for b in doc.blocks):
        return False
    words = _Words(mapping, printed)
    blocks: list = []
    for block in doc.blocks:
        blocks.extend(_settle(block, words) if isinstance(block, Table) and block.seams
                      else [block])
    doc.blocks = blocks
    number_tables(doc)
    return True
