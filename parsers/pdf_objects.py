"""A PDF page's characters, words and tables, taken cheaply from pdfminer's layout.

pdfplumber's ``page.chars`` turns every object of the page into a dict of
some twenty attributes, each resolved through the PDF's objects (colours,
font names, matrices): on a five-page form of 7,000 characters that was a
third of the whole reading time, for attributes the reader never looks at.
The reader needs a character's text, box and size, and the page's
rectangles, lines and curves to find the tables. So these come from the
same layout pdfplumber builds (``page.layout``: the same pdfminer
interpretation, the same numbers): a character keeps only the keys
pdfplumber's word grouping reads, placed exactly as pdfplumber places them;
the few shapes still go through pdfplumber's own ``process_object``; and
pdfplumber's own word grouping and table finder run on them unchanged. The
words and tables are therefore the ones ``page.extract_words`` and
``page.find_tables`` give, at about half the cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from pdfminer.layout import LTChar, LTContainer, LTCurve, LTItem
from pdfplumber.container import Container
from pdfplumber.table import Table, TableFinder
from pdfplumber.utils import extract_words

#: What the reader reads of a word beside its box and text (pdfplumber's ``extra_attrs``).
WORD_ATTRS = ["size"]


class _Shapes(Container):
    """The page's rectangles, lines and curves, for pdfplumber's table finder (its ``edges``)."""

    def __init__(self, objects: dict[str, list[dict[str, Any]]]) -> None:
        self._shapes = objects

    @property
    def objects(self) -> dict[str, list[dict[str, Any]]]:
        return self._shapes


@dataclass(slots=True)
class PageObjects:
    """What the reader takes from one page."""

    #: Characters as pdfplumber's dicts, with only the keys the reader and the word grouping read.
    chars: list[dict[str, Any]]
    shapes: _Shapes

    def words(self) -> list[dict[str, Any]]:
        """``page.extract_words(extra_attrs=["size"])``, on these characters."""
        return extract_words(self.chars, extra_attrs=WORD_ATTRS)

    def finder(self) -> TableFinder:
        """pdfplumber's table finder (default settings: ruling lines) on these shapes:
        its ``tables``, and its lone ``cells`` (``parsers.pdf_cells``)."""
        return TableFinder(self.shapes)  # type: ignore[arg-type]  # reads only .edges

    def tables(self) -> list[Table]:
        """``page.find_tables()`` (default settings: ruling lines), on these shapes."""
        return self.finder().tables


def _leaves(items: list[LTItem]) -> Iterator[LTItem]:
    """The layout's objects, figures opened (as pdfplumber does without layout analysis)."""
    for item in items:
        if isinstance(item, LTContainer):
            yield from _leaves(item._objs)
        else:
            yield item


def page_objects(page: Any) -> PageObjects:
    """The characters and shapes of a pdfplumber ``page`` (opened without layout analysis)."""
    if page.pdf.laparams is not None or page.pdf.unicode_norm is not None:
        raise ValueError("page_objects reads pages opened with pdfplumber's defaults only")
    x_shift, top_shift = page.mediabox[0], page.mediabox[1]
    height, doctop = page.height, page.initial_doctop
    chars: list[dict[str, Any]] = []
    shapes: dict[str, list[dict[str, Any]]] = {}
    for item in _leaves(page.layout._objs):
        if isinstance(item, LTChar):
            top = (height - item.y1) + top_shift
            x0, x1 = item.x0, item.x1
            if x_shift != 0:
                x0, x1 = x0 + x_shift, x1 + x_shift
            chars.append({"text": item.get_text(), "x0": x0, "x1": x1, "top": top,
                          "bottom": (height - item.y0) + top_shift, "doctop": doctop + top,
                          "width": item.width, "height": item.height,
                          "size": item.size, "upright": item.upright})
        elif isinstance(item, LTCurve):  # rect and line are curves too
            obj = page.process_object(item)
            shapes.setdefault(obj["object_type"], []).append(obj)
    return PageObjects(chars, _Shapes(shapes))
