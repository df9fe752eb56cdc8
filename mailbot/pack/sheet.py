"""The integrated chronology as a spreadsheet, for sorting and filtering.

A sub-group member wants "everything the police knew" or "every row about
PN" without scrolling seventy pages: one row per chronology entry, a real
date column to sort on (the start of an approximate date's period, with its
precision beside it), the date as written, and filters on every column.
Undated rows come last with an empty sort date, never dropped.

openpyxl makes the workbook (styles, widths, frozen header, filters, the
About sheet) around one sample data row; the chronology's rows are then
written as sheet XML in the sample row's styles. openpyxl alone takes
seconds for 5,000 rows; this takes a fraction of one. Every text is an
inline string, so a cell starting with ``=`` is never a formula.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from typing import Any

from mailbot.pack.chronology import Chronology, Row
from mailbot.pack.sections import clean

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLUMNS = [  # (heading, width)
    ("No.", 6), ("Sorted as", 11), ("Date as written", 16), ("Precision", 10), ("Time", 7),
    ("Agency", 26), ("Agency (as written)", 30), ("Subject", 9), ("Form of contact", 16), ("Text", 60),
    ("Action taken", 36), ("Family present", 14), ("Source document", 30), ("Possibly the same event as", 14),
    ("Same-event group", 10),
]
assert len(COLUMNS) <= 26
LETTERS = [chr(ord("A") + i) for i in range(len(COLUMNS))]  # fewer than 27 columns: one letter each
SHEET = "xl/worksheets/sheet1.xml"
_EPOCH = dt.date(1899, 12, 30)
_SAMPLE_ROW = re.compile(r'<row r="2"[^>]*>.*?</row>', re.DOTALL)
_STYLE = re.compile(r'<c r="([A-Z]+)2"[^>]*?\ss="(\d+)"')


def values(row: Row) -> list[Any]:
    """One spreadsheet row: ints, a date, or text (``None`` for nothing)."""
    return [row.number, row.when.start, row.when.shown or None, row.when.precision if row.when.dated else "undated",
            row.time, row.agency_key, row.agency, row.subject, row.contact, row.text, row.action, row.family,
            row.source.label, ", ".join(map(str, row.same_as)) or None, row.group]


def _skeleton(rows: int, about: list[tuple[str, str]]) -> bytes:
    """The workbook around one sample row (row 2) whose cells carry the data rows' styles."""
    # openpyxl is imported when a pack is made: ~20 MB the daemon need not hold until then.
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = "Chronology"
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="D9E2F3")
    top, wrap = Alignment(vertical="top"), Alignment(vertical="top", wrap_text=True)
    for i, (heading, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[LETTERS[i - 1]].width = width
        head = ws.cell(row=1, column=i, value=heading)
        head.font, head.fill, head.alignment = bold, fill, wrap
        sample = ws.cell(row=2, column=i, value=dt.date(2000, 1, 1) if i == 2 else "x")
        sample.alignment = wrap if heading in ("Text", "Action taken", "Agency (as written)") else top
        if i == 2:
            sample.number_format = "dd/mm/yyyy"
    ws.freeze_panes = "C2"
    ws.auto_filter.ref = f"A1:{LETTERS[-1]}{rows + 1}"
    notes = wb.create_sheet("About")
    notes.column_dimensions["A"].width, notes.column_dimensions["B"].width = 28, 100
    for label, text in about:
        notes.append([label, text])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cell(ref: str, style: str, value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, dt.date):
        return f'<c r="{ref}"{style}><v>{(value - _EPOCH).days}</v></c>'
    if isinstance(value, int):
        return f'<c r="{ref}"{style}><v>{value}</v></c>'
    text = _escape(clean(value))
    return f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>' if text else ""


def _rows_xml(chron: Chronology, styles: dict[str, str]) -> str:
    attrs = [f' s="{styles[letter]}"' if letter in styles else "" for letter in LETTERS]
    out = []
    for r, row in enumerate(chron.rows, start=2):
        cells = "".join(_cell(f"{letter}{r}", attr, value)
                        for letter, attr, value in zip(LETTERS, attrs, values(row)))
        out.append(f'<row r="{r}">{cells}</row>')
    return "".join(out)


def render_sheet(chron: Chronology, about: list[tuple[str, str]]) -> bytes:
    """The workbook: ``Chronology`` (every row, filters on) and ``About`` (what the columns mean)."""
    skeleton = _skeleton(len(chron.rows), about)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(skeleton)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == SHEET:
                xml = data.decode("utf-8")
                sample = _SAMPLE_ROW.search(xml)
                assert sample is not None, "openpyxl wrote no sample row"
                styles = dict(_STYLE.findall(sample.group(0)))
                last = max(len(chron.rows) + 1, 1)
                xml = xml[:sample.start()] + _rows_xml(chron, styles) + xml[sample.end():]
                xml = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{LETTERS[-1]}{last}"/>', xml, count=1)
                data = xml.encode("utf-8")
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, data)
    return out.getvalue()
