"""A PDF's pages put back together: tables a page break cut in two, blank lines it hid.

A table that goes on over a page break comes as two tables, the second at
the head of the next page.  They are joined again.  Whether the break also
cut a row mid-paragraph is told by position: the cut row's text runs closer
to its bottom border than a whole row's (a whole row ends with its last
paragraph's spacing), or its last line kept the space it wrapped at and
filled its cell.  A row cut exactly at a paragraph end looks like two rows;
which it is, the words decide (printed question or typed answer), so the
break is kept as a :class:`~parsers.document.Seam` for ``parsers.seams``,
with the joined text ready when the row on the new page may go on the one
above: each of its filled cells under a filled cell that ran to the foot of
the page.
"""

from __future__ import annotations

from parsers.document import Cell, Paragraph, Seam, Table
from parsers.pdf_cells import PCell
from parsers.pdf_lines import Vocabulary, join

Grid = list[list[PCell]]


def _wrapped(a: PCell, b: PCell) -> bool:
    """Did the cell's text wrap from ``a`` on to ``b`` mid-paragraph?  Only a line
    that kept the space it wrapped at says so, when the next word would not
    have fitted after it (in a narrow column almost no word fits after any line)."""
    if not (a.lines and b.lines and a.lines[-1].spaced):
        return False
    last, first = a.lines[-1], b.lines[0]
    return last.x1 + 0.3 * first.size + first.first_width > a.right - 0.25 * first.size


def _continues(prev: list[PCell], nxt: list[PCell]) -> bool:
    """Was this row cut by the page break mid-paragraph (some cell wrapped)?"""
    return any(_wrapped(a, b) for a, b in zip(prev, nxt))


def _pad(cell: PCell) -> float:
    """Space between a cell's last line and its bottom border."""
    return cell.bottom - cell.lines[-1].bottom if cell.lines else float("inf")


def _row_pad(row: list[PCell]) -> float:
    """A row's space under its tallest cell's text: the paragraph spacing and
    cell margin every whole row ends with, and a row cut mid-paragraph lacks."""
    return min((_pad(c) for c in row), default=float("inf"))


def _may_go_on(prev: list[PCell], nxt: list[PCell]) -> bool:
    """Could the row at the head of the page be the rest of the row above?

    Every filled cell of it sits under a filled cell whose text ran to the
    foot of that row (within about three lines of its lowest line): a cell that
    stopped higher up had room for more, so it was not cut.
    """
    filled = [c for c in prev if c.lines]
    if not filled or not any(c.lines for c in nxt):
        return False
    foot = max(c.lines[-1].bottom for c in filled)
    for a, b in zip(prev, nxt):
        if b.lines and a is not b:
            if not a.lines or a.lines[-1].bottom < foot - 3.5 * a.lines[-1].size:
                return False
    return True


