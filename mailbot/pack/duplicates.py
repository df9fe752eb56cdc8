"""Marking rows that look like one event reported by two agencies.

The police and Children's Services both record the strategy discussion;
the sub-group should see that it is one event seen from two sides, not two
events. The rows are never merged (each agency's account matters, and the
guess may be wrong): each is *marked* with the other's number and a shared
group (``S1``, ``S2``…) the spreadsheet can filter on.

Two rows are taken for the same event when they come from different
agencies, name the same day (or the same month, both approximate), and
their words overlap: they share at least two words, and the shared words,
weighted by how rare each word is across the whole chronology (so "visit"
or "child" count for little and "paediatrician" or "strategy" for much),
make up at least 40% of the shorter text's weight. Rows at the same
recorded time (within half an hour) need 30%.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from itertools import combinations

from mailbot.pack.rows import Row

#: Share of the shorter text's (rarity-weighted) words two rows must have in common.
THRESHOLD = 0.4
SAME_TIME_THRESHOLD = 0.3
#: Fewer shared words than this is never the same event, however rare they are.
MIN_SHARED = 2
#: Words carrying no meaning of their own.
_STOP = set("""a an and are as at be by for from had has have he her his in into is it its of on or
our she that the their them they this to was were with who which not no nor but after before when
then than there been being also about over under all any per via""".split())
_WORD = re.compile(r"[a-z][a-z'’]+")


def _stem(word: str) -> str:
    word = word.replace("’", "'").removesuffix("'s").strip("'")
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def words_of(row: Row) -> frozenset[str]:
    text = " ".join(x for x in (row.text, row.action, row.contact) if x).lower()
    return frozenset(_stem(w) for w in _WORD.findall(text) if w not in _STOP and len(w) > 2)


def _bucket(row: Row) -> tuple | None:
    """Rows compared with each other: the same day, or the same approximate month."""
    if row.when.precision == "day":
        return ("day", row.when.start)
    if row.when.precision == "month":
        return ("month", row.when.start)
    return None


def _exact_minutes(row: Row) -> int | None:
    if row.time and ":" in row.time:
        hours, minutes = row.time.split(":")
        return int(hours) * 60 + int(minutes)
    return None


def similarity(a: frozenset[str], b: frozenset[str], weight: dict[str, float]) -> float:
    if len(a & b) < MIN_SHARED:
        return 0.0
    shared = sum(weight[w] for w in a & b)
    return shared / min(sum(weight[w] for w in a), sum(weight[w] for w in b))


def mark_duplicates(rows: list[Row]) -> int:
    """Mark same-event rows in place (``same_as``, ``group``); returns how many groups."""
    words = {id(r): words_of(r) for r in rows}
    counts: dict[str, int] = defaultdict(int)
    for ws in words.values():
        for w in ws:
            counts[w] += 1
    total = max(len(rows), 1)
    weight = {w: math.log((1 + total) / (1 + n)) + 1.0 for w, n in counts.items()}
    buckets: dict[tuple, list[Row]] = defaultdict(list)
    for row in rows:
        key = _bucket(row)
        if key is not None:
            buckets[key].append(row)
    pairs: list[tuple[Row, Row]] = []
    for bucket in buckets.values():
        if len({r.agency_key for r in bucket}) < 2:
            continue
        for a, b in _candidates(bucket, words, weight):
            threshold = THRESHOLD
            ta, tb = _exact_minutes(a), _exact_minutes(b)
            if ta is not None and tb is not None and abs(ta - tb) <= 30:
                threshold = SAME_TIME_THRESHOLD
            if similarity(words[id(a)], words[id(b)], weight) >= threshold:
                pairs.append((a, b))
    return _group(pairs)


def _candidates(bucket: list[Row], words: dict[int, frozenset[str]],
                weight: dict[str, float]) -> list[tuple[Row, Row]]:
    """Pairs of rows of different agencies worth comparing (all of them, in a small bucket)."""
    if len(bucket) <= 60:
        return [(a, b) for a, b in combinations(bucket, 2) if a.agency_key != b.agency_key]
    common = sorted(weight.values())[len(weight) // 4] if weight else 0.0
    index: dict[str, list[Row]] = defaultdict(list)
    for row in bucket:
        for w in words[id(row)]:
            if weight[w] > common:
                index[w].append(row)
    seen: set[tuple[int, int]] = set()
    out = []
    for posting in index.values():
        for a, b in combinations(posting[:200], 2):
            pair = (min(a.number, b.number), max(a.number, b.number))
            if a.agency_key != b.agency_key and pair not in seen:
                seen.add(pair)
                out.append((a, b) if a.number < b.number else (b, a))
    return out


def _group(pairs: list[tuple[Row, Row]]) -> int:
    """Link marked rows both ways and number the groups in chronology order."""
    parent: dict[int, int] = {}

    def find(n: int) -> int:
        while parent.get(n, n) != n:
            n = parent[n]
        return n

    members: dict[int, Row] = {}
    for a, b in pairs:
        a.same_as.append(b.number)
        b.same_as.append(a.number)
        members[a.number], members[b.number] = a, b
        ra, rb = find(a.number), find(b.number)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[Row]] = defaultdict(list)
    for number in sorted(members):
        groups[find(number)].append(members[number])
    for n, root in enumerate(sorted(groups), start=1):
        for row in groups[root]:
            row.group = f"S{n}"
            row.same_as.sort()
    return len(groups)
