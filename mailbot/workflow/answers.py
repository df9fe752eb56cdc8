"""Free-text answers, read as a careful business manager reads them. The rules live here.

Pure functions of text: no store, no message. Callers pass only what the
sender wrote now (``MailMessage.new_text``: quoted history, footers and
sign-offs already removed), so no answer is ever read from quoted text.

**APPROVE / REJECT** ("clear or nothing"). An answer counts only when it
opens the reply: ``REJECT <reason>`` rejects; ``APPROVE`` (or "Approved",
"Yes, approved", "I approve") approves, and remarks after it do not change
that ("APPROVE – good work, thank you"). It does not approve when:

- anything but courtesy comes before it ("Will approve later", "I don't approve");
- the reply asks a question, or negates or defers ("not", "can't", "yet", "hold");
- it sets a condition: "if", "unless", "once", "provided", "subject to", "pending"…;
- it asks for a change before sending ("approve but change para 2");
- it says the Chair edited the document ("I have reworded…, see attached") and
  no edited document is attached; with one attached it approves that document.

Unclear sends nothing; the Chair is told why.

**Not known**: an agency saying the child is not known to it, in its many
phrasings ("not known to", "isn't known", "no record(s)", "not registered",
"not open to", "nothing held", "no trace", "no involvement", "NFA"), in the
subject or the body, unless the same reply says the child *is* known or
sends records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

APPROVE, REJECT, UNCLEAR = "approve", "reject", "unclear"

#: Words that may stand before "approve" without changing its meaning.
_LEAD = {"yes", "ok", "okay", "fine", "i", "we", "thanks", "thank", "you", "many", "that", "s", "all", "good",
         "looks", "great", "this", "is", "am", "happy", "to", "the", "draft", "and", "please", "hi", "hello",
         "dear", "both", "version", "letter", "notification", "are", "it", "lovely", "perfect", "excellent",
         "sin", "serious", "incident", "email", "document", "as", "so", "now", "can", "confirm", "formally"}
#: Words around a decision (SCR…) that do not change it.
_COURTESY = _LEAD | {"send", "go", "ahead", "cheers", "kind", "regards", "best", "for", "sending", "with", "my"}
_APPROVE_WORDS = {"approve", "approved", "approving", "approval"}
#: Negation or deferral anywhere in the answer's first paragraph.
_DOUBT = {"not", "no", "don", "dont", "t", "cannot", "won", "never", "nor", "neither", "hold", "wait", "yet",
          "later", "unapproved", "disapprove", "reject", "rejected", "maybe", "perhaps", "unsure", "query",
          "hesitant", "reluctantly", "provisionally", "provisional", "tentatively", "conditionally", "shouldn"}
_CONDITION = re.compile(
    r"(?i)\b(if|unless|once|provided|providing|subject to|assuming|pending|until|as long as|so long as|"
    r"on condition|conditional(ly)?|only when|only after|as soon as|when you have|after you|in principle)\b")
_CHANGE = re.compile(
    r"(?i)(^|[.;:,!–—\-(]\s*|\b(but|and|please|pls|can you|could you|would you|just|then)\s+)"
    r"(change|amend|correct|fix|remove|delete|add|update|reword|rephrase|replace|insert|edit|check|revise|"
    r"ensure|make sure|tweak|alter|take out)\b")
#: The Chair says the document itself was edited: only an attached Word document can carry that.
_EDITED = re.compile(
    r"(?i)\b((i|we)(\s+have|'ve|\s+ve)?(\s+just|\s+now|\s+also)?\s+(re-?worded|amended|changed|edited|corrected|"
    r"updated|revised|tweaked|tracked|made\s+(some\s+|a\s+few\s+|minor\s+|small\s+)?(changes|amendments|edits|"
    r"corrections))|my (amendments|changes|edits)|edited version|amended version|tracked changes)\b")
#: The reply says something is attached: an attachment must be there.
_ATTACHED = re.compile(r"(?i)\b(see attach|(please\s+)?find attached|attached|enclosed)")
#: Where the answer stops: a sign-off, a disclaimer, or a line that is only a name.
_STOP = re.compile(
    r"(?i)^\s*((kind |best |warm |many )?(regards|wishes|thanks)\b|cheers\b|yours\b|sincerely\b|diolch\b|"
    r"this (e-?mail|message|communication)\b|disclaimer\b|confidential|the information (in|contained)|"
    r"if you (are not|have received)|please consider the environment|\*{3,}|this email has been scanned)")
_NAME_LINE = re.compile(r"^\s*((dr|mr|mrs|ms|miss|prof|cllr|revd?)\.?\s+)?[A-Z][\w'’.-]*(\s+[A-Z][\w'’.-]*){0,3}\s*$")
_GREETING = re.compile(r"(?i)^\s*(hi|hello|hey|dear|morning|good (morning|afternoon|evening)|helo|shwmae|"
                       r"bore da|prynhawn da|noswaith dda|annwyl)\b[^.!?]{0,40}[,!.]?\s*$")
_BANNER = re.compile(r"(?i)^\s*(\[?(external|caution|warning)\]?\s*[:!-]|this (e-?mail|message) (originated|came) from "
                     r"outside)")
_REJECT_HEAD = re.compile(r"^\s*(reject(?:ed)?|decline[d]?)\b[\s:;,.\-–—]*(.*)$", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Answer:
    verb: str
    #: The reason given with a rejection (the Chair's words), else None.
    reason: str | None = None
    #: Why an answer was unclear (one line, for the Chair and the digest).
    why: str | None = None


def paragraphs(text: str) -> list[str]:
    """The text's paragraphs (blank-line separated, lines joined), quoted lines left out."""
    out: list[str] = []
    lines: list[str] = []
    for line in (text or "").strip().splitlines() + [""]:
        if line.lstrip().startswith(">"):
            continue  # quoted history is never the answer
        if not line.strip():
            if lines:
                out.append(" ".join(lines))
                lines = []
            continue
        lines.append(line.strip())
    return out


