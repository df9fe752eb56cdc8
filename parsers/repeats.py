"""Lists a form gives as repeated blocks or as one line per item.

Two layouts tables do not cover: the same questions asked once per agency
under numbered headings ("Service 1", "Service 2"…, each with worker,
contact and reason), and brothers and sisters one per line as ``Name,
D.O.B., gender, address``.  Both are mapping data (``repeat:``,
``type: lines``); this module finds the blocks and splits the lines.
"""

from __future__ import annotations

import re
from typing import Any

from parsers.labels import Locator
from parsers.mapping import FieldSpec, Repeat
from parsers.values import normalise, parse_date, text_value

_NUMBER = re.compile(r"(?:(?<=\s)|^)(?:#|N)(?=\s|$)")


def start_pattern(phrase: str) -> re.Pattern[str]:
    """A block heading phrase as a pattern over normalised text (``#``/``N`` = a number)."""
    marked = _NUMBER.sub(" 9999999 ", phrase)
    norm = normalise(re.sub(r"\([^()]*\)", " ", marked))
    number = r"(?:\d+|[ivx]+|[a-z])"
    return re.compile("^" + re.escape(norm).replace("9999999", number) + r"(?: |$)")


def block_spans(loc: Locator, repeat: Repeat, span: tuple[int, int]) -> list[tuple[int, int]]:
    """(first slot, end) of each block inside ``span``, in document order."""
    patterns = [start_pattern(p) for p in repeat.start]
    starts = [s.index for s in loc.slots[span[0]:span[1]]
              if s.norm and any(p.match(s.norm) for p in patterns)]
    section_starts = sorted(lo for lo, _ in loc.sections.values())
    out = []
    for n, lo in enumerate(starts):
        hi = starts[n + 1] if n + 1 < len(starts) else span[1]
        later = [s for s in section_starts if lo < s < hi]
        out.append((lo, later[0] if later else hi))
    return out


def split_lines(text: str | None, spec: FieldSpec, filler: tuple[str, ...]) -> list[dict]:
    """One entry per line (or ``;``-separated item), split at ``spec.split`` by position."""
    if not text:
        return []
    keys = list(spec.parts)
    out = []
    for line in re.split(r"[;\n]", text):
        if not line.strip():
            continue
        pieces = [p.strip() for p in line.split(spec.split)]
        head, rest = pieces[:len(keys) - 1], pieces[len(keys) - 1:]
        values = head + [f"{spec.split} ".join(rest)] if rest else head
        entry: dict[str, Any] = {}
        for key, raw in zip(keys, values + [None] * (len(keys) - len(values))):
            value = text_value(raw, filler)
            if spec.parts[key] == "date":
                value = parse_date(value) if value else None
            entry[key] = value
        if any(v is not None for v in entry.values()):
            out.append(entry)
    return out
