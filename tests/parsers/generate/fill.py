"""Random fictional answers, as written on the form and as the record wants them.

Every answer is a pair: the text an agency types (in one of the contract's
date forms, with filler for a blank, over several lines) and the value the
record must hold.  All people and places are invented; phones are Ofcom's
drama ranges and e-mail addresses sit on ``.example`` domains.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

FIRST = ["Robin", "Alex", "Sam", "Jordan", "Casey", "Morgan", "Taylor", "Riley", "Jamie",
         "Avery", "Quinn", "Rowan", "Harper", "Emerson", "Skyler", "Reese", "Dana", "Kit"]
LAST = ["Testperson", "Example", "Sampleton", "Fictional", "Placeholder", "Madeup",
        "Dummyfield", "Notreal", "Invento", "Pretendly", "Mockley", "Fauxson"]
STREETS = ["Example Road", "Sample Street", "Fiction Lane", "Test Avenue", "Mock Close"]
TOWNS = ["Exampletown", "Sampleford", "Testbury", "Mockham"]
ROLES = ["Social worker", "Health visitor", "Designated safeguarding lead", "Team manager",
         "School nurse", "Detective sergeant"]
ORGS = ["Exampletown Primary School", "Sampleford Health Trust", "Testbury Police",
        "Mockham Children's Services", "Example Youth Service"]
WORDS = ("the family moved twice during the period and the school raised concerns about "
         "attendance and presentation a referral was made and a strategy meeting held "
         "agencies shared information and a plan was agreed with the parents and carers "
         "visits continued weekly until the case was closed").split()
FILLER = ["", "", "N/A", "N/K", "n/a", "-", "Not known"]
DATE_STYLES = ("dd/mm/yyyy", "d/m/yy", "dd.mm.yyyy", "d Month yyyy", "dth Month yyyy",
               "Month d, yyyy", "dd-mm-yyyy")
TIME_FORMS = [("14:20", "14:20"), ("1420", "14:20"), ("1420hrs", "14:20"), ("2.20pm", "14:20"),
              ("2:20 pm", "14:20"), ("09:05", "09:05"), ("am", "am"), ("pm", "pm"), ("", None)]


@dataclass
class Answer:
    """What is typed (lines) and what the record must hold."""

    lines: list[str]
    value: Any
    tags: list[str] = field(default_factory=list)
    #: Values derived from this answer (a phone and address inside contact details).
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def blank(self) -> bool:
        return not any(ln.strip() for ln in self.lines)


def write_date(d: dt.date, style: str) -> str:
    month = d.strftime("%B")
    suffix = "th" if 11 <= d.day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(d.day % 10, "th")
    return {
        "dd/mm/yyyy": f"{d.day:02d}/{d.month:02d}/{d.year}",
        "d/m/yy": f"{d.day}/{d.month}/{d.year % 100:02d}",
        "dd.mm.yyyy": f"{d.day:02d}.{d.month:02d}.{d.year}",
        "d Month yyyy": f"{d.day} {month} {d.year}",
        "dth Month yyyy": f"{d.day}{suffix} {month} {d.year}",
        "Month d, yyyy": f"{month} {d.day}, {d.year}",
        "dd-mm-yyyy": f"{d.day:02d}-{d.month:02d}-{d.year}",
    }[style]


class Filler:
    """Answers for one form, from one seeded random source."""

    def __init__(self, rng: random.Random, date_style: str | None = None,
                 blank_rate: float = 0.12) -> None:
        self.rng = rng
        self.date_style = date_style
        self.blank_rate = blank_rate

    def person(self) -> str:
        return f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}"

    def date(self, lo: int = 2000, hi: int = 2025) -> tuple[str, dt.date, str]:
        d = dt.date(self.rng.randint(lo, hi), self.rng.randint(1, 12), self.rng.randint(1, 28))
        style = self.date_style or self.rng.choice(DATE_STYLES)
        if style == "d/m/yy" and d.year < 2000:  # two-digit years are read as 20yy first
            style = "dd/mm/yyyy"
        return write_date(d, style), d, style

    def sentence(self) -> str:
        n = self.rng.randint(4, 12)
        start = self.rng.randrange(len(WORDS) - n)
        words = WORDS[start:start + n]
        return " ".join(words).capitalize() + "."

    def blank(self) -> Answer:
        return Answer([self.rng.choice(FILLER)], None, ["blank"])

    def answer(self, path: str, kind: str, allow_blank: bool = True) -> Answer:
        """An answer for the record path ``path`` of type ``kind``."""
        if allow_blank and self.rng.random() < self.blank_rate:
            return self.blank()
        key = path.rsplit(".", 1)[-1]
        if kind == "date":
            text, d, style = self.date()
            return Answer([text], d.isoformat(), [f"date:{style}"])
        if kind == "yes_no":
            yes = self.rng.random() < 0.5
            word = self.rng.choice(["Yes", "YES", "yes"] if yes else ["No", "NO", "no"])
            tail = self.rng.choice(["", f" – {self.sentence()}", f". {self.sentence()}"])
            return Answer([word + tail], yes, ["yes_no"])
        if kind == "person_list":
            people, lines = [], []
            for _ in range(self.rng.randint(1, 3)):
                name = self.person()
                text, d, _ = self.date(2005, 2024)
                lines.append(self.rng.choice([f"{name}, {text}", f"{name} ({text})"]))
                people.append({"name": name, "date_of_birth": d.isoformat()})
            return Answer(lines, people, ["person_list"])
        return self.text(key)

    def text(self, key: str) -> Answer:
        if key in ("name", "full_name", "key_worker", "first_name", "surname", "_first_name",
                   "_surname", "other_names"):
            text = self.person() if key not in ("first_name", "_first_name", "surname",
                                                "_surname") else self.rng.choice(
                FIRST if "first" in key else LAST)
            return Answer([text], text, ["text:name"])
        if "address" in key:
            lines = [f"{self.rng.randint(1, 99)} {self.rng.choice(STREETS)}",
                     self.rng.choice(TOWNS)][: self.rng.randint(1, 2)]
            return Answer(lines, "\n".join(lines), ["text:address"])
        if key == "email":
            first, last = self.rng.choice(FIRST).lower(), self.rng.choice(LAST).lower()
            text = f"{first}.{last}@agency.example"
            return Answer([text], text, ["text:email"])
        if key == "phone":
            text = f"07700 900{self.rng.randint(100, 999)}"
            return Answer([text], text, ["text:phone"])
        if key in ("contact_details", "contact"):
            phone = f"01632 960{self.rng.randint(100, 999)}"
            email = f"{self.rng.choice(FIRST).lower()}@service.example"
            lines = self.rng.choice([[phone, email], [f"Tel: {phone}", f"Email: {email}"],
                                     [email], [phone]])
            extras = {"phone": phone if any(phone in ln for ln in lines) else None,
                      "email": email if any(email in ln for ln in lines) else None}
            return Answer(lines, "\n".join(lines), ["text:contact"], extras)
        if key in ("role",):
            text = self.rng.choice(ROLES)
            return Answer([text], text, ["text:short"])
        if key in ("agency", "organisation", "school"):
            text = self.rng.choice(ORGS)
            return Answer([text], text, ["text:short"])
        if key in ("gender",):
            text = self.rng.choice(["Female", "Male", "Non-binary"])
            return Answer([text], text, ["text:short"])
        if key in ("ethnicity", "religion"):
            text = self.rng.choice(["White British", "Mixed heritage", "None stated", "Christian"])
            return Answer([text], text, ["text:short"])
        lines = [self.sentence() for _ in range(self.rng.choice([1, 1, 2, 3]))]
        if len(lines) > 1 and self.rng.random() < 0.4:
            lines.insert(1, "")
        return Answer(lines, "\n".join(lines), ["text:long" if len(lines) > 1 else "text:line"])

    def time(self) -> tuple[str, str | None]:
        return self.rng.choice(TIME_FORMS)