class Builder:
    """Blocks across pages, joining tables a page break cut in two."""

    def __init__(self) -> None:
        self.blocks: list[object] = []  # Paragraph | Grid
        #: (block index, top of the page's first text line, its font size, whether
        #: its paragraph is that one line)
        self.page_starts: list[tuple[int, float, float, bool]] = []
        #: (block index after the page, bottom of its last text line, its font size),
        #: for pages that end in text.
        self.page_ends: list[tuple[int, float, float]] = []
        #: The lowest text or table bottom of any page, and the pitches of lines
        #: that start a new paragraph (paragraph spacing), for hidden blank paragraphs.
        self.foot = 0.0
        self.pitches: list[float] = []
        #: Per grid (by id): (row index, may go on) of each row that opens a page.
        self.breaks: dict[int, list[tuple[int, bool]]] = {}
        #: The least space between a cell's top border and its first line.
        self.lead = float("inf")
        #: Space under the text of every row no page break ended (see ``_row_pad``).
        self.pads: list[float] = []
        self.vocab = Vocabulary()

    def add_table(self, grid: Grid, at_top: bool) -> None:
        for row in grid:
            for cell in row:
                if cell.lines:
                    self.lead = min(self.lead, cell.lines[0].top - cell.top)
        self.pads += [p for p in map(_row_pad, grid[:-1]) if p != float("inf")]
        last = self.blocks[-1] if self.blocks else None
        if at_top and isinstance(last, list) and grid and len(last[-1]) == len(grid[0]):
            cut = self._cut_short(last[-1])
            if cut or _continues(last[-1], grid[0]):
                done: set[int] = set()  # a merged cell is one cell in every column it spans
                for a, b in zip(last[-1], grid[0]):
                    if a is not b and b.lines and id(b) not in done:
                        done.add(id(b))
                        a.cuts.append((len(a.lines), self._kind(a, b, cut)))
                        a.lines.extend(b.lines)
                        a.bottom = b.bottom
                grid = grid[1:]
            elif grid:
                self.breaks.setdefault(id(last), []).append(
                    (len(last), _may_go_on(last[-1], grid[0])))
            last.extend(grid)
            return
        self.blocks.append(grid)

    def _norm(self) -> float | None:
        """The space under a whole row's text (the median row's)."""
        return sorted(self.pads)[len(self.pads) // 2] if self.pads else None

    def _cut_short(self, row: list[PCell]) -> bool:
        """Did the page break cut this row mid-paragraph?  Its text runs closer
        to its bottom border than a whole row's does."""
        norm, pad = self._norm(), _row_pad(row)
        sizes = [c.lines[-1].size for c in row if c.lines]
        return norm is not None and bool(sizes) and pad < norm - 0.5 * max(sizes)

    def _blank_at_page_breaks(self) -> None:
        """A blank paragraph at a page break shows only as space: a first line lower
        on its page than any page's, or room at the foot of the page before for a
        paragraph of one line and its spacing that it yet did not take."""
        starts = {index: (top, size, alone) for index, top, size, alone in self.page_starts}
        body_top = min((top for top, _, _ in starts.values()), default=0.0)
        pitch = sorted(self.pitches)[len(self.pitches) // 2] if self.pitches else None
        blanks = set()
        for index, top, size, _ in self.page_starts[1:]:
            if top - body_top > 1.0 * size:
                blanks.add(index)
        for index, bottom, size in self.page_ends:
            start = starts.get(index)
            if pitch is not None and start is not None and start[2] and (
                    self.foot - bottom > pitch + 0.25 * size):
                blanks.add(index)
        for index in sorted(blanks, reverse=True):
            before = self.blocks[index - 1] if index > 0 else None
            if isinstance(before, Paragraph) and before.text:
                self.blocks.insert(index, Paragraph(""))

    def _kind(self, above: PCell, below: PCell, cut: bool = False) -> str:
        """What a page break between two parts of a cell fell on: ``wrap`` (inside
        a paragraph), ``para`` (a paragraph end) or ``blank`` (a blank paragraph
        too).  A line that kept the space it wrapped at says ``wrap``; else the
        space the break took tells: under the last line above and
        over the first line below together, a paragraph end leaves about what
        a whole row leaves under its text, a blank paragraph a paragraph's
        height more, a wrap next to nothing.  In a row ``cut`` short the frame
        above ends at its tallest text, so a shorter cell's space under its text
        says little: with no space over the first line below either, only a
        blank paragraph's height under the text above counts, and otherwise a
        sentence's end tells a paragraph's.  Where paragraphs have no spacing
        the space cannot tell, and ``join`` reads the line widths as on a page."""
        norm = self._norm()
        if norm is None or not above.lines or not below.lines or _wrapped(above, below):
            return "wrap"
        first, last = below.lines[0], above.lines[-1]
        space = first.top - below.top - self.lead
        if cut and space < 0.8 * first.size:
            if _pad(above) > norm + 1.8 * first.size:
                return "blank"
            ended = last.text.endswith((".", "!", "?")) and not first.text[:1].islower()
            return "para" if ended else "wrap"
        space += _pad(above)
        if space > norm + 1.8 * first.size:
            return "blank"
        if norm < 0.5 * first.size or space < 0.5 * norm:
            return "wrap"  # no paragraph spacing to tell by: the line widths will
        if first.text[:1].islower() and not last.text.endswith((".", "!", "?", ":")):
            return "wrap"  # a paragraph goes on in lower case, a new one seldom starts so
        return "para"

    def _text(self, cell: PCell) -> str:
        """The cell's paragraphs; each part a page break cut off is joined as
        ``_kind`` says it was cut."""
        paras: list[str] = []
        start = 0
        for at, kind in cell.cuts:
            if kind != "wrap":
                paras += join(cell.lines[start:at], cell.right, self.vocab)
                paras += [""] if kind == "blank" else []
                start = at
        return "\n".join(paras + join(cell.lines[start:], cell.right, self.vocab))

    def _joined(self, above: PCell, below: PCell) -> str:
        """The two parts of a cell a page break may have cut, as one text."""
        if not below.lines or not above.lines:
            return self._text(above if above.lines else below)
        at = len(above.lines)
        both = PCell(above.lines + below.lines, above.right,
                     cuts=[*above.cuts, (at, self._kind(above, below)),
                           *((at + i, kind) for i, kind in below.cuts)])
        return self._text(both)

    def _seams(self, grid: Grid) -> list[Seam]:
        seams = []
        for row, may_go_on in self.breaks.get(id(grid), ()):
            joined = None
            if may_go_on:
                joined = [self._joined(a, b) if a is not b else self._text(a)
                          for a, b in zip(grid[row - 1], grid[row])]
            seams.append(Seam(row, joined))
        return seams

    def finish(self) -> list:
        self._blank_at_page_breaks()
        out: list = []
        for block in self.blocks:
            if isinstance(block, Paragraph):
                out.append(block)
                continue
            made: dict[int, Cell] = {}
            rows = []
            for row in block:
                cells = []
                for pc in row:
                    if id(pc) not in made:
                        made[id(pc)] = Cell(self._text(pc))
                    cells.append(made[id(pc)])
                rows.append(cells)
            out.append(Table(rows, seams=self._seams(block)))
        return out
