"""Tick groups: which options are ticked, and the typed text of a ticked "other".

Split from the engine because a tick group is read differently from an
answer: every option is looked up (its mark before, after or beside it),
and the engine's explain trail records how each mark was read.
"""

from __future__ import annotations

from typing import Any

from parsers.labels import Hit
from parsers.mapping import FieldSpec
from parsers.options import mark_kind, row_detail, ticked as ticked_at


class TickFields:
    """The engine's tick-group reading (mixed into ``Engine``)."""

    def _ticks(self, path: str, spec: FieldSpec, span: tuple[int, int]) -> Any:
        group = {self.values.norm_label(x) for x in spec.labels}
        ticked: list[tuple[int, str, Hit]] = []
        seen: list[str] = []  # for --explain: each option, where, and how its mark read
        for code, labels in spec.option_map().items():
            for label in labels:
                hit = self.loc.find_option(label, *span)
                if hit is not None:
                    on = ticked_at(hit.slot, self.loc.options.marks, {})
                    if on:
                        ticked.append((hit.slot.index, code, hit))
                    seen.append(f"{code}={'ticked' if on else 'not ticked'} "
                                f"({mark_kind(hit.slot, self.loc.options.marks)}, "
                                f"{hit.slot.where})")
                    break
            else:
                seen.append(f"{code}=option not found")
        note = "; ".join(seen)
        if spec.type == "choice":
            ticked.sort(key=lambda t: t[0])
            if len(ticked) > 1:
                self.warnings.append(f"more than one box ticked for {path}; the first was taken")
            if not ticked:
                self._note(path, None, None, False, note)
                return None
            _, code, hit = ticked[0]
            self._note(path, hit.label, hit.slot.where, True, note)
            if spec.detail and spec.detail.field:
                detail = self._detail(hit, spec, group)
                self.put(spec.detail.field, detail)
                self._note(spec.detail.field, hit.label, hit.slot.where, detail is not None)
            return code
        out: list[Any] = []
        for _, code, hit in ticked:
            if spec.item_key:
                other = code in spec.other or hit.label in spec.other
                name = self._detail(hit, spec, group) if other else None
                out.append({spec.item_key: name or hit.label})
            else:
                out.append(code)
        self._note(path, spec.labels[0] if spec.labels else "tick boxes",
                   ticked[0][2].slot.where if ticked else None, bool(out), note)
        return out

    def _detail(self, hit: Hit, spec: FieldSpec, group: set[str]) -> str | None:
        text = hit.rest
        prefixes = spec.detail.prefixes if spec.detail else []
        text = self.values.strip_prefixes(text, prefixes)
        value = self.values.text(text, spec)
        if value is None:
            value = self.values.text(row_detail(hit.slot, group), spec)
        return value
