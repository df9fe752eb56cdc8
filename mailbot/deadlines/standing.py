"""Where a milestone stands: done (met or missed, by how much), due, or overdue.

A board needs to see whether each deadline was kept, not a countdown that
runs on after the work is done. The judgement is a function of the rule's
unit, the due date, the date the milestone was done and today, and nothing
else, so every milestone (stage 1, stage 2, one a board adds) is judged the
same way. Margins are counted in the rule's own unit: working days for a
working-day rule, calendar days for days, weeks and months ("within one
month" missed by 3 days, not by 1 working day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from mailbot.calendar import BoardCalendar
from mailbot.deadlines.rules import Rag, RagThresholds

Status = Literal["done", "due", "overdue", "waiting"]
CountUnit = Literal["working_days", "days"]


@dataclass(frozen=True)
class Standing:
    """One milestone's state on a given day.

    ``margin``: done and met, the days to spare; done and missed, the days
    late; overdue, the days late so far (all in the rule's unit); due, the
    working days left (what the RAG colour is counted on). ``unit`` says
    which.
    """

    status: Status
    due: date | None
    done_on: date | None = None
    met: bool | None = None
    margin: int | None = None
    unit: CountUnit = "days"
    rag: Rag = "grey"

    @property
    def missed(self) -> bool:
        return self.status == "overdue" or self.met is False

    def describe(self) -> str:
        """The state in a few words: "done 11/01/2027, met with 8 days to spare"."""
        if self.status == "done":
            done = f"done {self.done_on:%d/%m/%Y}"
            verdict = self.verdict()
            return f"{done}, {verdict}" if verdict else done
        if self.status == "overdue":
            return f"overdue by {_count(self.margin or 0, self.unit)}"
        if self.status == "due":
            if self.margin is None:
                return "due"
            return "due today" if self.margin == 0 else f"due in {_count(self.margin, self.unit)}"
        return "not dated yet"


    def verdict(self) -> str | None:
        """"met with 3 days to spare", "met on the day", "missed by 2 working days"; None if not judged."""
        if self.met is None:
            return None
        if self.met:
            if not self.margin:
                return "met on the day"
            return f"met with {_count(self.margin, self.unit)} to spare"
        return f"missed by {_count(self.margin or 0, self.unit)}"


def _count(n: int, unit: str) -> str:
    word = "working day" if unit == "working_days" else "day"
    return f"{n} {word}{'' if n == 1 else 's'}"


def count_unit(rule_unit: str) -> CountUnit:
    """The unit a rule's margins are counted in: its own, weeks and months as days."""
    return "working_days" if rule_unit == "working_days" else "days"


def days_after(calendar: BoardCalendar, unit: CountUnit, due: date, when: date) -> int:
    """How far ``when`` is after ``due`` in ``unit`` (negative: before)."""
    if unit == "working_days":
        return calendar.working_days_between(due, when)
    return (when - due).days


def judge(
    unit: CountUnit,
    due: date | None,
    done_on: date | None,
    today: date | None,
    calendar: BoardCalendar,
    thresholds: RagThresholds = RagThresholds(),
) -> Standing:
    """Done (met on or before ``due``, else missed), due, overdue or waiting.

    Without ``today`` a milestone not done is simply "due": whether it is
    overdue needs a day to ask on.
    """
    if done_on is not None:
        if due is None:
            return Standing("done", None, done_on, unit=unit)
        met = done_on <= due
        late = days_after(calendar, unit, due, done_on)
        # A working-day rule done on the weekend after a Friday deadline is
        # 0 working days late by the count, but late all the same.
        margin = -late if met else max(1, late)
        return Standing("done", due, done_on, met, margin, unit, "green" if met else "red")
    if due is None:
        return Standing("waiting", None, unit=unit)
    if today is None:
        return Standing("due", due, unit=unit)
    if today > due:
        return Standing("overdue", due, margin=max(1, days_after(calendar, unit, due, today)),
                        unit=unit, rag="red")
    left = calendar.working_days_between(today, due)
    rag: Rag = "red" if left <= thresholds.red else "amber" if left <= thresholds.amber else "green"
    return Standing("due", due, margin=left, unit="working_days", rag=rag)
