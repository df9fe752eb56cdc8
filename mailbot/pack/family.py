"""Family members by their initials, as the integrated chronology must show them.

Swindon's chronology guidance: "family names should be suitably anonymised
throughout (e.g. JB for Jill Bloggs …)" but "give the role and name of all
professionals – do not anonymise staff names at this stage". Agencies mostly
do this themselves; the pack makes it hold for every row, whoever wrote it.

The key comes from the case's referral (the child, parents, siblings, the
significant adults named in free text) and the child's name on returns.
Initials are first and last name letters (Jill Bloggs → JB); when two
members would share initials, both take more letters of their first name
(Arjun Jessop → ArJ, Aaron Jessop → AaJ), so nobody is confused with anyone.

Replacing is careful about professionals: a family member's *first name*
alone is replaced only when it is not part of somebody else's name — not
after a title ("Dr Olivia Halloran") and not followed by a surname that is
not the family's ("Olivia Halloran"). Full names are replaced wherever they
appear, in any case. A first name two members share is left as written,
since it cannot be told apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

_NAME_WORD = r"[A-Z][A-Za-z'’\-]+"
_LEADING_NAME = re.compile(rf"^\s*((?:{_NAME_WORD})(?:\s+{_NAME_WORD}){{1,3}})\s*(.*)$", re.DOTALL)
_TITLES = re.compile(r"(?:\b(?:Dr|Mr|Mrs|Ms|Miss|Mx|Prof|PC|PCSO|DC|DS|DI|DCI|Sgt|Insp|Cllr|Nurse|Sister|"
                     r"Rev|Revd|Father|Judge|HHJ)\.?\s+)$")
_NEXT_WORD = re.compile(r"[ \t]+([A-Z][A-Za-z'’\-]+)")
#: Words that are first names as well, but far more often months, days or seasons.
_NOT_ALONE = {"may", "june", "april", "august", "march", "summer", "autumn", "winter", "spring",
              "will", "mark", "bill", "sue", "pat", "hope", "faith", "grace", "joy", "sunny", "christian",
              "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}


@dataclass(frozen=True)
class Member:
    name: str
    initials: str
    relationship: str


class FamilyKey:
    """The case's family members and the initials the pack uses for them."""

    def __init__(self, members: list[Member], aliases: dict[str, str] | None = None) -> None:
        self.members = members
        self._aliases = aliases or {}
        self._surnames = {m.name.split()[-1].lower() for m in members}
        self._pattern, self._lookup, self._first_only = self._compile()

    def initials_of(self, name: str) -> str | None:
        wanted = " ".join(name.split()).lower()
        return next((m.initials for m in self.members if m.name.lower() == wanted), None)

    def _compile(self) -> tuple[re.Pattern[str] | None, dict[str, str], set[str]]:
        full: dict[str, str] = {}
        for member in self.members:
            words = member.name.split()
            full[" ".join(words).lower()] = member.initials
            if len(words) > 2:
                full[f"{words[0]} {words[-1]}".lower()] = member.initials
            full[f"{words[-1]}, {words[0]}".lower()] = member.initials
        for alias, initials in self._aliases.items():
            full.setdefault(alias.lower(), initials)
        firsts: dict[str, set[str]] = {}
        for member in self.members:
            firsts.setdefault(member.name.split()[0], set()).add(member.initials)
        first_only = {name for name, owners in firsts.items()
                      if len(owners) == 1 and name.lower() not in _NOT_ALONE and len(name) > 2}
        lookup = {**full, **{name: next(iter(firsts[name])) for name in first_only}}
        if not lookup:
            return None, lookup, first_only
        full_alts = sorted(full, key=len, reverse=True)
        parts = [r"\s+".join(re.escape(w) for w in name.split()) for name in full_alts]
        firsts_alt = "|".join(re.escape(n) for n in sorted(first_only, key=len, reverse=True))
        body = f"(?i:{'|'.join(parts)})" + (f"|(?:{firsts_alt})" if firsts_alt else "")
        return re.compile(rf"(?<![\w'’-])(?:{body})(?![\w-])"), lookup, first_only

    def _replace(self, m: re.Match[str]) -> str:
        found = m.group(0)
        key = " ".join(found.split())
        if key in self._first_only:
            before = m.string[max(0, m.start() - 8):m.start()]
            after = _NEXT_WORD.match(m.string, m.end())
            if _TITLES.search(before) or (after and after.group(1).lower() not in self._surnames):
                return found  # a professional (or someone else) who shares the first name
            return self._lookup[key]
        return self._lookup.get(key.lower(), found)

    def anonymise(self, text: str | None) -> str | None:
        """``text`` with family members' names replaced by their initials."""
        if not text or self._pattern is None:
            return text
        return self._pattern.sub(self._replace, text)


