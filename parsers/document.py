"""A neutral document model that every reader (docx, PDF, .doc) produces.

The mapping engine only ever sees this: paragraphs and tables in document
order, table cells on a grid (a merged cell appears in every grid position
it covers, as the same object), and the state of any check boxes.  Keeping
the readers and the engine apart is what lets one mapping serve a form
whether it arrives as .docx, .doc or PDF.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from parsers.values import normalise


@dataclass(slots=True, eq=False)
class Cell:
    """One table cell: its final text (paragraphs joined by newlines)."""

    text: str
    boxes: list[bool] = field(default_factory=list)
    tables: list["Table"] = field(default_factory=list)


@dataclass(slots=True)
class Seam:
    """A page break between rows ``row - 1`` and ``row`` of a table read from a PDF.

    The reader cannot always tell whether the break cut a row at a paragraph
    end (the row goes on), fell between two rows, or between two tables; the
    mapping can (``parsers.seams``).  ``joined`` is, per grid column, the text
    of the row above with this row's joined in, when the row may go on at all.
    """

    row: int
    joined: list[str] | None = None


@dataclass(slots=True, eq=False)
class Table:
    rows: list[list[Cell]]
    number: int = 0  # 1-based, in document order (nested tables counted too)
    #: Page breaks inside the table (PDF only), for the mapping to settle.
    seams: list[Seam] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class Paragraph:
    text: str
    boxes: list[bool] = field(default_factory=list)


Block = Paragraph | Table


@dataclass(slots=True)
class Document:
    blocks: list[Block]
    #: Filled PDF form fields (name -> value); empty for Word files.
    form_fields: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True, eq=False)
class Slot:
    """A place a label or an answer can sit: a paragraph or a table cell."""

    text: str
    norm: str
    where: str
    index: int  # position in document order
    cell: Cell | None = None
    table: Table | None = None
    row: int = -1
    col: int = -1
    paragraph: Paragraph | None = None

    @property
    def boxes(self) -> list[bool]:
        holder = self.cell if self.cell is not None else self.paragraph
        return holder.boxes if holder is not None else []


def flatten(doc: Document) -> list[Slot]:
    """Every paragraph and distinct cell, in reading order, once each.

    A merged cell is listed at its first grid position only; nested tables
    follow the cell that holds them.
    """
    slots: list[Slot] = []
    para_no = 0

    def add_table(table: Table) -> None:
        seen: set[int] = set()
        for r, row in enumerate(table.rows):
            for c, cell in enumerate(row):
                if id(cell) in seen:
                    continue
                seen.add(id(cell))
                slots.append(Slot(cell.text, normalise(cell.text),
                                  f"table {table.number} row {r + 1} cell {c + 1}",
                                  len(slots), cell=cell, table=table, row=r, col=c))
                for inner in cell.tables:
                    add_table(inner)

    for block in doc.blocks:
        if isinstance(block, Paragraph):
            para_no += 1
            slots.append(Slot(block.text, normalise(block.text), f"paragraph {para_no}",
                              len(slots), paragraph=block))
        else:
            add_table(block)
    return slots


def number_tables(doc: Document) -> None:
    """Give every table (nested ones too) its 1-based number in reading order."""
    count = 0

    def visit(table: Table) -> None:
        nonlocal count
        count += 1
        table.number = count
        seen: set[int] = set()
        for row in table.rows:
            for cell in row:
                if id(cell) not in seen:
                    seen.add(id(cell))
                    for inner in cell.tables:
                        visit(inner)

    for block in doc.blocks:
        if isinstance(block, Table):
            visit(block)
