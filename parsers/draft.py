"""A first form mapping drafted from a board's blank form, for an admin to correct.

Every printed line of the blank form is compared with the wordings the
shipped mappings use for each contract field (and the contract's own
words); the best match above a threshold becomes the field's label.
Option lists after a question become tick groups, numbered headings
("Service 1", "Service 2") a repeated block, header rows a table.  A label
printed more than once gets the section of the heading above it.  The
result is a dict the caller writes as YAML; it loads as a mapping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from parsers.document import Slot
from parsers.draft_words import column_wordings, field_wordings, option_wordings, score
from parsers.mapping import FormMapping
from parsers.mapping_check import contract_annotation
from parsers.ticks import cell_mark, split_mark
from parsers.values import normalise

_NUMBERED = re.compile(r"^(?P<head>.*?\S)\s+(?P<n>\d{1,2})\s*:?$")
#: A heading: numbered ("2."), "Section …"/"Part …", or in capitals.
_HEADING = re.compile(r"^(?:\d+[.)]|(?i:section|part)\b|[A-Z][A-Z ’'&/-]{3,}$)")
THRESHOLD = 0.55
#: How well a line with no box must read as one of a tick group's options.
UNBOXED = 0.5
#: The least an option line must share with a code's wordings to be matched to it.
OPTION_MIN = 0.2


@dataclass
class Line:
    """A printed line of the blank form and where it stands."""

    text: str
    norm: str
    slot: Slot
    option: bool  # carries a box: an option of a tick group


def _lines(slots: list[Slot]) -> list[Line]:
    out = []
    for slot in slots:
        for part in slot.text.split("\n"):
            mark, bare = split_mark(part)  # a blank form: a trailing "( )" is a box too
            boxed = mark is not None or (bool(slot.boxes) and bool(bare.strip()))
            norm = normalise(bare)
            if norm and cell_mark(part) is None:
                out.append(Line(bare.strip(), norm, slot, boxed or _box_beside(slot)))
    return out


def _box_beside(slot: Slot) -> bool:
    """A table row whose other cell is an empty box (a tick column)."""
    if slot.table is None:
        return False
    row = slot.table.rows[slot.row]
    others = [c for c in row if c is not slot.cell]
    return bool(others) and all(c.boxes or cell_mark(c.text) is False for c in others)


def _best_code(norm: str, codes: dict[str, list[str]]) -> tuple[float, str]:
    """The code whose wordings match a line best, and how well."""
    return max(((max(score(norm, w) for w in ws), code) for code, ws in codes.items()),
               default=(0.0, ""))


def _section_name(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", normalise(text)).strip("_")[:30] or "section"


class Drafter:
    """Builds the mapping dict for one blank form."""

    def __init__(self, slots: list[Slot], form_type: str, known: list[FormMapping]) -> None:
        self.lines = _lines(slots)
        self.form_type = form_type
        self.words = field_wordings(form_type, known)
        self.options = option_wordings(form_type, known)
        self.sections: dict[str, list[str]] = {}
        self.fields: dict[str, dict[str, Any]] = {}
        self.used: set[int] = set()
        self.known = known
        self.order: dict[str, int] = {}

    def heading_before(self, i: int) -> str | None:
        for line in reversed(self.lines[:i]):
            if not line.option and len(line.norm.split()) <= 8 and _HEADING.match(line.text):
                name = _section_name(line.text)
                self.sections.setdefault(name, [line.text])
                return name
        return None

    def run(self) -> None:
        self._blocks()
        self._tables()
        pairs = sorted(((score(line.norm, w), i, path) for path, wordings in self.words.items()
                        for i, line in enumerate(self.lines) if not line.option
                        and i not in self.used for w in wordings), reverse=True)
        for value, i, path in pairs:
            if value < THRESHOLD or path in self.fields or i in self.used:
                continue
            spec = self._field(path, i)
            if spec is not None:
                self.used.add(i)
                self.fields[path] = spec
                self.order[path] = i
        self.fields = dict(sorted(self.fields.items(), key=lambda kv: self.order.get(kv[0], -1)))

    def _field(self, path: str, i: int) -> dict[str, Any] | None:
        line = self.lines[i]
        spec: dict[str, Any] = {"labels": [line.text.rstrip(":").strip()]}
        if sum(other.norm == line.norm for other in self.lines) > 1:
            section = self.heading_before(i)
            if section:
                spec["section"] = section
        ann = repr(contract_annotation(self.form_type, path))
        if "datetime.date" in ann:
            spec["type"] = "date"
        elif "bool" in ann:
            spec["type"] = "yes_no"
        elif "Literal" in ann or path in self.options:
            options = self._options(path, i)
            if not options:
                return None  # a tick question whose options were not found: left to the admin
            spec["type"] = "tick_list" if "list" in ann else "choice"
            spec["options"] = options
            if path == "agencies":
                spec["item_key"] = "agency"
        elif "list" in ann:
            if "Sibling" not in ann:
                return None  # a list of entries with no table or blocks found
            spec["type"] = "person_list"
        return spec

    def _options(self, path: str, i: int) -> dict[str, list[str]] | list[str]:
        """The option lines right after a question, each matched to a contract code."""
        found = []
        for line in self.lines[i + 1:]:
            if not line.option:
                break
            found.append(line.text)
        codes = self.options.get(path, {})
        if not codes:  # free options (agencies): the printed wordings are the values
            return [f.rstrip(":") for f in found]
        if not found:
            found = self._unboxed(i, codes)
        out: dict[str, list[str]] = {}
        for text in found:
            best = _best_code(normalise(text), codes)
            if best[0] >= OPTION_MIN and best[1] not in out:  # the best of a few codes
                out[best[1]] = [text]
        return out

    def _unboxed(self, i: int, codes: dict[str, list[str]]) -> list[str]:
        """Option lines printed with no box (agencies type a mark beside them).

        Without a box only the wording tells an option from the next
        question: each line must read a little as one of the group's codes
        (as a boxed option must), and one of them well.
        """
        run: list[int] = []
        best = 0.0
        for j in range(i + 1, len(self.lines)):
            value = _best_code(self.lines[j].norm, codes)[0]
            if j in self.used or value < OPTION_MIN or self.lines[j].text.rstrip()[-1:] in "?:":
                break
            run.append(j)
            best = max(best, value)
        if len(run) < 2 or best < UNBOXED:
            return []
        self.used.update(run)
        return [self.lines[j].text for j in run]

    def _blocks(self) -> None:
        """Numbered headings printed twice or more: a repeated block of agency questions."""
        heads: dict[str, list[int]] = {}
        for i, line in enumerate(self.lines):
            m = _NUMBERED.match(line.text)
            if m and not line.option:
                heads.setdefault(m["head"], []).append(i)
        for head, starts in heads.items():
            if len(starts) < 2 or "agencies" not in self.words:
                continue
            first, end = starts[0], starts[1]
            sub_words = field_wordings("agencies", [])
            fields: dict[str, Any] = {}
            for key, wordings in sub_words.items():
                best = max(((score(self.lines[j].norm, w), j) for j in range(first + 1, end)
                            for w in wordings), default=(0.0, -1))
                if best[0] >= THRESHOLD:
                    fields[key] = {"labels": [self.lines[best[1]].text.rstrip(":").strip()]}
            if fields:
                self.fields["agencies"] = {"repeat": {"start": [f"{head} #"], "fields": fields}}
                self.used.update(j for s in starts for j in range(s, s + end - first))
                return

    def _tables(self) -> None:
        """A header row naming two or more columns of a list field: a repeating table."""
        done: set[int] = set()
        for i, line in enumerate(self.lines):
            slot = line.slot
            if slot.table is None or (id(slot.table), slot.row) in done:
                continue
            done.add((id(slot.table), slot.row))  # type: ignore[arg-type]
            cells = [c.text.strip() for c in dict.fromkeys(slot.table.rows[slot.row])]
            for path, columns in column_wordings(self.form_type, self.known).items():
                if path in self.fields:
                    continue
                found: dict[str, Any] = {}
                for key, wordings in columns.items():
                    best = max(((score(normalise(c), w), c) for c in cells if c
                                for w in wordings), default=(0.0, ""))
                    if best[0] >= THRESHOLD and all(best[1] != v["labels"][0]
                                                     for v in found.values()):
                        found[key] = {"labels": [best[1]]}
                        ann = repr(contract_annotation(self.form_type, f"{path}.{key}"))
                        if "datetime.date" in ann:
                            found[key]["type"] = "date"
                if len(found) >= 2:
                    self.fields[path] = {"type": "table", "columns": found}
                    self.used.update(j for j, other in enumerate(self.lines)
                                     if other.slot.table is slot.table
                                     and other.slot.row == slot.row)
                    break


def draft(slots: list[Slot], form_type: str, form_id: str, known: list[FormMapping],
          blank_form: str | None = None) -> dict[str, Any]:
    """The drafted mapping as a plain dict (YAML-ready)."""
    d = Drafter(slots, form_type, known)
    d.run()
    titles = [ln.text for ln in d.lines[:2]]
    out: dict[str, Any] = {"id": form_id, "form_type": form_type,
                           "recognise": {"all": titles}}
    if blank_form:
        out["blank_form"] = blank_form
    if form_type == "referral":
        out["set"] = {"review_requested": "scr"}
    if d.sections:
        out["sections"] = d.sections
    out["fields"] = d.fields
    return out
