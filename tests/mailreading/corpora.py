"""Loading the real-mail corpora under ``tests/corpora/`` and scoring mailbot's readers on them.

Each corpus has a ``labels.json`` written by hand (or taken from the source
project's own test expectations; see each README). The functions here turn a
labelled file into what mailbot reads (a raw message) and compare mailbot's
reading with the label. They decide nothing themselves: the rates they return
are checked against the targets in ``test_corpus_rates.py``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

CORPORA = Path(__file__).resolve().parents[1] / "corpora"
#: Corpora of machine mail (bounces, delays, success reports, auto-replies).
MACHINE = ("flufl-bounce", "sisimai")
#: Corpora of people's replies (labelled with the new text).
REPLIES = ("crisp-email-reply-parser", "mail-parser-reply", "talon")


def labels(corpus: str) -> dict[str, dict]:
    return json.loads((CORPORA / corpus / "labels.json").read_text(encoding="utf-8"))


def machine_raw(corpus: str, name: str) -> bytes:
    folder = CORPORA / corpus / ("maildir" if corpus == "sisimai" else "")
    raw = (folder / name).read_bytes()
    if raw.startswith(b"From ") and b"\n" in raw:  # an mbox "From " line before the headers
        raw = raw.split(b"\n", 1)[1]
    return raw


def reply_text(corpus: str, name: str) -> str:
    return (CORPORA / corpus / name).read_text(encoding="utf-8", errors="replace")


def as_message(body: str, html: bool = False, frm: str = "Alex Reader <alex@agency.example>",
               subject: str = "Re: Scoping request [WS-2026-0001]") -> bytes:
    """A reply whose body is ``body`` (plain text or HTML), as a mail client would send it."""
    m = EmailMessage()
    m["From"] = frm
    m["To"] = "lscb@board.example"
    m["Subject"] = subject
    m["Message-ID"] = "<corpus@agency.example>"
    m.set_content(body, subtype="html" if html else "plain")
    return bytes(m)


def reply_raw(corpus: str, name: str) -> bytes:
    path = CORPORA / corpus / name
    if name.endswith(".eml"):
        return path.read_bytes()
    return as_message(reply_text(corpus, name), html=name.endswith(".html"))


def _norm(text: str) -> str:
    return " ".join(text.split())


@dataclass
class Score:
    right: int = 0
    total: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, ok: bool, name: str) -> None:
        self.total += 1
        self.right += ok
        if not ok:
            self.misses.append(name)

    @property
    def rate(self) -> float:
        return self.right / self.total if self.total else 1.0

    def line(self, what: str) -> str:
        return f"{what}: {self.right}/{self.total} = {100 * self.rate:.1f} %" + (
            f"  (missed: {', '.join(self.misses[:8])}{' …' if len(self.misses) > 8 else ''})" if self.misses else "")


def new_text_right(new_text: str, label: dict) -> bool:
    """The new text keeps the sender's first and last words and none of the quoted history or signature."""
    got = _norm(new_text)
    if _norm(label["first"]) not in got or _norm(label["last"]) not in got:
        return False
    return all(_norm(label[k]) not in got for k in ("quoted", "signature") if label.get(k))
