"""Reading single values the way a careful business manager would.

Forms are British and filled by hand: dates come as ``3/4/26`` or
``3rd April 2026``, blanks as ``N/K`` or ``-``, ticks as check boxes or a
typed ``X``.  Every rule here follows shared/spec/records.md; nothing here
knows any board's wording (that lives in the form mappings).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata

#: Values that mean "nothing written" for a text field (compared normalised).
DEFAULT_FILLER: tuple[str, ...] = (
    "please state", "n/a", "na", "-", "--", "n/k", "nk", "not known", "not applicable",
)
#: Word's placeholder text for empty content controls.
PLACEHOLDERS = ("click or tap here to enter text", "click here to enter text",
                "click or tap to enter a date", "click here to enter a date")

TICK_MARKS = frozenset({"x", "✓", "✔", "✗", "×", "☒", "☑", "yes", "y", "\uf0fc", "\uf0fb",
                        "\uf078", "\uf0fe", "✘", "🗸"})
UNTICK_MARKS = frozenset({"", "☐", "no", "n", "\uf0a8", "\uf06f", "□"})

_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_NUMERIC = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2}|\d{4})$")
#: A PDF's text may lose the space between month and day ("December25, 2025").
_DAY_MONTH = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s*(?:of\s+)?([a-z]+)\.?,?\s*(\d{2}|\d{4})$")
_MONTH_DAY = re.compile(r"^([a-z]+)\.?\s*(\d{1,2})(?:st|nd|rd|th)?,?\s*(\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


#: A word; a dotted abbreviation (``D.O.B.``, ``e.g.``) counts as one word.
_TOKEN = re.compile(r"(?:[^\W\d_]\.){2,}|[\w&]+(?:['’‘][\w&]+)*")
_GLUED = re.compile(r"(?<=\w)\((\w{1,3})\)")
_DROPPED = ("'", "’", "‘", ".")  # apostrophes and dots inside a token


def tokens(text: str) -> list[re.Match[str]]:
    """Word tokens of ``text`` with their positions (apostrophes inside words kept)."""
    return list(_TOKEN.finditer(text))


def word_end(text: str, n: int) -> int:
    """Where the ``n``-th word of ``text`` ends (only the first ``n`` words are scanned)."""
    end = i = 0
    for m in _TOKEN.finditer(text):
        a, b = m.start(), m.end()
        if 0 < a - 1 and text[a - 1] == "(" and text[a - 2:a - 1].isalnum() \
                and text[b:b + 1] == ")" and b - a <= 3:
            end = b + 1  # "Parent(s)": the "(s)" belongs to the word before
            if i == n:
                return end
            continue
        i += 1
        if i == n + 1:
            return end
        end = b
    return end


def normalise(text: str) -> str:
    """Lower-case words joined by single spaces: punctuation and quotes dropped.

    Used for comparing wording only, never for values.  ``Child’s date of
    birth:`` and ``CHILDS DATE OF BIRTH`` both give ``childs date of birth``.

    Lower-cased and stripped once, after the join (a third of the time of
    doing it token by token): ``str.lower`` looks at neighbours only for a
    final sigma, and a joining space ends its look-around as the token's
    own edge would.
    """
    if "(" in text:  # "Parent(s)" is the word "Parents"; a spaced "(hint)" stays apart
        text = _GLUED.sub(r"\1", text)
    out = " ".join(_TOKEN.findall(text)).lower()
    for mark in _DROPPED:
        if mark in out:
            out = out.replace(mark, "")
    return out


_PARENS = re.compile(r"\([^()]*\)")


@functools.lru_cache(maxsize=4096)
def normalise_label(label: str) -> str:
    """A mapping label normalised, its ``(please tick)``-style hints dropped.

    Cached: labels come from the mappings (a few hundred), and the table
    and label lookups ask for the same ones thousands of times a form.
    """
    label = _GLUED.sub(r"\1", label) if "(" in label else label
    return normalise(_PARENS.sub(" ", label)) or normalise(label)


def clean_text(text: str | None) -> str | None:
    """Trim each line and the whole; ``None`` for nothing left."""
    if text is None:
        return None
    lines = [ln.strip() for ln in text.replace("\r", "\n").split("\n")]
    out = "\n".join(lines).strip("\n").strip()
    out = re.sub(r"\n{3,}", "\n\n", out)
    return out or None


@functools.lru_cache(maxsize=64)
def _filler_norms(filler: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Each filler wording with its normalised form (the tuples are the mappings')."""
    return tuple((f, normalise(f)) for f in filler)


