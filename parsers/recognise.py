"""Which mapping, if any, a document is: by the title phrases each declares."""

from __future__ import annotations

from typing import Sequence

from parsers.document import Slot
from parsers.mapping import FormMapping
from parsers.values import normalise


def _has(hay: str, phrase: str) -> bool:
    norm = normalise(phrase)
    return bool(norm) and f" {norm} " in hay


def score(hay: str, mapping: FormMapping) -> int:
    """Phrases matched, or -1 when a required phrase is missing."""
    rec = mapping.recognise
    if not all(_has(hay, p) for p in rec.all) or any(_has(hay, p) for p in rec.none):
        return -1
    hits_any = sum(_has(hay, p) for p in rec.any)
    if rec.any and not hits_any:
        return -1
    return len(rec.all) + hits_any


def recognise(slots: list[Slot], mappings: Sequence[FormMapping]) -> FormMapping | None:
    """The best-matching mapping (most phrases found), or None."""
    hay = " " + " ".join(s.norm for s in slots if s.norm) + " "
    best, best_score = None, -1
    for mapping in mappings:
        s = score(hay, mapping)
        if s > best_score:
            best, best_score = mapping, s
    return best if best_score >= 0 else None
