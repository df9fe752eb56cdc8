"""A PDF page's table cells: pdfplumber's tables, and the lone boxes it drops.

pdfplumber keeps only tables of two cells or more, so a table that a page
break leaves with a single cell on a page (a one-column table's last row at
the foot of the page, or its first at the head of the next) vanishes, and
its text would read as a loose paragraph between two halves of the table.
Such a box is kept as a one-cell table when it is the first or the last
thing on its page; a lone box elsewhere (an answer box, a frame round the
page) is left to the text as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pdfplumber.table import Table as PlumberTable

from parsers.pdf_lines import Line, Vocabulary, lines_of

Box = tuple[float, float, float, float]


@dataclass(slots=True, eq=False)
class PCell:
    """A cell while the document is read: its lines and its box's edges."""

    lines: list[Line] = field(default_factory=list)
    right: float = 0.0
    top: float = 0.0
    bottom: float = 0.0
    #: Where a page break cut the cell: (index of the first line after it, how: see
    #: ``pdf_breaks.Builder._kind``).
    cuts: list[tuple[int, str]] = field(default_factory=list)


def inside(w: dict, box: Box) -> bool:
    cx, cy = (w["x0"] + w["x1"]) / 2, (w["top"] + w["bottom"]) / 2
    return box[0] <= cx <= box[2] and box[1] <= cy <= box[3]


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def page_tables(finder, words: list[dict], height: float) -> list[PlumberTable]:
    """pdfplumber's tables, with a lone box that opens or closes the page as a table
    (not a frame round the page: a box over half the page holding all its words)."""
    tables = list(finder.tables)
    grouped = {c for t in tables for c in t.cells}
    extra = []
    for box in finder.cells:
        if box in grouped or any(_overlaps(box, t.bbox) for t in tables):
            continue
        held = [w for w in words if inside(w, box)]
        if not held or (len(held) == len(words) and box[3] - box[1] > height / 2):
            continue
        last = not any(w["top"] >= box[3] for w in words)
        first = not any(w["bottom"] <= box[1] for w in words)
        if last or first:
            extra.append(PlumberTable(finder.page, [box]))
    return sorted(tables + extra, key=lambda t: t.bbox[1]) if extra else tables


def table_grid(table, words: list[dict], spaces: dict[int, list[float]],
               vocab: Vocabulary) -> list[list[PCell]]:
    """The table's cells on a grid; a covered (None) position repeats its neighbour."""
    grid: list[list[PCell]] = []
    boxes: list[tuple[Box, PCell]] = []
    for r, row in enumerate(table.rows):
        cells: list[PCell] = []
        for c, box in enumerate(row.cells):
            if box is None:
                cells.append(cells[c - 1] if c > 0 else (grid[r - 1][c] if r > 0 else PCell()))
                continue
            cell = PCell(right=box[2], top=box[1], bottom=box[3])
            boxes.append((box, cell))
            cells.append(cell)
        grid.append(cells)
    per_cell: dict[int, list[dict]] = {}
    for w in words:
        for box, cell in boxes:
            if inside(w, box):
                per_cell.setdefault(id(cell), []).append(w)
                break
    for box, cell in boxes:
        cell.lines = lines_of(per_cell.get(id(cell), []), spaces, vocab)
        pad = (cell.lines[0].x0 - box[0]) if cell.lines else 5.0
        cell.right = box[2] - max(pad, 1.0)
    return grid