def is_filler(text: str, filler: tuple[str, ...] = DEFAULT_FILLER) -> bool:
    """True for the usual ways of writing "nothing" (N/K, n/a, -, placeholders)."""
    stripped = text.strip().lower().rstrip(":.")
    norm = normalise(text)
    for f, f_norm in _filler_norms(filler):
        if stripped == f or (f_norm and norm == f_norm):
            return True
    return not norm and stripped in {"", "-", "--", "—", "–", "/"} or norm in PLACEHOLDERS


def as_written(text: str | None) -> str | None:
    """A cell as written (filler kept, e.g. ``N/K``); Word's placeholder text is blank."""
    cleaned = clean_text(text)
    return None if cleaned is None or normalise(cleaned) in PLACEHOLDERS else cleaned


def text_value(text: str | None, filler: tuple[str, ...] = DEFAULT_FILLER) -> str | None:
    """A text field: trimmed, filler and placeholders give ``None``."""
    cleaned = clean_text(text)
    if cleaned is None or is_filler(cleaned, filler):
        return None
    return cleaned


def _year(raw: str, today: dt.date) -> int:
    if len(raw) == 4:
        return int(raw)
    yy = int(raw)
    return 2000 + yy if yy <= today.year % 100 else 1900 + yy


def _month(name: str) -> int | None:
    return _MONTHS.get(name[:3]) if len(name) >= 3 else None


def parse_date(text: str | None, today: dt.date | None = None) -> dt.date | None:
    """A British date (day first) as a ``date``; ``None`` when not a full date."""
    if not text:
        return None
    today = today or dt.date.today()
    s = " ".join(text.strip().lower().replace(",", " ,").split()).replace(" ,", ",")
    try:
        if m := _NUMERIC.match(s):
            return dt.date(_year(m[3], today), int(m[2]), int(m[1]))
        if m := _ISO.match(s):
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if (m := _DAY_MONTH.match(s)) and (mon := _month(m[2])):
            return dt.date(_year(m[3], today), mon, int(m[1]))
        if (m := _MONTH_DAY.match(s)) and (mon := _month(m[1])):
            return dt.date(int(m[3]), mon, int(m[2]))
    except ValueError:
        return None
    return None


_TIME = re.compile(r"^(\d{1,2})(?:[:.]?(\d{2}))?\s*(hrs|hours|h|am|pm|a\.m\.|p\.m\.)?$")


def parse_time(text: str | None) -> str | None:
    """``HH:MM`` 24 h, ``am``/``pm`` when only that is known, else ``None``."""
    if not text:
        return None
    s = text.strip().lower().replace(" ", "")
    if s in {"am", "a.m.", "morning"}:
        return "am"
    if s in {"pm", "p.m.", "afternoon", "evening"}:
        return "pm"
    m = _TIME.match(s)
    if not m:
        return None
    hour, minute, suffix = int(m[1]), int(m[2] or 0), (m[3] or "").replace(".", "")
    if m[2] is None and suffix not in {"am", "pm"}:
        return None
    if suffix == "pm" and hour < 12:
        hour += 12
    if suffix == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        return None
    return f"{hour:02d}:{minute:02d}"


def is_tick_mark(text: str) -> bool:
    """A typed mark that counts as a tick (``X``, ``✓``, ``Yes``…)."""
    return text.strip().lower().rstrip(".") in TICK_MARKS


def yes_no(text: str | None, yes: tuple[str, ...] = ("yes", "y", "true"),
           no: tuple[str, ...] = ("no", "n", "false")) -> bool | None:
    """Yes/no by the first word of the answer (``Yes – known since…`` is yes)."""
    if not text:
        return None
    words = normalise(text).split()
    if not words:
        return None
    first = words[0]
    if first in yes:
        return True
    if first in no:
        return False
    return None


_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?:\+44\s?|\(?0)[\d()\s-]{8,}\d")


def find_email(text: str | None) -> str | None:
    """The first e-mail address inside free text, as written."""
    m = _EMAIL.search(text or "")
    return m.group(0) if m else None


def find_phone(text: str | None) -> str | None:
    """The first UK phone number inside free text, as written."""
    m = _PHONE.search(text or "")
    if not m:
        return None
    found = m.group(0).strip()
    if found.count("(") != found.count(")"):
        found = found.lstrip("(") if found.startswith("(") and ")" not in found else found
    return found
