"""Every way a box is ticked, turned into one answer: ticked, unticked, or no mark.

Agencies tick with Word check boxes (read by the readers as box states),
glyphs (``☒ ☑ ✓ ✔ ☐``), Wingdings symbols, typed ``X``, ``[X]``, ``(x)``,
or a ``Yes``/``No`` after the option (``Option – Yes``).  The mark may come
before or after the option's words.  This module finds such a mark at the
edge of a line and gives the line without it, so option wordings match
whatever the filling style, and ``[X] A`` is no longer read as ``[ ] A``.
"""

from __future__ import annotations

import re

_ON_GLYPHS = "☒☑✓✔✗×✘🗸\uf0fc\uf0fb\uf078\uf0fe\uf0fd"
_OFF_GLYPHS = "☐□\uf0a8\uf06f\uf0a1"
_ON = rf"(?:[{_ON_GLYPHS}]|\[\s*[xX✓✔]\s*\]|\(\s*[xX✓✔]\s*\))"
_OFF = rf"(?:[{_OFF_GLYPHS}]|\[\s*\]|\(\s*\))"
_LEAD = re.compile(rf"^\s*(?:(?P<on>{_ON}|[xX](?=\s))|(?P<off>{_OFF}))\s*")
_TRAIL = re.compile(rf"(?:(?<=\s)|(?<=[:–—-]))\s*(?:[–—-]\s*)?(?:(?P<on>{_ON}|[xX]|Yes|YES|yes|Y)"
                    rf"|(?P<off>{_OFF}|No|NO|no|N))\s*$")
_CELL_ON = frozenset({"x", "✓", "✔", "✗", "×", "☒", "☑", "yes", "y", "✘", "🗸", "\uf0fc",
                      "\uf0fb", "\uf078", "\uf0fe", "\uf0fd"})
_CELL_OFF = frozenset({"", "☐", "no", "n", "\uf0a8", "\uf06f", "□", "\uf0a1"})
_BRACKETS = re.compile(r"[\[\]() .]")


def cell_mark(text: str) -> bool | None:
    """A cell (or line) that holds only a mark: True ticked, False unticked, None not a mark."""
    s = _BRACKETS.sub("", text.strip().lower())
    if s in _CELL_ON:
        return True
    if s in _CELL_OFF and (s or not text.strip() or _BRACKETS.sub("", text) != text):
        return False if text.strip() else None
    return None


def split_mark(text: str, trailing: bool = True) -> tuple[bool | None, str]:
    """A line's leading (or, with ``trailing``, final) mark and the line without it."""
    first, nl, after = text.partition("\n")
    m = _LEAD.match(first)
    if m and first[m.end():].strip():
        return m["on"] is not None, first[m.end():] + nl + after
    if trailing and not nl:
        m = _TRAIL.search(first)
        if m and first[:m.start()].strip():
            return m["on"] is not None, first[:m.start()].rstrip(" :–—-")
    return None, text
