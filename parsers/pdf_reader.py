"""Reading a PDF form into the neutral document model.

pdfplumber finds the tables and the words; what a PDF loses is where a
paragraph ends (every line ends the same way), so lines are rejoined the
way a reader does it: a line that stops short although the next word
would have fitted ended its paragraph, one that did not was wrapped.
Tables cut by a page break are joined again, and a row split over the
break is mended.  Filled PDF form fields are read too.  Caps: pages and
wall time.
"""

from __future__ import annotations

import io
import logging
import time
from dataclasses import dataclass, field

import pdfplumber

from mailbot.errors import ParseError
from parsers.document import Cell, Document, Paragraph, Table, number_tables
from parsers.pdf_lines import Line, Vocabulary, join, lines_of
from parsers.pdf_objects import page_objects
from parsers.safety import LIMITS, Limits

log = logging.getLogger("mailbot.parsers")
#: pdfminer's warnings and errors quote the document's own objects ("Could not
#: set text font because b'<a name from the form>' is an invalid float
#: value"), so a damaged form would put a child's name in the log: its loggers
#: are silenced whatever the log level (a failure still reaches us as an error).
logging.getLogger("pdfminer").setLevel(logging.CRITICAL + 1)


@dataclass(slots=True, eq=False)
class _PCell:
    """A cell while the page is read: its lines and its right edge."""

    lines: list[Line] = field(default_factory=list)
    right: float = 0.0
    bottom: float = 0.0


def _inside(w: dict, box: tuple[float, float, float, float]) -> bool:
    cx, cy = (w["x0"] + w["x1"]) / 2, (w["top"] + w["bottom"]) / 2
    return box[0] <= cx <= box[2] and box[1] <= cy <= box[3]


def _table_grid(table, words: list[dict], spaces: dict[int, list[float]],
                vocab: Vocabulary) -> list[list[_PCell]]:
    """The table's cells on a grid; a covered (None) position repeats its neighbour."""
    grid: list[list[_PCell]] = []
    boxes: list[tuple[tuple, _PCell]] = []
    for r, row in enumerate(table.rows):
        cells: list[_PCell] = []
        for c, box in enumerate(row.cells):
            if box is None:
                cells.append(cells[c - 1] if c > 0 else (grid[r - 1][c] if r > 0 else _PCell()))
                continue
            cell = _PCell(right=box[2], bottom=box[3])
            boxes.append((box, cell))
            cells.append(cell)
        grid.append(cells)
    per_cell: dict[int, list[dict]] = {}
    for w in words:
        for box, cell in boxes:
            if _inside(w, box):
                per_cell.setdefault(id(cell), []).append(w)
                break
    for box, cell in boxes:
        cell.lines = lines_of(per_cell.get(id(cell), []), spaces, vocab)
        pad = (cell.lines[0].x0 - box[0]) if cell.lines else 5.0
        cell.right = box[2] - max(pad, 1.0)
    return grid


def _continues(prev: list[_PCell], nxt: list[_PCell]) -> bool:
    """Was this row cut by the page break (some cell wrapped mid-paragraph)?
    Only a line that kept the space it wrapped at says so: in a narrow
    column almost no next word would have fitted after any line."""
    for a, b in zip(prev, nxt):
        if a.lines and b.lines and a.lines[-1].spaced:
            last, first = a.lines[-1], b.lines[0]
            if last.x1 + 0.3 * first.size + first.first_width > a.right - 0.25 * first.size:
                return True
    return False


def _pad(cell: _PCell) -> float:
    return cell.bottom - cell.lines[-1].bottom if cell.lines else float("inf")


def _cut_short(grid: list[list[_PCell]]) -> bool:
    """Did the page break cut the last row?  Its text runs closer to its
    bottom border than in any whole row of the table."""
    pads = [_pad(c) for row in grid[:-1] for c in row if c.lines]
    last = min((_pad(c) for c in grid[-1]), default=float("inf"))
    return bool(pads) and last < min(pads) - 2.0


def _answer_goes_on(prev: list[_PCell], nxt: list[_PCell]) -> bool:
    """A label | answer row split by the page break: the label stayed above,
    the rest of the answer came on with an empty label cell."""
    return (len(nxt) == 2 and nxt[0] is not nxt[1] and not nxt[0].lines
            and bool(prev[0].lines) and bool(nxt[1].lines))


