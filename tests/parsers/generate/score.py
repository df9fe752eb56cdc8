"""Parsing a generated form and counting the fields it got right, by style and layout."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from parsers import parse_document
from parsers.mapping import FormMapping
from tests.parsers.generate.build import Case, Generated, generate

_INDEX = re.compile(r"^(?P<list>[\w.]+)\[(?P<n>\d+)\]\.(?P<key>\w+)$")


def value_at(record: dict, path: str, want_item: dict | None = None) -> Any:
    """The value at a record path; an item field is looked up in the entry with the same ``set``."""
    m = _INDEX.match(path)
    if m:
        entries = record.get(m["list"]) or []
        for entry in entries:
            if want_item and all(entry.get(k) == v for k, v in want_item.items()):
                return entry.get(m["key"])
        return None
    data: Any = record
    for part in path.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    return data


def _same(got: Any, want: Any) -> bool:
    """Equal, a list of entries compared on the keys the generator wrote."""
    if isinstance(want, list) and isinstance(got, list):
        return len(got) == len(want) and all(
            _same(g, w) for g, w in zip(got, want))
    if isinstance(want, dict) and isinstance(got, dict):
        return all(got.get(k) == v for k, v in want.items()) and all(
            v is None for k, v in got.items() if k not in want)
    return got == want


@dataclass
class Tally:
    """Fields right and total, per tag (style, layout, format)."""

    right: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    total: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    misses: list[str] = field(default_factory=list)

    def add(self, tags: list[str], ok: bool) -> None:
        for tag in tags:
            self.total[tag] += 1
            self.right[tag] += ok

    def lines(self) -> list[str]:
        out = []
        for tag in sorted(self.total):
            t, r = self.total[tag], self.right[tag]
            out.append(f"{tag:28} {r:6}/{t:<6} {100 * r / t:6.2f} %")
        return out


def item_sets(mapping: FormMapping) -> dict[str, dict]:
    """``parents[0]`` -> that item's fixed values (how its entry is told apart)."""
    out = {}
    for path, spec in mapping.fields.items():
        for n, item in enumerate(spec.items):
            out[f"{path}[{n}]"] = dict(item.set)
    return out


def score(mapping: FormMapping, gen: Generated, record: dict, tally: Tally,
          extra_tags: list[str], name: str = "") -> bool:
    """Compare every generated field; True when the whole record is right."""
    sets = item_sets(mapping)
    all_right = True
    for check in gen.checks:
        base = check.path.rsplit(".", 1)[0]
        got = value_at(record, check.path, sets.get(base))
        ok = _same(got, check.want)
        all_right &= ok
        tally.add(["all", *extra_tags, *check.tags], ok)
        if not ok and len(tally.misses) < 200:
            tally.misses.append(f"{name} {check.path} [{','.join(check.tags)}]")
    return all_right


def run_case(mapping: FormMapping, case: Case, tmp: Path, tally: Tally,
             with_blank: bool = True) -> tuple[bool, Generated, dict]:
    """Generate, parse and score one form: with its generated blank form, or with none.

    Without it the mapping's own ``blank_form`` (a shipped board's form) goes
    too: the labels and stop labels alone must serve.
    """
    gen = generate(mapping, case)
    blank_form = None
    if with_blank:
        blank = tmp / f"{mapping.id.replace('/', '-')}-{case.layout}-{case.seed}-blank.docx"
        blank.write_bytes(gen.blank)
        blank_form = str(blank)
    used = (gen.mapping or mapping).model_copy(update={"blank_form": blank_form})
    result = parse_document(gen.filled, "form.docx", board=mapping.board, mappings=[used])
    record = result.record.model_dump(mode="json")
    name = f"{mapping.id}/{case.layout}/{case.seed}"
    ok = score(mapping, gen, record, tally, [f"layout:{case.layout}", f"form:{mapping.id}"], name)
    return ok, gen, record
