"""Reading a PDF form into the neutral document model.

pdfplumber finds the tables and the words; what a PDF loses is where a
paragraph ends (every line ends the same way), so lines are rejoined the
way a reader does it: a line that stops short although the next word
would have fitted ended its paragraph, one that did not was wrapped.
Tables cut by a page break are joined again (``parsers.pdf_breaks``),
and a row split over the break is mended.  Filled PDF form fields are
read too.  Caps: pages and
wall time.
"""

from __future__ import annotations

import io
import logging
import time

import pdfplumber

from mailbot.errors import ParseError
from parsers.document import Document, Paragraph, number_tables
from parsers.pdf_breaks import Builder
from parsers.pdf_cells import inside, page_tables, table_grid
from parsers.pdf_lines import Line, join, lines_of
from parsers.pdf_objects import page_objects
from parsers.safety import LIMITS, Limits

log = logging.getLogger("mailbot.parsers")
#: pdfminer's warnings and errors quote the document's own objects ("Could not
#: set text font because b'<a name from the form>' is an invalid float
#: value"), so a damaged form would put a child's name in the log: its loggers
#: are silenced whatever the log level (a failure still reaches us as an error).
logging.getLogger("pdfminer").setLevel(logging.CRITICAL + 1)


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
        builder = Builder()
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


def _read_page(page, builder: Builder) -> None:
    objects = page_objects(page)  # pdfplumber's words and tables, without its costly page.chars
    words = objects.words()
    tables = page_tables(objects.finder(), words, page.height)
    spaces: dict[int, list[float]] = {}
    for ch in objects.chars:
        if ch["text"] == " ":
            builder.vocab.space(ch)
            spaces.setdefault(round(ch["top"]), []).append(ch["x0"])
    free: list[dict] = []
    in_table: list[list[dict]] = [[] for _ in tables]
    for w in words:
        for i, t in enumerate(tables):
            if inside(w, t.bbox):
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
        group = ordered[0][1]
        line = group[0]
        alone = len(group) == 1 or group[1].top - line.top > 1.5 * line.size
        builder.page_starts.append((len(builder.blocks), line.top, line.size, alone))
    for _, item in ordered:
        if isinstance(item, int):
            builder.add_table(table_grid(tables[item], in_table[item], spaces, builder.vocab),
                              at_top=first)
        else:
            builder.blocks.extend(Paragraph(t) for t in join(item, right, builder.vocab))
            builder.pitches += [b.top - a.top for a, b in zip(item, item[1:])
                                if b.top - a.top > 1.5 * b.size]
        first = False
    builder.foot = max([builder.foot, *(ln.bottom for ln in lines), *(t.bbox[3] for t in tables)])
    if ordered and isinstance(ordered[-1][1], list):
        last = ordered[-1][1][-1]
        builder.page_ends.append((len(builder.blocks), last.bottom, last.size))
