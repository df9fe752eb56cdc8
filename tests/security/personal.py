"""The child and family personal data the samples hold, to look for where it must never be.

Collected from every expected record in the sample corpus (the forms' and
the emails' ``*.expected.json``) and from the record the bot-state seed
loads: names, dates of birth (as ISO, ``dd/mm/yyyy`` and ``d Month yyyy``),
addresses and their street lines and postcodes, family members named in
free text, and every sentence of the free-text answers about the child.
Values that also occur in the board's public configuration (a county, an
agency) are not personal data and are left out.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from functools import cache
from pathlib import Path

from tests.conftest import REPO, SAMPLES

_NAME_PAIR = re.compile(r"\b[A-Z][a-z]+(?:[ -][A-Z][a-z]+)+\b")
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b")
#: Free-text answers about the child and family (their sentences are checked whole).
_FREE_TEXT = ("case_outline", "other_information", "significant_adults", "family_known", "involvement",
              "concerns", "overview", "text", "event", "period_of_interest")
_FAMILY_TEXT = ("significant_adults", "family_known", "family_present")


def _dates(iso: str) -> set[str]:
    try:
        d = dt.date.fromisoformat(iso)
    except ValueError:
        return set()
    return {iso, f"{d:%d/%m/%Y}", f"{d.day} {d:%B %Y}"}


def _person(p: dict, out: set[str]) -> None:
    # Whole names only: the fictional professionals share surnames with families.
    for key in ("full_name", "name", "other_names"):
        v = p.get(key)
        if isinstance(v, str) and v.strip():
            out.update(_NAME_PAIR.findall(v))
            if re.fullmatch(r"[\w'’ -]+", v.strip()) and len(v.strip()) >= 4:
                out.add(v.strip())
    first, last = p.get("first_name"), p.get("surname")
    if isinstance(first, str) and isinstance(last, str):
        out.add(f"{first.strip()} {last.strip()}")
    for key in ("address", "previous_address"):
        v = p.get(key)
        if isinstance(v, str) and v.strip():
            out.add(" ".join(v.split()))
            out.update(line.strip() for line in v.splitlines() if re.search(r"\d", line))
            out.update(_POSTCODE.findall(v))
    if isinstance(p.get("date_of_birth"), str):
        out |= _dates(p["date_of_birth"])


def _from_record(rec: dict, out: set[str]) -> None:
    if isinstance(rec.get("child"), dict):
        _person(rec["child"], out)
    for p in [*(rec.get("parents") or []), *(rec.get("siblings") or [])]:
        if isinstance(p, dict):
            _person(p, out)

    def walk(obj: object) -> None:
        if isinstance(obj, dict):
            for key, value in obj.items():
                if isinstance(value, str) and key in _FAMILY_TEXT:
                    out.update(_NAME_PAIR.findall(value))
                if isinstance(value, str) and key in _FREE_TEXT:
                    out.update(s.strip() for s in re.split(r"(?<=[.;])\s+|\n+", value) if len(s.strip()) >= 25)
                walk(value)
        elif isinstance(obj, list):
            for item in obj:
                walk(item)

    walk(rec)


def _public_text() -> str:
    """What the board publishes anyway: its config, the shipped templates, form labels."""
    parts = [p.read_text("utf-8", errors="replace") for p in (REPO / "config").rglob("*.yaml")]
    parts += [p.read_text("utf-8", errors="replace") for p in (REPO / "templates" / "email").rglob("*.*")]
    return "\n".join(parts).lower()


@cache
def personal_values() -> frozenset[str]:
    """Every personal value of the samples, at least 4 characters long."""
    out: set[str] = set()
    files = sorted(SAMPLES.rglob("*expected*.json"))
    state = json.loads((SAMPLES / "emails" / "bot-state.json").read_text("utf-8"))
    files.append(SAMPLES / state["case"]["referral_record"])
    for path in files:
        data = json.loads(path.read_text("utf-8"))
        if isinstance(data, dict):
            _from_record(data, out)
    public = _public_text()
    return frozenset(v for v in out if len(v) >= 4 and v.lower() not in public)


def _whole_word_at(text: str, needle: str) -> bool:
    start = text.find(needle)
    while start >= 0:
        end = start + len(needle)
        if (start == 0 or not text[start - 1].isalnum()) and (end == len(text) or not text[end].isalnum()):
            return True
        start = text.find(needle, start + 1)
    return False


def found_in(text: str, values: frozenset[str] | None = None) -> list[str]:
    """The personal values in ``text`` (case-insensitive, as whole words)."""
    lowered = text.lower()
    return [v for v in sorted(values if values is not None else personal_values())
            if _whole_word_at(lowered, v.lower())]


def sample_path(relative: str) -> Path:
    return SAMPLES / relative