def first_paragraph(text: str) -> str:
    """The text up to the first blank line, lines joined with spaces."""
    found = paragraphs(text)
    return found[0] if found else ""


def answer_paragraphs(text: str, limit: int = 3) -> list[str]:
    """The paragraphs that make up an answer: after a greeting or an "external sender" banner,
    up to a sign-off, a disclaimer or a name on its own."""
    found = paragraphs(text)
    while found and (_GREETING.match(found[0]) or _BANNER.search(found[0][:200])):
        found = found[1:]
    out = found[:1]
    for para in found[1:limit]:
        if _STOP.match(para) or _NAME_LINE.match(para):
            break
        out.append(para)
    return out


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower().replace("’", "'"))


def read_answer(new_text: str, document_attached: bool = False, other_attached: bool = False) -> Answer:
    """APPROVE / REJECT <reason> / unclear, from the reply's new text.

    ``document_attached``: the reply carries an edited Word document, which an
    approval that mentions edits approves; ``other_attached``: it carries
    another file (a PDF enclosure), which an approval may mention.
    """
    paras = answer_paragraphs(new_text)
    if not paras:
        return Answer(UNCLEAR, why="the reply is empty")
    first = paras[0]
    rejected = _REJECT_HEAD.match(first)
    if rejected:
        return Answer(REJECT, reason=rejected.group(2).strip() or None)
    words = _words(first)
    at = next((i for i, w in enumerate(words) if w in _APPROVE_WORDS), None)
    if at is None:
        return Answer(UNCLEAR, why="the reply says neither APPROVE nor REJECT")
    if any(w not in _LEAD for w in words[:at]):
        return Answer(UNCLEAR, why="the reply does not open with APPROVE")
    remarks = " ".join(paras)
    if "?" in remarks:
        return Answer(UNCLEAR, why="the reply asks a question")
    doubtful = [w for w in words if w in _DOUBT]
    if doubtful:
        return Answer(UNCLEAR, why=f"the approval is qualified ('{doubtful[0]}')")
    condition = _CONDITION.search(remarks)
    if condition:
        return Answer(UNCLEAR, why=f"the approval has a condition ('{condition.group(0).lower()}')")
    if _CHANGE.search(" ".join(_words_after(first, at)) + " " + " ".join(paras[1:])):
        return Answer(UNCLEAR, why="the reply asks for changes before sending")
    if _EDITED.search(remarks) and not document_attached:
        return Answer(UNCLEAR, why="the reply mentions an edited document but none is attached")
    if _ATTACHED.search(remarks) and not (document_attached or other_attached):
        return Answer(UNCLEAR, why="the reply mentions an attachment but none is attached")
    return Answer(APPROVE)


def _words_after(text: str, index: int) -> list[str]:
    """The text after its ``index``-th word, punctuation kept (change requests are read in it)."""
    tokens = re.split(r"(?<=[a-z])(?=[^a-z'])", text, flags=re.IGNORECASE)
    seen = 0
    for i, token in enumerate(tokens):
        seen += len(re.findall(r"[a-z]+", token.lower()))
        if seen > index:
            return tokens[i + 1:]
    return []


# --- "not known" ------------------------------------------------------------------

_NOT_KNOWN = re.compile(
    r"(?i)(\b(is|are|was|were|has|have|had)?\s*(not|never|n't)\s+(been\s+)?(known|registered|open|involved|"
    r"on (our|the) (system|records?|books|caseload|database))\b|\bnot\s+known\b|\bunknown to (us|the|our)\b|"
    r"\bno (current or previous |previous or current |current |previous |known )?(record|records|trace|involvement|"
    r"information held|details held|contact|history)\b|\b(we|i) (hold|have|found) no (record|records|information|"
    r"trace|details)\b|\bnothing (held|on (record|file|our system)|known|recorded)\b|\bnil return\b|\bnfa\b|"
    r"\bno further action\b)")
_KNOWN = re.compile(
    r"(?i)(\b(is|are|was|were|has been|have been)\s+(well\s+|currently\s+|previously\s+)?(known|open)\s+to\b|"
    r"\bknown to (us|the service) since\b|\bplease find (attached|enclosed)|\b(records?|chronology|return|form)"
    r" (is |are )?(attached|enclosed)|\bsee attached\b)")


def says_not_known(subject: str, new_text: str) -> str | None:
    """The words that say the child is not known to the agency, or None."""
    text = " ".join(f"{subject or ''} . {new_text or ''}".replace("’", "'").split())[:4000]
    said = _NOT_KNOWN.search(text)
    if said is None or _KNOWN.search(text):
        return None
    return said.group(0).strip()


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
