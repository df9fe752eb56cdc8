"""What the blank form prints: text that is never an answer.

Boards send agencies their blank form; whatever stands on it (questions
of several sentences, hints, guidance, option lists) is printed, wherever
it turns up in a filled copy.  A mapping names the blank form
(``blank_form:``), and the reader then knows exactly where a question's
printed words end and the agency's typing begins: ``Your name Jane Doe``
with no colon, ``If so, please name these: Yes – …`` after a question.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from mailbot.resources import resolve_config_path
from parsers.document import flatten
from parsers.source import read_document
from parsers.ticks import cell_mark, split_mark
from parsers.values import is_filler, normalise

log = logging.getLogger("mailbot.parsers")


class Printed:
    """The normalised lines of a blank form, for longest-prefix lookups."""

    def __init__(self, lines: set[str]) -> None:
        self.by_first: dict[str, list[str]] = {}
        for line in sorted(lines, key=len, reverse=True):
            self.by_first.setdefault(line.split(" ", 1)[0], []).append(line)

    def prefix(self, norm: str) -> int:
        """Word count of the longest printed line that ``norm`` starts with (0: none)."""
        for line in self.by_first.get(norm.split(" ", 1)[0], ()):
            if norm == line or norm.startswith(line + " "):
                return line.count(" ") + 1
        return 0

    def __contains__(self, norm: str) -> bool:
        return norm in self.by_first.get(norm.split(" ", 1)[0], ())


def printed_lines(data: bytes, filename: str) -> Printed:
    """Every printed line of a blank form (marks, filler and blanks left out)."""
    doc, _ = read_document(data, filename)
    lines: set[str] = set()
    for slot in flatten(doc):
        for line in slot.text.split("\n"):
            if cell_mark(line) is not None or is_filler(line):
                continue
            _, bare = split_mark(line, trailing=False)
            norm = normalise(bare)
            if norm:
                lines.add(norm)
    return Printed(lines)


@functools.lru_cache(maxsize=32)
def _load(path: str, mtime: float) -> Printed:
    return printed_lines(Path(path).read_bytes(), Path(path).name)


def blank_form_path(blank_form: str, source: str | None) -> Path:
    """The blank form's path; relative to the mapping file that names it (see ``resolve_config_path``)."""
    if source is None:
        return Path(blank_form)
    return resolve_config_path(blank_form, Path(source))


def printed_for(blank_form: str | None, source: str | None) -> Printed | None:
    """The printed text of a mapping's blank form; None without one (or unreadable)."""
    if not blank_form:
        return None
    path = blank_form_path(blank_form, source)
    try:
        return _load(str(path), path.stat().st_mtime)
    except Exception as err:  # a blank form that will not read only loses the hint
        log.warning("blank form could not be read (%s); reading without it",
                    type(err).__name__)
        return None
