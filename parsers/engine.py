"""Applying a form mapping to a document: the generic reader.

The engine knows the record contract (field types, reason codes, the
optional ``decision`` sub-record) and the layouts answers come in; every
piece of wording comes from the mapping.  Values are never logged: the
explain trail records labels and locations only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from mailbot.records import REASON_ORDER, RECORD_TYPES
from parsers.document import Slot
from parsers.labels import Hit, Locator
from parsers.mapping import FieldSpec, FormMapping, Repeat
from parsers.repeats import block_spans
from parsers.printed import Printed
from parsers.reading import ValueReader
from parsers.tables import read_table
from parsers.tick_fields import TickFields

log = logging.getLogger("mailbot.parsers")


@dataclass(slots=True)
class ExplainItem:
    """Which document label fed a field (never the value itself)."""

    field: str
    label: str | None
    where: str | None
    found: bool
    note: str = ""


class Engine(TickFields):
    """Reads one document with one mapping into contract JSON."""

    def __init__(self, slots: list[Slot], mapping: FormMapping,
                 form_fields: dict[str, str] | None = None,
                 printed: Printed | None = None) -> None:
        self.mapping = mapping
        self.loc = Locator(slots, mapping, printed)
        self.values = ValueReader(mapping)
        self.form_fields = form_fields or {}
        self.data: dict[str, Any] = {}
        self.explain: list[ExplainItem] = []
        self.warnings: list[str] = []
        #: choice_text fields whose answer only says "I agree with …".
        self.agreeing: set[str] = set()
        #: Required fields a person should look at: not found, or read by a weak rule.
        self.doubted: list[str] = []

    # --- the run -------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        for path, value in self.mapping.set.items():
            _put(self.data, path, value)
        derived = []
        for path, spec in self.mapping.fields.items():
            if spec.from_ or spec.join or spec.of or spec.value is not None or spec.agree_with:
                derived.append((path, spec))
            if spec.value is None and not (spec.from_ or spec.join or spec.of):
                value = self._safely(path, self.read, path, spec)
                if value in (None, []) and _get(self.data, path) not in (None, []):
                    continue  # nothing found: a ``set:`` value stays
                _put(self.data, path, value)
        self._only_if()  # before join/from, so they never use what only_if blanks
        for path, spec in derived:
            self._safely(path, self._derive, path, spec)
        for path, spec in self.mapping.fields.items():
            if _get(self.data, path) not in (None, []):
                continue
            value = _most_common(self.data, spec.most_common) if spec.most_common else None
            for other in spec.fallback:
                value = value if value is not None else _get(self.data, other)
            if value is None and spec.default is not None:
                value = spec.default
            if value is not None:
                _put(self.data, path, value)
                self._note(path, None, "fallback" if spec.fallback or spec.most_common
                           else "default", True)
        self._only_if()
        weak = {i.field for i in self.explain if i.found and "(weak)" in (i.where or "")}
        for path, spec in self.mapping.fields.items():
            if spec.required and path in weak and _get(self.data, path) not in (None, []):
                self.doubted.append(path)
                self.warnings.append(f"required field {path} was read by a weak rule; "
                                     "please check it")
            if spec.required and _get(self.data, path) in (None, []):
                self.doubted.append(path)
                self.warnings.append(f"required field {path} was not found")
        if "reasons" in self.data and isinstance(self.data["reasons"], list):
            order = {code: i for i, code in enumerate(REASON_ORDER)}
            self.data["reasons"].sort(
                key=lambda c: order.get(c, len(order)) if isinstance(c, str) else len(order))
        self._subrecords()
        for key in [k for k in self.data if k.startswith("_")]:
            del self.data[key]
        return self.data

    def put(self, path: str, value: Any) -> None:
        _put(self.data, path, value)

    def _only_if(self) -> None:
        for path, spec in self.mapping.fields.items():
            if spec.only_if and _get(self.data, spec.only_if.field) != spec.only_if.equals:
                _put(self.data, path, None)

    def _safely(self, path: str, fn: Any, *args: Any) -> Any:
        """One field's rule; a rule that fails leaves only that field blank, with a warning.

        Mappings are data an admin writes: a combination no check foresaw
        must cost one field, never the form (and never a traceback).
        """
        try:
            return fn(*args)
        except Exception as err:  # noqa: BLE001 - any failure of one rule
            log.warning("field %s could not be read (%s)", path, type(err).__name__)
            self.warnings.append(f"field {path} could not be read; it was left blank")
            self._note(path, None, None, False, f"rule failed: {type(err).__name__}")
            return None

    def _subrecords(self) -> None:
        """An optional sub-record (a referral's ``decision``) only when filled."""
        record = RECORD_TYPES[self.mapping.form_type]
        for key, info in record.model_fields.items():
            sub = self.data.get(key)
            inner = [a for a in getattr(info.annotation, "__args__", ()) or ()
                     if a in RECORD_TYPES.values()]
            if not inner or not isinstance(sub, dict):
                continue
            if not _any_leaf(sub):
                self.data[key] = None
                continue
            sub.update(form_type=inner[0].model_fields["form_type"].default,
                       board=self.mapping.board, form=self.mapping.id)

    # --- one field -------------------------------------------------------------

    def read(self, path: str, spec: FieldSpec, within: tuple[int, int] | None = None) -> Any:
        """One field, looked for in its section (inside ``within``, a block, when given)."""
        span = self.loc.span(spec.section)
        if span is not None and within is not None:
            span = (max(span[0], within[0]), min(span[1], within[1]))
            span = span if span[0] < span[1] else None
        if span is None:
            self._note(path, None, None, False, f"section {spec.section} not found")
            return [] if spec.type in ("tick_list", "table", "person_list", "lines") or \
                spec.items or spec.repeat else None
        if spec.items:
            return self._items(path, spec, span)
        if spec.repeat:
            return self._blocks(path, spec.repeat, span)
        if spec.type in ("choice", "tick_list"):
            return self._ticks(path, spec, span)
        if spec.type == "table":
            rows, hit_where = read_table(self.loc, spec, span, self.values, self.warnings, path)
            self._note(path, "table header" if hit_where else None, hit_where, bool(rows))
            return rows
        for name in spec.form_fields:
            if self.form_fields.get(name, "").strip():
                value = self.values.convert(self.form_fields[name], spec, path, self.warnings)
                self._note(path, f"form field {name}", "PDF form field", value is not None)
                return value
        first: tuple[Hit, str] | None = None
        loose = spec.answer in ("below", "right") or "para"
        for label in spec.labels:
            for hit in self.loc.find_all(label, *span, loose=loose):
                raw, where = self.loc.answer(hit, spec.answer, span[1])
                if spec.answer != "auto" and not (raw or "").strip():
                    raw, where = self.loc.answer(hit, "auto", span[1])  # not the usual layout
                value = self.values.convert(raw, spec, path, self.warnings)
                if value is None and spec.agree and self.values.has_phrase(raw, spec.agree):
                    self.agreeing.add(path)
                if value not in (None, []):
                    self._note(path, hit.label, where, True)
                    return value
                first = first or (hit, where)
        self._note(path, first[0].label if first else None, first[1] if first else None, False)
        return [] if spec.type in ("person_list", "lines") else None

    def _items(self, path: str, spec: FieldSpec, span: tuple[int, int]) -> list[dict]:
        out = []
        for n, item in enumerate(spec.items):
            entry: dict[str, Any] = dict(item.set)
            for key, sub in item.fields.items():
                entry[key] = self.read(f"{path}[{n}].{key}", sub, span)
            if item.skip_if_blank and all(entry.get(k) in (None, "") for k in item.skip_if_blank):
                continue
            out.append(entry)
        return out

    def _blocks(self, path: str, repeat: Repeat, span: tuple[int, int]) -> list[dict]:
        """One entry per repeated block; each field read inside its own block only."""
        out = []
        for n, block in enumerate(block_spans(self.loc, repeat, span)):
            entry: dict[str, Any] = dict(repeat.set)
            for key, sub in repeat.fields.items():
                entry[key] = self.read(f"{path}[{n}].{key}", sub, block)
            keys = repeat.skip_if_blank or list(repeat.fields)
            if any(entry.get(k) not in (None, "", []) for k in keys):
                out.append(entry)
        self._note(path, "repeated blocks", f"{len(out)} block(s)", bool(out))
        return out

    def _derive(self, path: str, spec: FieldSpec) -> None:
        if spec.value is not None:
            value: Any = spec.value
        elif spec.from_:
            value = self.values.extract(_get(self.data, spec.from_), spec.extract)
        elif spec.join:
            parts = [_get(self.data, p) for p in spec.join]
            value = spec.separator.join(str(p) for p in parts if p) or None
        elif spec.of:
            value = True if any(_get(self.data, p) not in (None, [], "") for p in spec.of) else None
        else:
            value = _get(self.data, path)
        if spec.agree_with and value is None and path in self.agreeing:
            value = _get(self.data, spec.agree_with)
        _put(self.data, path, value)
        self._note(path, None, f"from {spec.from_ or ', '.join(spec.join or spec.of) or 'rule'}",
                   value is not None)

    def _note(self, path: str, label: str | None, where: str | None, found: bool,
              note: str = "") -> None:
        self.explain.append(ExplainItem(path, label, where, found, note))


def _put(data: dict, path: str, value: Any) -> None:
    parts = path.split(".")
    for part in parts[:-1]:
        if not isinstance(data.get(part), dict):
            data[part] = {}  # a mapping's ``set:`` may have put a plain value here
        data = data[part]
    data[parts[-1]] = value


def _get(data: dict, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)  # type: ignore[assignment]
    return data


def _most_common(data: dict, path: str) -> Any:
    """Most frequent non-blank ``key`` across the list at ``list.key`` (ties: first)."""
    items, _, key = path.partition(".")
    values = [e.get(key) for e in data.get(items) or [] if isinstance(e, dict) and e.get(key)]
    return max(values, key=values.count) if values else None


def _any_leaf(obj: Any) -> bool:
    if isinstance(obj, dict):
        return any(_any_leaf(v) for v in obj.values())
    return obj not in (None, [], "")
