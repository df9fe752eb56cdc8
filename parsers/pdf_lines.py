"""Text lines of a PDF rejoined into paragraphs, as a reader would.

A PDF keeps where each line starts and ends but not why it ended.  A line
that stops short although the next word would have fitted ended its
paragraph; one that did not was wrapped.  Where LibreOffice wrapped at a
space it keeps that space at the line's end, so such a line is known to
end between words.  A full line with no space is the hard case: either an
over-long word broken mid-word (narrow table columns do this often) or a
word that filled the line exactly and lost its space.  The words the
document spells out elsewhere, and an English word list, settle it
(:class:`Vocabulary`).
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass, field

_PUNCT = ".,;:!?()[]'\"“”‘’"
#: Lower-case words a capitalised name may hold ("Isle of Wight", "Stratford upon Avon").
_JOINING = frozenset("a an and at by da de del der di du for in la le of on the to upon van "
                     "von with y".split())


@dataclass(slots=True)
class Line:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    first_width: float
    size: float
    #: The line ends in a space character: it wrapped between words, not mid-word.
    spaced: bool = False


@dataclass(slots=True)
class Vocabulary:
    """Words seen whole in the document (between two others on a line)."""

    words: set[str] = field(default_factory=set)
    #: Widths of the space characters, per font size (rounded to a thousandth).
    spaces: Counter[float] = field(default_factory=Counter)

    def space(self, char: dict) -> None:
        """Learn the width of a space from a space character (when the PDF has them)."""
        if char.get("size"):
            self.spaces[round((char["x1"] - char["x0"]) / char["size"], 3)] += 1

    def fit(self, size: float) -> tuple[float, float]:
        """(width of a space, tolerance) for "would the next word have fitted?".

        Measured from the document's own space characters, the test is exact
        to a fraction of a point; without them, a typical space and a wider
        margin for error.
        """
        if self.spaces:
            return self.spaces.most_common(1)[0][0] * size, 0.05 * size
        return 0.3 * size, 0.25 * size

    def known(self, token: str) -> bool:
        key = _key(token)
        return key in self.words or (key.isalpha() and key in _english())

    def learn(self, line: Line, before: Line | None = None) -> None:
        """Learn the line's whole words: those between two others, the last
        when the line wrapped at a space, the first when no broken word's head
        can stand before it and it is not alone on its line.  (A line can
        break inside a token, an e-mail address or a word too long for it.)"""
        tokens = line.text.split(" ")
        whole = tokens[1:-1] + (tokens[-1:] if line.spaced and len(tokens) > 1 else [])
        # A broken word's head fills its line: a line before that wrapped at a space,
        # or stopped short of where this one reaches, held none.
        after_whole = before is None or before.spaced or before.x1 < line.x1 - 1.0
        if after_whole and (len(tokens) > 1 or line.spaced):
            whole += tokens[:1]
        self.words.update(_key(t) for t in whole)

    def glued(self, head: str, tail: str, after: str = "") -> bool:
        """Is ``head`` + ``tail`` one word broken at a full line (else two words)?

        Letters then digits are two words (``January`` ``2016``), and so is a
        capital after punctuation (``school.`` ``Concer``).  Inside a
        capitalised name only small joining words are lower case, so a lower-case
        piece between capitals is the rest of the word before it (``Sample``
        ``ford`` ``Health``: a place name that is no English word).  ``after``
        is the word that follows ``tail``.
        """
        if (head[-1:].isalpha() and tail[:1].isdigit()) or (
                head[-1:] in ".,;:!?" and tail[:1].isupper()):
            return False
        if self.known(head + tail):
            return True
        if (head[:1].isupper() and tail.isalpha() and tail.islower() and after[:1].isupper()
                and tail not in _JOINING):
            return True
        return not (self.known(head) and self.known(tail))


@functools.cache
def _english():
    """pyspellchecker's English word frequencies (loaded once, on the first
    ambiguous line: a third of a second)."""
    from spellchecker import SpellChecker

    return SpellChecker(language="en", distance=1).word_frequency


def _key(token: str) -> str:
    return token.strip(_PUNCT).lower()


def lines_of(words: list[dict], spaces: dict[int, list[float]], vocab: Vocabulary) -> list[Line]:
    """Words grouped into lines (same baseline), top to bottom.

    ``spaces`` (rounded top -> x0 of each space character) tells which lines
    end in a space; every line teaches ``vocab`` its whole words.
    """
    out: list[Line] = []
    current: list[dict] = []
    for w in sorted(words, key=lambda w: (round(w["top"]), w["x0"])):
        if current and abs(w["top"] - current[0]["top"]) > 2.5:
            out.append(_make_line(current))
            current = []
        current.append(w)
    if current:
        out.append(_make_line(current))
    for i, line in enumerate(out):
        top = round(line.top)
        line.spaced = any(line.x1 - 0.5 <= x <= line.x1 + 0.5
                          for t in (top - 1, top, top + 1) for x in spaces.get(t, ()))
        vocab.learn(line, out[i - 1] if i else None)
    return out


def _make_line(words: list[dict]) -> Line:
    words.sort(key=lambda w: w["x0"])
    first = words[0]
    return Line(" ".join(w["text"] for w in words), first["x0"], words[-1]["x1"],
                min(w["top"] for w in words), max(w["bottom"] for w in words),
                first["x1"] - first["x0"], float(first.get("size") or 10.0))


def _starts_long_word(lines: list[Line], i: int, right: float, vocab: Vocabulary) -> bool:
    """Is line ``i`` the first piece of a word too long for the line?"""
    line = lines[i]
    if line.spaced or " " in line.text or line.x1 <= right - line.size or i + 1 >= len(lines):
        return False
    return vocab.glued(line.text, lines[i + 1].text.split(" ")[0])


def join(lines: list[Line], right: float, vocab: Vocabulary) -> list[str]:
    """Lines rejoined into paragraphs; a wide vertical gap is a blank paragraph."""
    paras: list[str] = []
    for i, line in enumerate(lines):
        if i == 0:
            paras.append(line.text)
            continue
        prev = lines[i - 1]
        pitch = line.top - prev.top
        if pitch > 2.4 * line.size:
            paras.extend(["", line.text])  # a blank paragraph's worth of space
            continue
        if pitch > 1.5 * line.size:
            paras.append(line.text)  # paragraph spacing: a new paragraph
            continue
        space, tol = vocab.fit(line.size)
        wrapped = prev.x1 + space + line.first_width > right - tol
        if prev.spaced and wrapped:
            paras[-1] += " " + line.text  # wrapped at a space the line kept
        elif " " not in prev.text and not prev.spaced and prev.x1 > right - line.size:
            # a full one-word line: an over-long word broken, or a word that fitted exactly
            tokens = line.text.split(" ")
            after = tokens[1] if len(tokens) > 1 else (
                lines[i + 1].text.split(" ")[0] if i + 1 < len(lines) else "")
            glued = vocab.glued(prev.text, tokens[0], after)
            paras[-1] += line.text if glued else " " + line.text
        elif prev.text[-2:-1].isalnum() and prev.text.endswith("-"):
            glued = prev.x1 + line.first_width > right - tol
            paras[-1 if glued else len(paras):] = [paras[-1] + line.text] if glued else [line.text]
        elif _starts_long_word(lines, i, right, vocab):
            # an over-long word starts a line whatever came before: say a paragraph ended
            if prev.text[-1:] in ":,;":
                paras[-1] += " " + line.text
            else:
                paras.append(line.text)
        elif line.first_width > right - line.x0 - line.size:
            # the next word nearly fills a line alone: the words tell whether it wrapped
            ended = prev.text[-1:] in ".!?" or (" " not in prev.text and not prev.spaced)
            if ended and prev.text[-1:] not in ":,;":
                paras.append(line.text)
            else:
                paras[-1] += " " + line.text
        elif not wrapped:
            paras.append(line.text)  # the next word would have fitted: a real line end
        else:
            paras[-1] += " " + line.text
    return paras