class _Builder:
    """Blocks across pages, joining tables a page break cut in two."""

    def __init__(self) -> None:
        self.blocks: list[object] = []  # Paragraph | list[list[_PCell]]
        #: (block index, top of the page's first text line, its font size)
        self.page_starts: list[tuple[int, float, float]] = []
        self.vocab = Vocabulary()

    def add_table(self, grid: list[list[_PCell]], at_top: bool) -> None:
        last = self.blocks[-1] if self.blocks else None
        if at_top and isinstance(last, list) and grid and len(last[-1]) == len(grid[0]):
            if (_cut_short(last) or _continues(last[-1], grid[0])
                    or _answer_goes_on(last[-1], grid[0])):
                for a, b in zip(last[-1], grid[0]):
                    if a is not b and b.lines:
                        a.lines.extend(b.lines)
                grid = grid[1:]
            last.extend(grid)
            return
        self.blocks.append(grid)

    def _blank_at_page_tops(self) -> None:
        """A blank paragraph pushed to the top of a page shows only as a lower first line."""
        if len(self.page_starts) < 2:
            return
        body_top = min(top for _, top, _ in self.page_starts)
        for index, top, size in reversed(self.page_starts[1:]):
            before = self.blocks[index - 1] if index > 0 else None
            if top - body_top > 1.0 * size and isinstance(before, Paragraph) and before.text:
                self.blocks.insert(index, Paragraph(""))

    def finish(self) -> list:
        self._blank_at_page_tops()
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
                        made[id(pc)] = Cell("\n".join(join(pc.lines, pc.right, self.vocab)))
                    cells.append(made[id(pc)])
                rows.append(cells)
            out.append(Table(rows))
        return out


def _form_fields(pdf) -> dict[str, str]:
    """Filled AcroForm fields, name -> value (text, or the chosen state)."""
    out: dict[str, str] = {}
    try:
        from pdfminer.pdftypes import resolve1
        form = resolve1(pdf.doc.catalog.get("AcroForm"))
        fields = resolve1(form.get("Fields")) if form else None
        for ref in fields or []:
            f = resolve1(ref)
            name, value = f.get("T"), resolve1(f.get("V"))
            if isinstance(name, bytes) and value is not None:
                text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(
                    getattr(value, "name", value))
                out[name.decode("utf-8", "replace")] = text
    except Exception:  # a broken form dictionary leaves the page text to read
        log.debug("PDF form fields unreadable; using page text only")
    return out


def read_pdf(data: bytes, limits: Limits = LIMITS) -> Document:
    """The document model of a PDF (page and time caps applied)."""
    started = time.monotonic()
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
        pages = pdf.pages
    except Exception as err:  # pdfminer raises many kinds on a broken file
        raise ParseError("the attachment is damaged (not a readable PDF)", "damaged") from err
    with pdf:
        if len(pages) > limits.max_pdf_pages:
            raise ParseError(f"the PDF has too many pages ({len(pages)}; the limit is "
                             f"{limits.max_pdf_pages})", "too_large")
        builder = _Builder()
        try:
            for page in pages:
                if time.monotonic() - started > limits.pdf_seconds:
                    raise ParseError("the PDF took too long to read", "timeout")
                _read_page(page, builder)
                page.close()
        except ParseError:
            raise
        except Exception as err:
            raise ParseError("the attachment is damaged (not a readable PDF)",
                             "damaged") from err
        doc = Document(builder.finish(), _form_fields(pdf))
    number_tables(doc)
    return doc


def _read_page(page, builder: _Builder) -> None:
    objects = page_objects(page)  # pdfplumber's words and tables, without its costly page.chars
    tables = objects.tables()
    words = objects.words()
    spaces: dict[int, list[float]] = {}
    for ch in objects.chars:
        if ch["text"] == " ":
            spaces.setdefault(round(ch["top"]), []).append(ch["x0"])
    free: list[dict] = []
    in_table: list[list[dict]] = [[] for _ in tables]
    for w in words:
        for i, t in enumerate(tables):
            if _inside(w, t.bbox):
                in_table[i].append(w)
                break
        else:
            free.append(w)
    lines = lines_of(free, spaces, builder.vocab)
    left = min([ln.x0 for ln in lines] or [t.bbox[0] for t in tables] or [page.width / 4])
    right = page.width - left
    items: list[tuple[float, object]] = [(t.bbox[1], i) for i, t in enumerate(tables)]
    groups: list[list[Line]] = []
    for line in lines:  # split text runs by the tables between them
        if groups and not any(groups[-1][-1].top < t.bbox[1] < line.top for t in tables):
            groups[-1].append(line)
        else:
            groups.append([line])
    items += [(g[0].top, g) for g in groups]
    first = True
    ordered = sorted(items, key=lambda x: x[0])
    if ordered and isinstance(ordered[0][1], list):
        line = ordered[0][1][0]
        builder.page_starts.append((len(builder.blocks), line.top, line.size))
    for _, item in ordered:
        if isinstance(item, int):
            builder.add_table(_table_grid(tables[item], in_table[item], spaces, builder.vocab), at_top=first)
        else:
            builder.blocks.extend(Paragraph(t) for t in join(item, right, builder.vocab))
        first = False
