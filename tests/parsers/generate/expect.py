"""What the record must hold, from what was typed: the contract's rules, written out.

Fields the mapping derives (``join``, ``from`` + ``extract``, ``of``,
``value``, ``most_common``) and repeating tables are worked out here from
the generated answers, independently of the parser's code.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any, Callable

from parsers.mapping import FieldSpec, FormMapping
from tests.parsers.generate.fill import Filler


def put(data: dict, path: str, value: Any) -> None:
    parts = path.split(".")
    for part in parts[:-1]:
        data = data.setdefault(part, {})
    data[parts[-1]] = value


def get(data: dict, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)  # type: ignore[assignment]
    return data


def derive(mapping: FormMapping, data: dict, extras: dict[str, Any], checks: list,
           check: Callable[..., Any]) -> None:
    """Fill the mapping's derived fields the way the contract defines them."""
    for path, value in mapping.set.items():
        if get(data, path) is None:
            put(data, path, value)
    for path, spec in mapping.fields.items():
        if path.startswith("decision."):
            continue
        if spec.value is not None:
            value: Any = spec.value
        elif spec.join:
            parts = [get(data, p) for p in spec.join]
            value = spec.separator.join(str(p) for p in parts if p) or None
        elif spec.from_:
            value = extras.get(f"{spec.from_}:{spec.extract}") if get(data, spec.from_) else None
        elif spec.of:
            value = True if any(get(data, p) not in (None, [], "") for p in spec.of) else None
        else:
            if spec.most_common and get(data, path) is None:
                items, _, key = spec.most_common.partition(".")
                found = [e.get(key) for e in get(data, items) or [] if e.get(key)]
                if found:
                    counts = Counter(found)
                    put(data, path, max(found, key=lambda v: counts[v]))
                    checks[:] = [c for c in checks if c.path != path]
                    checks.append(check(path, get(data, path), ["derived"]))
            continue
        put(data, path, value)
        checks.append(check(path, value, ["derived"]))
    for key in [k for k in data if k.startswith("_")]:
        del data[key]


_APPROX = ["June 2014 approx", "Spring 2019", "c. 2018", "N/K"]


def table_rows(spec: FieldSpec, fill: Filler, rng: random.Random
               ) -> tuple[list[str], list[list[list[str]]], list[dict[str, Any]]]:
    """Header wordings, typed rows (cell lines) and the entries they must give.

    Columns come in a random order; some rows are empty (the blank form's
    unused rows), which give no entry.
    """
    keys = list(spec.columns)
    rng.shuffle(keys)
    headers = [spec.columns[k].labels[0] for k in keys]
    rows, entries = [], []
    for _ in range(rng.randint(0, 4)):
        typed: list[list[str]] = []
        entry: dict[str, Any] = {}
        for key in keys:
            column = spec.columns[key]
            if column.type == "date":
                if rng.random() < 0.15:
                    text = rng.choice(_APPROX)
                    value = None
                else:
                    text, d, _ = fill.date(2010, 2025)
                    value = d.isoformat()
                entry[key] = value
                if column.text_to:
                    entry[column.text_to] = text
                typed.append([text])
            elif column.type == "time":
                text, value = fill.time()
                entry[key] = value
                typed.append([text])
            else:
                answer = fill.answer(key, "text")
                entry[key] = answer.value
                typed.append(answer.lines)
        if any(v is not None for v in entry.values()):
            rows.append(typed)
            entries.append(entry)
    for _ in range(rng.randint(0, 2)):
        rows.append([[""] for _ in keys])
    return headers, rows, entries
