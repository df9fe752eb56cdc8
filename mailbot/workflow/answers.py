"""Reading the Chair's answer from the new text of a reply.

Pure functions of text: no store, no message. The caller passes only what
the Chair wrote now (``MailMessage.new_text``: quoted history, "Sent from my
iPhone" and Outlook's "From: … Sent: …" block already removed). Only the
first paragraph is read, so a signature never changes the answer.

The rule is "clear or nothing": an answer counts only when its first words
say it plainly. A question mark, a negation or a hedge makes it unclear,
and an unclear answer sends nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

APPROVE, REJECT, UNCLEAR = "approve", "reject", "unclear"

#: Words that may stand around "approve" without changing its meaning.
_COURTESY = {
    "thanks", "thank", "you", "please", "many", "send", "it", "go", "ahead", "yes", "ok", "okay",
    "fine", "i", "as", "is", "draft", "this", "the", "and", "all", "good", "looks", "great",
    "cheers", "kind", "regards", "best", "that", "s", "for", "sending", "now", "version", "edited",
    "attached", "with", "changes", "my", "amendments", "see", "attachment", "document", "enclosed", "here",
    "sin", "serious", "incident", "notification", "letter", "email",
}
#: Words that make an approval anything but plain.
_DOUBT = {
    "not", "no", "don", "dont", "do", "t", "unless", "but", "hold", "wait", "reject", "rejected",
    "except", "if", "sure", "maybe", "perhaps", "query", "question", "check", "before", "however",
    "later", "yet", "until", "shouldn", "cannot", "can", "won", "never", "disapprove", "unapproved",
}
_APPROVE_WORDS = {"approve", "approved", "approving"}
_REJECT_HEAD = re.compile(r"^\s*(reject(?:ed)?|decline[d]?)\b[\s:;,.\-–—]*(.*)$", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Answer:
    verb: str
    #: The reason given with a rejection (the Chair's words), else None.
    reason: str | None = None
    #: Why an answer was unclear (one line, for the Chair and the digest).
    why: str | None = None


def first_paragraph(text: str) -> str:
    """The text up to the first blank line, lines joined with spaces."""
    lines: list[str] = []
    for line in (text or "").strip().splitlines():
        if line.lstrip().startswith(">"):
            continue  # quoted history is never the answer
        if not line.strip():
            if lines:
                break
            continue
        lines.append(line.strip())
    return " ".join(lines)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def read_answer(new_text: str) -> Answer:
    """APPROVE / REJECT <reason> / unclear, from the reply's new text."""
    para = first_paragraph(new_text)
    if not para:
        return Answer(UNCLEAR, why="the reply is empty")
    rejected = _REJECT_HEAD.match(para)
    if rejected:
        reason = rejected.group(2).strip() or None
        return Answer(REJECT, reason=reason)
    words = _words(para)
    if not any(w in _APPROVE_WORDS for w in words):
        return Answer(UNCLEAR, why="the reply says neither APPROVE nor REJECT")
    if "?" in para:
        return Answer(UNCLEAR, why="the reply asks a question")
    doubtful = [w for w in words if w in _DOUBT]
    if doubtful:
        return Answer(UNCLEAR, why=f"the approval is qualified ('{doubtful[0]}')")
    other = [w for w in words if w not in _APPROVE_WORDS and w not in _COURTESY]
    if other:
        return Answer(UNCLEAR, why="the reply says more than APPROVE")
    return Answer(APPROVE)


# --- the decision request --------------------------------------------------------

_SCR = re.compile(r"^\s*SCR\b[\s.!,:;\-–—]*(.*)$", re.IGNORECASE | re.DOTALL)
_ALTERNATIVE = re.compile(r"^\s*ALTERNATIVE\s+REVIEW\s*[:\-–—]\s*(.+)$", re.IGNORECASE | re.DOTALL)
_NO_REVIEW = re.compile(r"^\s*NO\s+(?:REVIEW|SCR)\s*[:\-–—]\s*(.+)$", re.IGNORECASE | re.DOTALL)
_REVIEWER = re.compile(r"(?i)\b(?:lead\s+)?reviewers?\s*[:\-–—]\s*([^\n]+?)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class DecisionAnswer:
    #: ``scr``, ``alternative_review``, ``no_review`` or None when unclear.
    decision: str | None
    #: The review type (alternative review) or the reasons (no review).
    detail: str | None = None
    reviewers: list[str] | None = None
    why: str | None = None


def read_decision(new_text: str, alternative: tuple[str, str] | None = None) -> DecisionAnswer:
    """``SCR`` / ``ALTERNATIVE REVIEW: <type>`` / ``NO REVIEW: <reasons>``.

    ``alternative`` is a board's one-word name for its alternative review and
    what it stands for (``("CPIR", "Child Protection Incident Review (CPIR)")``):
    a reply of that word alone decides on that review.
    """
    para = first_paragraph(new_text)
    reviewers = [r.strip() for m in _REVIEWER.findall(new_text or "") for r in re.split(r";|\band\b|,", m)
                 if r.strip()] or None
    if not para:
        return DecisionAnswer(None, why="the reply is empty")
    if "?" in para:
        return DecisionAnswer(None, why="the reply asks a question")
    m = _NO_REVIEW.match(para)
    if m:
        return DecisionAnswer("no_review", m.group(1).strip())
    if re.match(r"^\s*NO\s+(REVIEW|SCR)\b", para, re.IGNORECASE):
        return DecisionAnswer(None, why="NO REVIEW needs the reasons after a colon")
    m = _ALTERNATIVE.match(para)
    if m:
        return DecisionAnswer("alternative_review", m.group(1).strip())
    if re.match(r"^\s*ALTERNATIVE\b", para, re.IGNORECASE):
        return DecisionAnswer(None, why="ALTERNATIVE REVIEW needs the type of review after a colon")
    if alternative is not None:
        m = re.match(rf"^\s*{re.escape(alternative[0])}\b[\s.!,:;\-–—]*(.*)$", para, re.IGNORECASE | re.DOTALL)
        if m:
            if any(w in _DOUBT for w in _words(_REVIEWER.split(m.group(1))[0]) if w not in _COURTESY):
                return DecisionAnswer(None, why="the decision is qualified")
            return DecisionAnswer("alternative_review", alternative[1], reviewers)
    m = _SCR.match(para)
    if m:
        rest = m.group(1)
        rest_words = [w for w in _words(_REVIEWER.split(rest)[0]) if w not in _COURTESY]
        if any(w in _DOUBT for w in rest_words):
            return DecisionAnswer(None, why="the decision is qualified")
        return DecisionAnswer("scr", None, reviewers)
    return DecisionAnswer(None, why="the reply says none of SCR, ALTERNATIVE REVIEW or NO REVIEW")
