"""The new text of a reply: what the sender wrote now, from any mail client.

Answers are read from this text alone, so it must never include quoted
history. Mail clients mark where history starts in many ways: "On … wrote:"
in a dozen languages and on up to three lines (Gmail wraps long names),
"<date>, Name <address>:" (Russian, Yandex, Gmail's ISO dates), Outlook's
header blocks ("From: … Sent: …", "De : … Envoyé : …", "Van: … Verzonden: …",
in any order, with or without asterisks), "-----Original Message-----" and
its translations, Zoho's "---- On … wrote ----", forwarded-message dividers,
Outlook's line of underscores, mobile footers ("Sent from my iPhone", "Get
Outlook for iOS") and signature delimiters ("--", an em dash).

Top-posted replies keep the text above the first of those. Bottom-posted
and inline replies (Thunderbird's default) open with the quote header, or a
greeting and the header, followed by ``>`` quotes: then the new text is the
unquoted lines between and after the quotes. Quoted lines are never kept.

Every pattern is bounded to one line (at most three joined), so any text
costs linear time; the caller caps the text at 32 KB.
"""

from __future__ import annotations

import re

#: Words that end an attribution line: "wrote", and its translations.
_WROTE = (r"wrote|writes|schrieb|a écrit|a ecrit|escribió|escribio|ha scritto|schreef|skrev|escreveu|"
          r"napisał\(a\)|napisał|napisala|kirjoitti|написал\(а\)|написал|написала|írta|geschreven|"
          r"yazdı|napsal|scrise|έγραψε|kirjutas|rašė|rakstīja|ysgrifennodd")
_ATTRIBUTION_END = re.compile(
    rf"(?i)(((?<!\w)({_WROTE})(?!\w)[ \t]*:?[ \t]*(-{{2,}})?)|(<[^<>\s]{{1,200}}@[^<>\s]{{1,200}}>|\([^()\s]{{1,200}}@[^()\s]"
    rf"{{1,200}}\))[ \t]*:[ \t]*)$")
_DIVIDER = re.compile(
    r"(?i)^[ \t>]*(-{2,}[ \t]*(original message|original|oprindelig (besked|meddelelse)|message d'origine|"
    r"ursprüngliche nachricht|mensaje original|messaggio originale|oorspronkelijk bericht|origineel bericht|"
    r"opprinnelig melding|ursprungligt meddelande|alkuperäinen viesti|wiadomość oryginalna|"
    r"mensagem original|исходное сообщение|forwarded message|weitergeleitete nachricht|message transféré|"
    r"mensaje reenviado|messaggio inoltrato|doorgestuurd bericht)[ \t]*-{2,}.*|"
    r"-{2,}[ \t]*(original message|forwarded message)[ \t]*|"
    r"(begin forwarded message|anfang der weitergeleiteten nachricht|début du message réexpédié)[ \t]*:?|"
    r"_{5,})")
_SIGNATURE = re.compile(r"^[ \t]*(-- ?|—+|–+|_{2,})[ \t]*$")
_FOOTER = re.compile(
    r"(?i)^[ \t]*(sent from (my|mail for|outlook|yahoo|gmail|samsung|the \w+ app)\b[^,.;:!?]{0,50}|"
    r"sent (with|via|using) [^,;]{1,50}|get outlook for (ios|android)\b.{0,80}|"
    r"envoyé (de|depuis|à partir de) (mon|ma|outlook|l'application)[^,;]{0,60}|"
    r"gesendet (von|mit) (meinem|meiner|outlook|mobil)[^,;]{0,60}|inviato da[^,;]{0,60}|"
    r"enviado (desde|de) (mi|meu|outlook)[^,;]{0,60}|verzonden (vanaf|met) (mijn|outlook)[^,;]{0,60}|"
    r"skickat från[^,;]{0,60}|sendt fra[^,;]{0,60}|wysłane z[^,;]{0,60}|anfonwyd o['’]?r?[^,;]{0,60})"
    r"[ \t]*(<[^<>]{0,200}>)?[ \t]*$")
_FROM_KEYS = ("from", "de", "van", "da", "von", "fra", "från", "od", "от", "lähettäjä", "feladó", "από", "oddíl",
              "message du", "gan")
_OTHER_KEYS = ("sent", "date", "envoyé le", "envoyé", "verzonden", "inviato", "gesendet", "sendt", "skickat",
               "wysłano", "отправлено", "datum", "dato", "data", "fecha", "enviado el", "enviado", "lähetetty",
               "dátum", "to", "à", "a", "aan", "an", "til", "till", "do", "кому", "para", "subject", "objet",
               "onderwerp", "oggetto", "betreff", "emne", "ämne", "temat", "тема", "asunto", "assunto", "cc",
               "copie à", "reply-to", "anfonwyd", "at", "pwnc")
