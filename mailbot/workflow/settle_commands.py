"""A business manager's settle commands: ``NOT KNOWN``, ``RETURN`` [``WS-2026-0007 <agency>``],
``REFERRAL``, ``IGNORE``, opening the reply to a held message's notice.

Pure functions of text, read as strictly as the Chair's answers
(``answers.py``): the command opens the reply, courtesy may follow it,
anything else (a question, a condition, more words) makes it no command.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailbot.workflow import answers

#: Words that may follow a command without changing it.
_COURTESY = {"thanks", "thank", "you", "please", "many", "cheers", "regards", "best", "kind", "ok", "okay", "this",
             "one", "it", "is", "the", "message"}
NOT_KNOWN_CMD, RETURN_CMD, REFERRAL_CMD, IGNORE_CMD = "not_known", "return", "referral", "ignore"
_SETTLE = re.compile(
    r"^\s*(not\s+known|nfa|return(?:ed)?|referral|ignore)\b[\s.!,:;\-–—]*(.*)$", re.IGNORECASE | re.DOTALL)
_CASE_REF = re.compile(r"^\s*([A-Z]{2,5}-\d{4}-\d{4})\b\s*(.*)$", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class SettleCommand:
    #: ``not_known``, ``return``, ``referral``, ``ignore``; None when the reply says none of them.
    command: str | None
    #: ``RETURN WS-2026-0007 <agency>``: the case and the agency named.
    case_reference: str | None = None
    agency: str | None = None
    why: str | None = None


def read_settle_command(new_text: str) -> SettleCommand:
    """``NOT KNOWN`` / ``RETURN`` [``WS-2026-0007 <agency>``] / ``REFERRAL`` / ``IGNORE``, opening the reply."""
    paras = answers.answer_paragraphs(new_text, limit=1)
    if not paras:
        return SettleCommand(None, why="the reply is empty")
    m = _SETTLE.match(paras[0])
    if not m:
        return SettleCommand(None, why="the reply says none of NOT KNOWN, RETURN, REFERRAL or IGNORE")
    word = " ".join(m.group(1).lower().split())
    rest = m.group(2).strip().rstrip(".!")
    if "?" in paras[0]:
        return SettleCommand(None, why="the reply asks a question")
    command = {"not known": NOT_KNOWN_CMD, "nfa": NOT_KNOWN_CMD, "returned": RETURN_CMD}.get(word, word)
    if command != RETURN_CMD:
        extra = [w for w in re.findall(r"[a-z]+", rest.lower()) if w not in _COURTESY]
        if extra:
            return SettleCommand(None, why=f"the reply says more than {word.upper()}")
        return SettleCommand(command)
    named = _CASE_REF.match(rest)
    if named:
        agency = named.group(2).strip().strip("<>\"'") or None
        return SettleCommand(RETURN_CMD, named.group(1).upper(), agency)
    if [w for w in re.findall(r"[a-z]+", rest.lower()) if w not in _COURTESY]:
        return SettleCommand(None, why="RETURN names a case as RETURN WS-2026-0007 <agency>")
    return SettleCommand(RETURN_CMD)
