"""A business manager's review commands, read from the subject (the whole subject: a reply is no command).

``DONE WS-2026-0001 first draft 12/06/2026`` records a review milestone done
(the date may be left off: today); ``PUBLISH WS-2026-0001 ON 03/11/2026``
sets the planned publication date. Like ``PACK`` these count only from a
business manager's configured address that the board's server did not
report failing authentication (:func:`mailbot.inbound.classify.classify`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_REF = r"\[?\s*([A-Z]{2,5}-\d{4}-\d{4})\s*\]?"
_DONE = re.compile(rf"^\s*DONE\s*:?\s*{_REF}\s*(.*?)\s*$", re.IGNORECASE)
_PUBLISH = re.compile(rf"^\s*PUBLISH(?:ED)?\s*:?\s*{_REF}(?:\s+(?:ON\b\s*:?)?\s*(.*?))?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class ReviewCommand:
    #: ``done`` or ``publish``.
    verb: str
    reference: str
    #: What follows the reference, as written (milestone words and date; or the date).
    rest: str


def review_command(subject: str | None) -> ReviewCommand | None:
    for verb, pattern in (("done", _DONE), ("publish", _PUBLISH)):
        m = pattern.match(subject or "")
        if m:
            return ReviewCommand(verb, m.group(1).upper(), (m.group(2) or "").strip())
    return None
