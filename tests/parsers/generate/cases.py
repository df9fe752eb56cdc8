"""Which forms to generate: every mapping x layout, each style alone and all combined.

A plan is deterministic for its seed.  Styles alone (one tick style, one
text style, one separator, one date form for the whole form) make a
failing style easy to see; ``mixed`` combines them question by question.
"""

from __future__ import annotations

import itertools
import random

from parsers.mapping import FormMapping
from tests.parsers.generate import wordxml as wx
from tests.parsers.generate.build import Case
from tests.parsers.generate.fill import DATE_STYLES
from tests.parsers.generate.layouts import LAYOUTS, SEPARATORS


def _variants() -> list[dict]:
    """One style dimension alone per variant, plus fully combined ones."""
    out: list[dict] = [{}] * 4
    out += [{"text_style": s} for s in wx.TEXT_STYLES]
    out += [{"tick_style": s} for s in wx.TICK_STYLES]
    out += [{"sep": s} for s in SEPARATORS]
    out += [{"date_style": s} for s in DATE_STYLES]
    return out


def plan(mappings: list[FormMapping], count: int, seed: int) -> list[tuple[FormMapping, Case]]:
    """``count`` (mapping, case) pairs cycling evenly over mappings, layouts and styles."""
    rng = random.Random(seed)
    combos = list(itertools.product(mappings, LAYOUTS, _variants()))
    rng.shuffle(combos)
    out = []
    for n in range(count):
        mapping, layout, variant = combos[n % len(combos)]
        out.append((mapping, Case(layout=layout, seed=seed * 100_000 + n, **variant)))
    return out
