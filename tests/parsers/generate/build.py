"""One generated form: a filled .docx, its blank copy and the record it must give.

``generate(mapping, case)`` lays the mapping's questions out in the case's
layout, fills them in its styles (one style throughout, or ``mixed``: a
random one per question) and works out the record as the contract says it
must come out, field by field, with the styles each field was written in.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from typing import Any

import docx
from docx.oxml import parse_xml

from mailbot.records import REASON_ORDER, RECORD_TYPES
from parsers.mapping import FieldSpec, FormMapping, Repeat
from tests.parsers.generate import wordxml as wx
from tests.parsers.generate.expect import derive, put
from tests.parsers.generate.fill import Answer, Filler
from tests.parsers.generate.layouts import SEPARATORS, Filled, simple_blocks, table_blocks, \
    tick_blocks
from tests.parsers.generate.model import Question, questions, title_lines


@dataclass(frozen=True)
class Case:
    """What to generate: a layout and filling styles (``mixed``: random per question)."""

    layout: str
    text_style: str = "mixed"
    tick_style: str = "mixed"
    sep: str = "mixed"
    date_style: str | None = None
    seed: int = 0


@dataclass
class Check:
    """One field to compare: its record path, the value it must have, its styles."""

    path: str
    want: Any
    tags: list[str]


@dataclass
class Generated:
    filled: bytes
    blank: bytes
    record: dict[str, Any]
    checks: list[Check] = field(default_factory=list)
    #: The mapping to read it with, when the layout needs one of its own (repeated blocks).
    mapping: FormMapping | None = None


def _docx(blocks: list[str]) -> bytes:
    d = docx.Document()
    body = d.element.body
    for xml in blocks:
        body.insert(len(body) - 1, parse_xml(xml))
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


class _Builder:
    def __init__(self, mapping: FormMapping, case: Case) -> None:
        self.mapping, self.case = mapping, case
        self.rng = random.Random(case.seed)
        self.fill = Filler(self.rng, case.date_style)
        self.filled: list[str] = []
        self.blank: list[str] = []
        self.data: dict[str, Any] = {}
        self.extras: dict[str, Any] = {}
        self.checks: list[Check] = []
        self.items: dict[str, dict[int, dict[str, Any]]] = {}
        #: Tables laid out as repeated blocks: the ``repeat:`` specs that read them.
        self.repeats: dict[str, FieldSpec] = {}

    def pick(self, chosen: str, choices: tuple[str, ...] | list[str]) -> str:
        return self.rng.choice(list(choices)) if chosen == "mixed" else chosen

    def run(self) -> Generated:
        for line in title_lines(self.mapping):
            self._both([wx.paragraph(wx.label_run(line))])
        for section in questions(self.mapping):
            if section.heading:
                self._both([wx.paragraph(wx.label_run(section.heading))])
            pending: list[tuple[Question, Answer]] = []
            for q in section.questions:
                if q.kind in ("choice", "tick_list", "table"):
                    self._simple(pending)
                    pending = []
                    (self._table if q.kind == "table" else self._ticks)(q)
                else:
                    pending.append((q, self._answer(q)))
            self._simple(pending)
        for path, entries in self.items.items():
            spec = self.mapping.fields[path]
            out = []
            for n, item in enumerate(spec.items):
                entry = {**item.set, **entries.get(n, {})}
                blank = all(entry.get(k) is None for k in item.skip_if_blank)
                if not (item.skip_if_blank and blank):
                    out.append(entry)
            self.data[path] = out
        self._both([wx.paragraph("")])  # Word never ends a body on a table
        derive(self.mapping, self.data, self.extras, self.checks, Check)
        raw = {**self.data, "board": self.mapping.board, "form": self.mapping.id}
        record = RECORD_TYPES[self.mapping.form_type].model_validate(raw).model_dump(mode="json")
        mapping = None
        if self.repeats:
            fields = {**self.mapping.fields, **self.repeats}
            mapping = self.mapping.model_copy(update={"fields": fields})
        return Generated(_docx(self.filled), _docx(self.blank), record, self.checks, mapping)

    def _both(self, blocks: list[str], blank: list[str] | None = None) -> None:
        self._gap()
        self.filled += blocks
        self.blank += blocks if blank is None else blank

    def _gap(self) -> None:
        """An empty paragraph between two tables: Word joins tables that touch."""
        if self.filled and self.filled[-1].startswith("<w:tbl"):
            self.filled.append(wx.paragraph(""))
            self.blank.append(wx.paragraph(""))

    def _answer(self, q: Question) -> Answer:
        answer = self.fill.answer(q.path, q.kind)
        if self.case.layout == "para_inline" and "" in answer.lines[1:]:
            answer.lines = [ln for ln in answer.lines if ln] or [""]
            answer.value = "\n".join(answer.lines) if q.kind == "text" else answer.value
        return answer

    def _simple(self, pending: list[tuple[Question, Answer]]) -> None:
        if not pending:
            return
        filled, blank = [], []
        for q, a in pending:
            style = self.pick(self.case.text_style, wx.TEXT_STYLES)
            sep = self.pick(self.case.sep, tuple(SEPARATORS))
            filled.append(Filled(q.label, a.lines, style, sep))
            blank.append(Filled(q.label, [""], style, sep))
            tags = a.tags + [f"text:{style}"]
            if self.case.layout in ("same_cell", "para_inline"):
                tags.append(f"sep:{sep}")
            self._record(q, a, tags)
        self._gap()
        rng_state = self.rng.getstate()
        self.filled += simple_blocks(filled, self.case.layout, self.rng)
        self.rng.setstate(rng_state)
        self.blank += simple_blocks(blank, self.case.layout, self.rng)

    def _record(self, q: Question, a: Answer, tags: list[str]) -> None:
        value = a.value
        if q.kind == "person_list" and value is None:
            value = []
        if q.kind == "person_list" and value:
            value = [{q.spec.name_key: p["name"], q.spec.date_key: p["date_of_birth"]}
                     for p in value]
        for key, extra in a.extras.items():
            self.extras[f"{q.path}:{key}"] = extra
        if q.item:
            path, n, key, _ = q.item
            self.items.setdefault(path, {}).setdefault(n, {})[key] = value
        else:
            put(self.data, q.path, value)
        if not q.path.startswith("_"):  # scratch fields are never output
            self.checks.append(Check(q.path, value, tags))

    def _ticks(self, q: Question) -> None:
        spec, style = q.spec, self.pick(self.case.tick_style, wx.TICK_STYLES)
        codes = list(spec.option_map())
        if q.kind == "choice":
            chosen = {self.rng.choice(codes)} if self.rng.random() < 0.85 else set()
        else:
            chosen = {c for c in codes if self.rng.random() < 0.4}
        prefix = (spec.detail.prefixes[:1] or [""])[0] if spec.detail else ""
        options, blank_options, out, detail_value = [], [], [], None
        for code in codes:
            printed = spec.option_map()[code][0]
            ticked = code in chosen
            detail = prefix
            is_other = code in spec.other or printed in spec.other
            if ticked and (spec.detail and spec.detail.field or is_other):
                typed = self.fill.text("organisation").value
                detail = f"{prefix} {typed}".strip()
                detail_value = typed
            options.append((printed, ticked, detail))
            blank_options.append((printed, False, prefix))
            if ticked:
                if spec.item_key:
                    out.append({spec.item_key: detail_value if is_other else printed})
                else:
                    out.append(code)
        group = spec.labels[0] if spec.labels else "Please tick"
        state = self.rng.getstate()
        filled = tick_blocks(group, options, self.case.layout, style, self.rng)
        self.rng.setstate(state)
        self._both(filled, tick_blocks(group, blank_options, self.case.layout, style, self.rng))
        tags = [f"tick:{style}"]
        if q.kind == "choice":
            value = next(iter(chosen)) if chosen else None
            put(self.data, q.path, value)
            self.checks.append(Check(q.path, value, tags))
            if spec.detail and spec.detail.field:
                put(self.data, spec.detail.field, detail_value if chosen else None)
                self.checks.append(Check(spec.detail.field, detail_value if chosen else None, tags))
            return
        if q.path == "reasons":
            out.sort(key=REASON_ORDER.index)
        put(self.data, q.path, out)
        self.checks.append(Check(q.path, out, tags))

    def _table(self, q: Question) -> None:
        from tests.parsers.generate.expect import table_rows
        style = self.pick(self.case.text_style, wx.TEXT_STYLES)
        headers, rows, entries = table_rows(q.spec, self.fill, self.rng)
        if self.case.layout == "blocks":
            self._repeated(q, headers, rows, style)
        else:
            self._both(table_blocks(headers, rows, style, self.rng),
                       table_blocks(headers, [[[""]] * len(headers)] * len(rows), style, self.rng))
        put(self.data, q.path, entries)
        self.checks.append(Check(q.path, entries, ["table" if self.case.layout != "blocks"
                                                   else "repeated_blocks", f"text:{style}"]))

    def _repeated(self, q: Question, headers: list[str], rows: list, style: str) -> None:
        """The table's rows as numbered blocks of questions, and a mapping that reads them."""
        blank_rows = max(len(rows), 1)
        filled, blank = [], []
        for n in range(max(len(rows), 1)):
            head = [wx.paragraph(wx.label_run(f"{BLOCK_HEADING} {n + 1}"))]
            row = rows[n] if n < len(rows) else [[""] for _ in headers]
            state = self.rng.getstate()
            filled += head + simple_blocks([Filled(h, ln, style) for h, ln in zip(headers, row)],
                                           "para_below", self.rng)
            self.rng.setstate(state)
            if n < blank_rows:
                blank += head + simple_blocks([Filled(h, [""], style) for h in headers],
                                              "para_below", self.rng)
        self._both(filled, blank)
        self.repeats[q.path] = repeat_spec(q.spec)


BLOCK_HEADING = "Item"


def repeat_spec(table: FieldSpec) -> FieldSpec:
    """A table field's columns as a ``repeat:`` block under "Item 1", "Item 2"…"""
    fields: dict[str, FieldSpec] = {}
    for key, column in table.columns.items():
        fields[key] = FieldSpec(labels=column.labels[:1], type=column.type)
        if column.text_to:
            fields[column.text_to] = FieldSpec(labels=column.labels[:1], type="date_text")
    return FieldSpec(repeat=Repeat(start=[f"{BLOCK_HEADING} #"], fields=fields))


def generate(mapping: FormMapping, case: Case) -> Generated:
    """The filled form, its blank copy and the record the filled form must give."""
    return _Builder(mapping, case).run()
