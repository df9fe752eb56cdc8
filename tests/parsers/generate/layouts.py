"""The same questions laid out the ways forms lay them out.

A layout turns a section's questions into WordprocessingML blocks: label
and answer side by side in a table, label above its answer, label and
answer in one cell, two questions per row, a bold label paragraph with
the answer paragraphs under it, or ``Label: answer`` paragraphs.  Tick
groups and repeating tables follow the layout's family (table or paragraph).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from tests.parsers.generate import wordxml as wx

LAYOUTS = ("table_right", "table_below", "same_cell", "two_per_row", "para_below", "para_inline",
           "blocks")
TABLE_LAYOUTS = ("table_right", "table_below", "same_cell", "two_per_row")
#: What comes between a label and an answer typed after it.
SEPARATORS = {"colon": ": ", "tab": "\t", "spaces": "   ", "nothing": " ", "break": "\n",
              "dash": " – "}


@dataclass
class Filled:
    """One question as printed and filled: label, answer lines, styles."""

    label: str
    lines: list[str]
    text_style: str
    sep: str = "colon"


def _answer_paras(f: Filled, rng: random.Random, lines: list[str] | None = None) -> list[str]:
    """Answer lines as paragraphs (or one paragraph with soft breaks)."""
    lines = f.lines if lines is None else lines
    if not any(ln.strip() for ln in lines):
        return [wx.paragraph(wx.blank_runs(f.text_style) + wx.run(lines[0] if lines else ""))]
    if f.text_style == "softbreak":
        return [wx.paragraph(wx.run("\n".join(lines)))]
    return [wx.paragraph(wx.answer_runs(ln, f.text_style, rng) if ln else "") for ln in lines]


def _inline_paras(f: Filled, rng: random.Random, bold: bool) -> list[str]:
    """``Label<sep>answer`` then any further answer lines as paragraphs."""
    sep = SEPARATORS[f.sep]
    head = wx.label_run(f.label, bold)
    if not any(ln.strip() for ln in f.lines):
        return [wx.paragraph(head + wx.run(sep.rstrip(" ") if f.sep == "colon" else "")
                             + wx.blank_runs(f.text_style) + wx.run(f.lines[0] if f.lines else ""))]
    if f.text_style == "softbreak":
        return [wx.paragraph(head + wx.run(sep + "\n".join(f.lines)))]
    first = wx.paragraph(head + wx.run(sep) + wx.answer_runs(f.lines[0], f.text_style, rng))
    return [first] + _answer_paras(f, rng, f.lines[1:]) if len(f.lines) > 1 else [first]


def simple_blocks(items: list[Filled], layout: str, rng: random.Random) -> list[str]:
    """Blocks for a run of label/answer questions in one layout."""
    if layout in ("para_below", "blocks"):  # blocks: para_below, tables as repeated blocks
        out = []
        for f in items:
            out.append(wx.paragraph(wx.label_run(f.label)))
            out += _answer_paras(f, rng)
        return out
    if layout == "para_inline":
        return [p for f in items for p in _inline_paras(f, rng, bold=rng.random() < 0.5)]
    rows: list[list[str]] = []
    label = lambda f: wx.cell([wx.paragraph(wx.label_run(f.label))])  # noqa: E731
    if layout == "table_right":
        rows = [[label(f), wx.cell(_answer_paras(f, rng))] for f in items]
        return [wx.table(rows, 2)]
    if layout == "table_below":
        for f in items:
            rows += [[label(f)], [wx.cell(_answer_paras(f, rng))]]
        return [wx.table(rows, 1)]
    if layout == "same_cell":
        rows = [[wx.cell(_inline_paras(f, rng, bold=True))] for f in items]
        return [wx.table(rows, 1)]
    for i in range(0, len(items), 2):  # two_per_row
        pair = items[i:i + 2]
        row = [c for f in pair for c in (label(f), wx.cell(_answer_paras(f, rng)))]
        rows.append(row + [wx.cell([])] * (4 - len(row)))
    return [wx.table(rows, 4)]


def tick_blocks(group_label: str, options: list[tuple[str, bool, str]], layout: str,
                tick_style: str, rng: random.Random) -> list[str]:
    """A tick group: its question, then one row or paragraph per option.

    ``options`` are (printed option, ticked, typed detail after it).
    """
    after = rng.random() < 0.5 or tick_style == "yesno"
    if layout in TABLE_LAYOUTS:
        rows = [[wx.cell([wx.paragraph(wx.label_run(group_label))]), wx.cell([])]]
        for text, ticked, detail in options:
            opt = wx.run(text) + (wx.run(f": {detail}") if detail else "")
            mark = wx.cell([wx.paragraph(wx.tick_runs(ticked, tick_style))])
            opt_cell = wx.cell([wx.paragraph(opt)])
            rows.append([opt_cell, mark] if after else [mark, opt_cell])
        return [wx.table(rows, 2)]
    out = [wx.paragraph(wx.label_run(group_label))]
    for text, ticked, detail in options:
        mark = wx.tick_runs(ticked, tick_style)
        tail = wx.run(f": {detail}") if detail else ""
        if after:
            dash = " – " if tick_style == "yesno" else " "
            out.append(wx.paragraph(wx.run(text) + tail + wx.run(dash) + mark))
        else:
            out.append(wx.paragraph(mark + wx.run(" " + text) + tail))
    return out


def table_blocks(headers: list[str], rows: list[list[list[str]]], text_style: str,
                 rng: random.Random) -> list[str]:
    """A repeating table: header row, then rows of (cell lines)."""
    head = [wx.cell([wx.paragraph(wx.label_run(h))]) for h in headers]
    body = [[wx.cell(_answer_paras(Filled("", lines, text_style), rng)) for lines in row]
            for row in rows]
    return [wx.table([head] + body, len(headers))]
