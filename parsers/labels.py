"""Finding a label in a document and the answer that belongs to it.

Forms put answers in three places: after the label in the same cell or
line (``Name: Jane``), in the cell to the right, or below (the next row of
a one-column table, or the lines after a label paragraph).  This module
knows those layouts; which wording is a label is always the mapping's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from parsers.document import Slot
from parsers.mapping import FormMapping
from parsers.options import OptionIndex
from parsers.printed import Printed
from parsers.values import normalise_label, word_end

_LEAD = re.compile(r"^(?:\s|\([^()]*\)|[:?.\-–—=>)\]*])*")
#: Text straight after a label that reads as an answer rather than more of the
#: question: it starts with a capital or a digit and holds no ``?``, no hint in
#: brackets (only round something with a digit: ``Sam Doe (3/4/15)``) and no ``:``
#: but before a number or an address (``Tel: 01632 960970``); or it is an e-mail address.
_BARE_ANSWER = re.compile(r"^(?:[^\W_a-z](?:[^:?()]|\([^():?]*\d[^():?]*\)"
                          r"|:(?=\s*[\d+]|\s*[\w.+'-]+@))*"
                          r"|[\w.+'-]+@[\w-]+(?:\.[\w-]+)+)$")
#: The number placeholder of a repeated block's heading ("Service #").
_NUMBERED = re.compile(r"(?:(?<=\s)|^)(?:#|N)(?=\s|$)")
_SEPARATORS = (":", "\n", "\t", "?", "–", "—", "-", ")", "=")


@dataclass(slots=True)
class Hit:
    """A label found: the slot, the label as written, what follows it."""

    slot: Slot
    label: str
    rest: str
    loose: bool = False
    #: How the answer was told from the label, for --explain ("weak" when it was a guess).
    rule: str = "after the label"


def _after_label(slot: Slot, label_norm: str, loose: bool | str = False,
                 printed: int = 0, owner: int = 0) -> Hit | None:
    """Match ``label_norm`` at the start of a slot; the text after it, if any.

    ``loose`` accepts a label that is only the start of a longer prompt
    (``Please give a brief summary…``), for answers that sit elsewhere;
    ``"para"`` accepts it only for a paragraph with no colon after the label.
    ``printed`` is how many words at the slot's start the blank form prints:
    those are never answer, and whatever follows them is, separator or not.
    ``owner`` is the word count of the longest known label at the start: a
    shorter label (``Name``) does not own a slot a longer one (``Name of
    Agency``) starts.
    """
    norm = slot.norm
    if not norm.startswith(label_norm) or (len(norm) > len(label_norm)
                                           and norm[len(label_norm)] != " "):
        return None
    count = label_norm.count(" ") + 1
    if owner > count:
        return None
    end = word_end(slot.text, count)
    label = slot.text[:end].strip()
    if printed >= count:
        rest = slot.text[word_end(slot.text, printed):]
        answer = rest[len(_LEAD.match(rest).group()):]  # type: ignore[union-attr]
        if answer.strip():
            return Hit(slot, label, answer, rule="after the blank form's printed text")
        return Hit(slot, label, "", loose=True)
    rest = slot.text[end:]
    lead = _LEAD.match(rest).group()  # type: ignore[union-attr]
    answer = rest[len(lead):]
    if answer.strip() and slot.paragraph is not None and slot.text.rstrip()[-1:] in ":?":
        return Hit(slot, slot.text.strip(), "", loose=True)  # a question: answer below
    if answer.strip() and not any(sep in lead for sep in _SEPARATORS) and "  " not in lead:
        first, _, after = rest.partition("\n")
        # "Your name Jane Doe", "Address 1 Road<break>Town": no separator at all.  The
        # first line alone decides (a prompt's second line reads like an answer too), and
        # it wins over a mapping's ``answer: below``: agencies type where they please.
        if owner == count and _BARE_ANSWER.match(answer.partition("\n")[0].strip()):
            return Hit(slot, label, answer, rule="after the label, no separator (weak)")
        if loose is True:
            return Hit(slot, label, rest, loose=True)
        if slot.cell is not None and after:  # a prompt line, the answer below it
            return Hit(slot, label + first, after, rule="below the prompt line")
        if loose == "para" and slot.paragraph is not None and ":" not in rest:
            return Hit(slot, label, rest, loose=True)
        return None  # "Name of Agency" is not the label "Name"
    return Hit(slot, label, answer)


class Locator:
    """Label and answer lookup over one document for one mapping."""

    def __init__(self, slots: list[Slot], mapping: FormMapping,
                 printed: Printed | None = None) -> None:
        self.slots = slots
        self.printed = printed
        self.cell_slots = {id(s.cell): s for s in slots if s.cell is not None}
        self.by_first: dict[str, list[Slot]] = {}
        for slot in self.slots:
            if slot.norm:
                self.by_first.setdefault(slot.norm.split(" ", 1)[0], []).append(slot)
        labels = list(mapping.stop_labels)
        for spec in mapping.fields.values():
            labels += spec.labels
            for option_labels in spec.option_map().values():
                labels += option_labels
            for item in spec.items:
                for sub in item.fields.values():
                    labels += sub.labels
            if spec.repeat:
                labels += [_NUMBERED.sub(" ", p) for p in spec.repeat.start]
                for sub in spec.repeat.fields.values():
                    labels += sub.labels
                    for option_labels in sub.option_map().values():
                        labels += option_labels
        for phrases in mapping.sections.values():
            labels += phrases
        self.stops = {normalise_label(x) for x in labels} - {""}
        self.stops_by_first: dict[str, list[int]] = {}
        for stop in self.stops:
            self.stops_by_first.setdefault(stop.split(" ", 1)[0], []).append(stop.count(" ") + 1)
        self._ctx: dict[int, tuple[int, int]] = {}
        self.options = OptionIndex(slots)
        self.sections = self._sections(mapping)

    def ctx(self, slot: Slot) -> tuple[int, int]:
        """(printed words, longest known label's words) at the start of a slot."""
        found = self._ctx.get(slot.index)
        if found is None:
            norm = slot.norm
            words = norm.split(" ")
            owner = max((n for n in self.stops_by_first.get(words[0], ())
                         if n <= len(words) and " ".join(words[:n]) in self.stops), default=0)
            printed = self.printed.prefix(norm) if self.printed is not None else 0
            found = self._ctx[slot.index] = (printed, owner)
        return found

    def match(self, slot: Slot, norm: str, loose: bool | str = False) -> Hit | None:
        return _after_label(slot, norm, loose, *self.ctx(slot))

    def is_printed(self, slot: Slot) -> bool:
        """A slot the blank form prints (in whole, or as its start)."""
        return self.printed is not None and bool(slot.norm) and self.ctx(slot)[0] > 0

    def _sections(self, mapping: FormMapping) -> dict[str, tuple[int, int]]:
        starts: dict[str, int] = {}
        for name, phrases in mapping.sections.items():
            found = [h.slot.index for p in phrases
                     if (h := self.find_one(p, 0, len(self.slots), loose=True))]
            if found:
                starts[name] = min(found)
        ordered = sorted(starts.values())
        out = {}
        for name, start in starts.items():
            later = [s for s in ordered if s > start]
            out[name] = (start, later[0] if later else len(self.slots))
        return out

    def span(self, section: str | None) -> tuple[int, int] | None:
        """Slot range of a section; whole document for None; None if absent."""
        if section is None:
            return 0, len(self.slots)
        return self.sections.get(section)

    def find_one(self, label: str, lo: int, hi: int, loose: bool | str = False) -> Hit | None:
        norm = normalise_label(label)
        if not norm:
            return None
        for slot in self.by_first.get(norm.split(" ", 1)[0], ()):
            if lo <= slot.index < hi and (hit := self.match(slot, norm, loose)):
                return hit
        return None

    def find_all(self, label: str, lo: int, hi: int, loose: bool | str = False) -> list[Hit]:
        norm = normalise_label(label)
        if not norm:
            return []
        return [hit for slot in self.by_first.get(norm.split(" ", 1)[0], ())
                if lo <= slot.index < hi and (hit := self.match(slot, norm, loose))]

    def find_option(self, label: str, lo: int, hi: int) -> Hit | None:
        """An option's line or cell, its tick mark (before or after it) set aside."""
        norm = normalise_label(label)
        if not norm:
            return None
        first = norm.split(" ", 1)[0]
        marked = self.options.marks
        candidates = sorted([*(s for s in self.by_first.get(first, ()) if s.index not in marked),
                             *self.options.by_first.get(first, ())], key=lambda s: s.index)
        for slot in candidates:
            if lo <= slot.index < hi and (hit := _after_label(slot, norm, True)):
                return hit
        return None

    def is_label(self, slot: Slot) -> bool:
        """A known label, or (with a blank form) a line the blank form prints."""
        return self.ctx(slot)[1] > 0 or self.is_printed(slot)

    # --- answers -----------------------------------------------------------

    def answer(self, hit: Hit, mode: str = "auto", hi: int | None = None
               ) -> tuple[str | None, str]:
        """The answer text for a label hit and where it was found (lines below stop at ``hi``)."""
        slot = hit.slot
        if slot.paragraph is not None:
            return self._paragraph_answer(hit, hi if hi is not None else len(self.slots))
        if hit.rest.strip() and mode in ("auto", "same") and not hit.loose:
            return hit.rest, f"{slot.where} ({hit.rule})"
        if mode in ("auto", "right"):
            right = self.right_of(slot)
            if right is not None:
                return (None if self.is_label(right) else right.text), \
                    f"{right.where} (cell to the right)"
        if mode in ("auto", "below"):
            below = self.below(slot)
            if below is not None:
                return (None if self.is_label(below) else below.text), f"{below.where} (cell below)"
        return None, slot.where

    def right_of(self, slot: Slot) -> Slot | None:
        row = slot.table.rows[slot.row]  # type: ignore[union-attr]
        for cell in row[slot.col + 1:]:
            if cell is not slot.cell:
                return self._slot_of(cell)
        return None

    def below(self, slot: Slot) -> Slot | None:
        rows = slot.table.rows  # type: ignore[union-attr]
        for row in rows[slot.row + 1:]:
            if slot.col < len(row) and row[slot.col] is not slot.cell:
                return self._slot_of(row[slot.col])
        return None

    def _slot_of(self, cell: object) -> Slot | None:
        return self.cell_slots.get(id(cell))

    def _paragraph_answer(self, hit: Hit, hi: int) -> tuple[str | None, str]:
        """Text after the label, then the following lines up to the next label.

        An answer begun on the label's line stops at a blank line; an answer
        that starts on the next line runs (blank lines kept) to the next
        label, heading or table.
        """
        inline = bool(hit.rest.strip()) and not hit.loose
        lines = [hit.rest] if inline else []
        where = hit.slot.where
        for slot in self.slots[hit.slot.index + 1:hi]:
            if slot.paragraph is None:
                if not inline and not any(x.strip() for x in lines):
                    cells = {id(c) for row in slot.table.rows for c in row}  # type: ignore
                    if len(cells) == 1:
                        return slot.text, f"{slot.where} (one-cell box below)"
                break
            if self.is_label(slot) or (inline and not slot.text.strip()):
                break
            lines.append(slot.text)
        rule = hit.rule if inline else "lines below"
        return "\n".join(lines), f"{where} ({rule})"