_HEADER_LINE = re.compile(r"^[ \t>]*\*?[ \t]*([^\W\d_][^:*]{0,14}?)[ \t\xa0]*\*?[ \t]*:\*?(?:[ \t\xa0]|$)")
#: A closing on a line of its own ("Regards,", "Diolch", "Mit freundlichen Grüßen"); the few short
#: lines after it are the sender's name and title.
_CLOSING = re.compile(
    r"(?i)^[ \t]*(((kind|best|warm|many|with)[ \t]+)?(regards|wishes|thanks)|thanks|thank you|cheers|best|"
    r"yours( sincerely| faithfully| truly)?|sincerely|diolch( yn fawr)?|cofion( gorau)?|"
    r"(mit )?(freundlichen|besten|viele) grüßen?|mfg|cordialement|bien à vous|saludos( cordiales)?|"
    r"un saludo|cordiali saluti|distinti saluti|met vriendelijke groet(en)?|mvg|med venlig hilsen|mvh|"
    r"hilsen|med vänlig hälsning|vänliga hälsningar|pozdrawiam|z poważaniem|atenciosamente|"
    r"com os melhores cumprimentos)[ \t]*[,.!]?[ \t]*\S{0,2}[ \t]*$")
_GREETING = re.compile(r"^[ \t]*\S.{0,38},[ \t]*$")


def _header_key(line: str) -> str | None:
    m = _HEADER_LINE.match(line)
    if not m:
        return None
    key = " ".join(m.group(1).lower().split())
    return key if key in _FROM_KEYS or key in _OTHER_KEYS else None


def _header_block(lines: list[str], i: int) -> bool:
    """Two header lines among the next six, one of them the sender's ("From:", "De :", "Van:"…)."""
    keys = [k for k in (_header_key(ln) for ln in lines[i:i + 6] if ln.strip()) if k]
    if _header_key(lines[i]) is None or len(keys) < 2:
        return False
    return any(k in _FROM_KEYS for k in keys) and any(k in _OTHER_KEYS for k in keys)


def _attribution(lines: list[str], i: int) -> int:
    """How many lines (1-3) the "On … wrote:" starting at line ``i`` takes; 0 when it is not one.

    An attribution opens with a date or an address, so a wrapped one is
    only looked for from a line that has a digit or an ``@`` in it and does
    not end a sentence.
    """
    first = lines[i].strip()
    for k in range(3):
        if i + k >= len(lines) or (k and not lines[i + k].strip()):
            return 0
        if k and (not re.search(r"\d|@", first) or first.endswith((".", "!", "?"))):
            return 0
        chunk = re.sub(r"([<(])\s+|\s+([>)])", r"\1\2", " ".join(ln.strip() for ln in lines[i:i + k + 1]))
        if len(chunk) > 400:
            return 0
        if len(chunk) > 8 and re.search(r"\d|@", chunk) and _ATTRIBUTION_END.search(chunk):
            return k + 1
    return 0


def _quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _history_start(lines: list[str], start: int = 0) -> tuple[int, int]:
    """(index where quoted history, a footer or a signature starts, lines its attribution takes)."""
    for i in range(start, len(lines)):
        line = lines[i]
        if not line.strip() or _quoted(line):
            continue
        if _DIVIDER.match(line) or _SIGNATURE.match(line) or _FOOTER.match(line) or _header_block(lines, i):
            return i, 0
        taken = _attribution(lines, i)
        if taken:
            return i, taken
    return len(lines), 0


def new_text(text: str) -> str:
    """Only what the sender wrote now: no quoted history, signature or client footer."""
    lines = text.splitlines()
    cut, taken = _history_start(lines)
    head = [ln for ln in lines[:cut] if not _quoted(ln)]
    said = [ln for ln in head if ln.strip()]
    body = head
    after = cut + taken
    bottom_post = taken and (not said or (len(said) == 1 and _GREETING.match(said[0])))
    if bottom_post and after < len(lines) and _next_is_quote(lines, after):
        end, _taken = _history_start(lines, after)
        body = head + [ln for ln in lines[after:end] if not _quoted(ln)]
    return "\n".join(_without_sign_off(body)).strip()


def _without_sign_off(lines: list[str]) -> list[str]:
    """The lines before a closing that only a name and a title (five short lines at most) follow."""
    after = 0  # non-blank lines below the one looked at, all short so far
    first = next((i for i, ln in enumerate(lines) if ln.strip()), len(lines))
    for i in range(len(lines) - 1, first, -1):
        line = lines[i]
        if not line.strip():
            continue
        if _CLOSING.match(line):
            return lines[:i]
        after += 1
        if after > 5 or len(line.strip()) > 60:
            return lines
    return lines


def _next_is_quote(lines: list[str], i: int) -> bool:
    for line in lines[i:]:
        if line.strip():
            return _quoted(line)
    return False