def _initials(words: list[str], letters: int) -> str:
    return words[0][:letters].capitalize() + words[-1][0].upper() if len(words) > 1 else words[0][:2].upper()


def _assign(people: list[tuple[str, str]]) -> list[Member]:
    """Initials for everyone, widening the first-name part until no two are alike."""
    names = [(" ".join(n.split()), rel) for n, rel in people]
    letters = [1] * len(names)
    for _ in range(12):
        codes = [_initials(n.split(), k) for (n, _r), k in zip(names, letters)]
        clash = {c for c in codes if codes.count(c) > 1}
        if not clash:
            break
        for i, code in enumerate(codes):
            if code in clash and letters[i] < len(names[i][0].split()[0]):
                letters[i] += 1
    codes = [_initials(n.split(), k) for (n, _r), k in zip(names, letters)]
    seen: dict[str, int] = {}
    out = []
    for (name, rel), code in zip(names, codes):
        seen[code] = seen.get(code, 0) + 1
        out.append(Member(name, code if codes.count(code) == 1 else f"{code}{seen[code]}", rel))
    return out


def people_in(text: str | None, default_relationship: str) -> list[tuple[str, str]]:
    """Names leading each line or ``;`` part of free text: "Neil Whitcombe – mother's partner"."""
    found = []
    for chunk in re.split(r"[\n;]+", text or ""):
        m = _LEADING_NAME.match(chunk)
        if not m:
            continue
        rest = m.group(2).strip().lstrip("–—-:,(").strip()
        relationship = re.split(r"[,.;(]", rest, maxsplit=1)[0].strip() if rest else ""
        found.append((m.group(1), relationship or default_relationship))
    return found


def family_key(referral: dict[str, Any] | None, child_names: Iterable[str] = ()) -> FamilyKey:
    """The key for a case, from its referral record (records.md) and the child's names on returns."""
    data = referral or {}
    child = data.get("child") or {}
    people: list[tuple[str, str]] = []
    child_name = child.get("full_name") or " ".join(x for x in (child.get("first_name"), child.get("surname")) if x)
    extra = [n for n in child_names if n]
    if not child_name and extra:
        child_name = extra[0]
    if child_name:
        people.append((child_name, "the child"))
    for parent in data.get("parents") or []:
        name = parent.get("name")
        if parent.get("relationship") == "parent_carer":
            people += people_in(name, "parent / carer")
        elif name:
            people.append((name, parent.get("relationship") or "parent"))
    for sibling in data.get("siblings") or []:
        if sibling.get("name"):
            people.append((sibling["name"], "sibling"))
    people += people_in(data.get("significant_adults"), "significant adult")
    unique: list[tuple[str, str]] = []
    for name, rel in people:
        if len(name.split()) >= 2 and name.lower() not in {n.lower() for n, _ in unique}:
            unique.append((name, rel))
    members = _assign(unique)
    aliases: dict[str, str] = {}
    if members and members[0].relationship == "the child":
        for other in [child.get("other_names"), *extra]:
            if other and other.lower() != members[0].name.lower():
                aliases[" ".join(other.split())] = members[0].initials
    key = FamilyKey(members, aliases)
    return FamilyKey([Member(m.name, m.initials, key.anonymise(m.relationship) or m.relationship)
                      for m in members], aliases)
