"""Turning an answer's raw text into a typed value, per the mapping.

The mapping supplies the wording (extra filler, lines to ignore, the
phrases that mean "SCR" in a free-text decision); the contract supplies
the types.  Warnings name fields, never values.
"""

from __future__ import annotations

import re
from typing import Any

from parsers.mapping import FieldSpec, FormMapping
from parsers.repeats import split_lines
from parsers.values import (DEFAULT_FILLER, as_written, clean_text, find_email, find_phone,
                            normalise, normalise_label, parse_date, parse_time, text_value,
                            yes_no)

_PERSON = (re.compile(r"^(?P<name>.+?)\s*\((?P<date>[^()]+)\)\s*$"),
           re.compile(r"^(?P<name>.+?)\s*[,–—-]\s*(?:(?:dob|born|d\.o\.b\.?)\s*:?\s*)?"
                      r"(?P<date>.+)$", re.I))


class ValueReader:
    """Typed values for one mapping (its filler and ignored lines)."""

    def __init__(self, mapping: FormMapping) -> None:
        self.filler = DEFAULT_FILLER + tuple(f.lower() for f in mapping.filler)
        self.ignore = {normalise(x) for x in mapping.ignore_lines} - {""}

    @staticmethod
    def norm_label(label: str) -> str:
        return normalise_label(label)

    def _drop_ignored(self, raw: str) -> str:
        if not self.ignore:
            return raw
        return "\n".join(ln for ln in raw.split("\n") if normalise(ln) not in self.ignore)

    def text(self, raw: str | None, spec: FieldSpec | None = None) -> str | None:
        if raw is None:
            return None
        raw = self._drop_ignored(raw)
        if spec is not None and spec.keep_filler:
            return clean_text(raw)
        return text_value(raw, self.filler)

    def convert(self, raw: str | None, spec: FieldSpec, path: str,
                warnings: list[str]) -> Any:
        """One answer as the field's type; unreadable values warn by field name."""
        kind = spec.type
        if kind == "date_text":  # the date as written, "N/K" included (contract)
            return as_written(self._drop_ignored(raw)) if raw is not None else None
        text = self.text(raw, spec)
        if kind == "text":
            return text
        if text is None:
            return [] if kind in ("person_list", "lines") else None
        if kind == "date":
            value = parse_date(text)
            if value is None:
                warnings.append(f"could not read a full date in {path}")
            return value
        if kind == "time":
            return parse_time(text)
        if kind == "yes_no":
            return yes_no(text)
        if kind == "choice_text":
            for code, phrases in spec.choices.items():
                if self.has_phrase(text, phrases):
                    return code
            return None
        if kind == "person_list":
            return self.people(text, spec)
        if kind == "lines":
            return split_lines(text, spec, self.filler)
        return text

    @staticmethod
    def has_phrase(text: str | None, phrases: list[str]) -> bool:
        if not text:
            return False
        hay = f" {normalise(text)} "
        return any(f" {normalise(p)} " in hay for p in phrases if normalise(p))

    def people(self, text: str, spec: FieldSpec) -> list[dict]:
        """``Name, DATE`` / ``Name (DATE)`` per line or ``;``; else the whole text."""
        parts = [p.strip() for p in re.split(r"[;\n]", text) if p.strip()]
        out = []
        for part in parts:
            for pattern in _PERSON:
                m = pattern.match(part)
                if m and (date := parse_date(m["date"])):
                    out.append({spec.name_key: m["name"].strip(), spec.date_key: date})
                    break
            else:
                return [{spec.name_key: text}]
        return out

    @staticmethod
    def strip_prefixes(text: str, prefixes: list[str]) -> str:
        """Drop a leading prompt such as ``Please state:`` from typed detail."""
        text = text.strip()
        for prefix in prefixes:
            pat = r"\W*".join(re.escape(w) for w in normalise(prefix).split())
            m = re.match(rf"^\s*{pat}\s*[:\-–—]?", text, re.I)
            if m:
                return text[m.end():]
        return text

    @staticmethod
    def extract(value: Any, what: str | None) -> Any:
        if what == "phone":
            return find_phone(value)
        if what == "email":
            return find_email(value)
        return value
