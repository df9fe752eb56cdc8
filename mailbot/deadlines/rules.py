"""The schema of a regime's parts: offsets, events, milestone rules, chasing, RAG, vocabulary."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from mailbot.calendar import BoardCalendar
from mailbot.records import ReviewKind

Decision = ReviewKind
Unit = Literal["working_days", "days", "weeks", "months"]
Direction = Literal["after", "before"]
Rag = Literal["red", "amber", "green", "grey"]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]


_OFFSET_TEXT = re.compile(
    r"^\s*(\d+)\s+(working[ _]days?|days?|weeks?|months?)(?:\s+(after|before))?\s*$", re.I
)
_UNIT_WORDS = {"working_days": "working day", "days": "day", "weeks": "week", "months": "month"}



class StrictModel(BaseModel):
    """Config models refuse unknown keys: a typo must not pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --- the schema --------------------------------------------------------------


class Offset(StrictModel):
    """How far a milestone is from its anchor; also written "5 working days"."""

    amount: int = Field(ge=0, le=1000)
    unit: Unit
    direction: Direction = "after"

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        m = _OFFSET_TEXT.match(value)
        if not m:
            raise ValueError(
                "write an offset as '<number> <working days|days|weeks|months> [before]', "
                f"e.g. '5 working days', not {value!r}"
            )
        unit = m.group(2).lower().replace(" ", "_")
        unit = unit if unit.endswith("s") else unit + "s"
        direction = (m.group(3) or "after").lower()
        return {"amount": int(m.group(1)), "unit": unit, "direction": direction}

    def apply(self, calendar: BoardCalendar, anchor: date) -> date:
        """The date ``anchor`` plus (or minus) this offset on the board's calendar.

        "N working days before D" counts back from the date the board is shown
        for D (a weekend D shows on the Friday before): the safe side, and the
        date the digest shows agrees with the one counted from.
        """
        n = self.amount if self.direction == "after" else -self.amount
        if self.unit == "working_days":
            start = calendar.on_or_before(anchor) if n < 0 else anchor
            return calendar.add_working_days(start, n)
        if self.unit == "days":
            return calendar.add_days(anchor, n)
        if self.unit == "weeks":
            return calendar.add_weeks(anchor, n)
        return calendar.add_months(anchor, n)

    def describe(self) -> str:
        word = _UNIT_WORDS[self.unit]
        return f"{self.amount} {word}{'' if self.amount == 1 else 's'}"


class EventDecl(StrictModel):
    """An event a case records. ``fallback`` (an event or milestone id) dates
    it while it is not recorded yet, so later milestones can be projected."""

    label: str = Field(min_length=1)
    fallback: str | None = None
    #: Projected this far after ``fallback`` (publication: no sooner than the
    #: report to the Panel allows), not on the fallback's own date.
    fallback_offset: Offset | None = None
    #: Events this one cannot come before ("decided" not before "notified"):
    #: a date that does is refused, naming both.
    not_before: list[str] = []


class AppliesWhen(StrictModel):
    decision: list[Decision] = Field(min_length=1)


class MilestoneRule(StrictModel):
    id: Slug
    label: str = Field(min_length=1)
    anchor: str = Field(alias="from", min_length=1)
    offset: Offset
    applies_when: AppliesWhen | None = None
    statutory: bool = False
    chase: bool = False
    source: str | None = None
    #: The event whose recording marks this milestone done ("chair_decision"
    #: is done when "decided" is recorded). Milestones met by something else
    #: (a notification sent) are marked done by whoever knows.
    done_by: str | None = None


class RagThresholds(StrictModel):
    """Working days left at or under which a milestone shows red / amber."""

    red: int = Field(default=1, ge=0)
    amber: int = Field(default=5, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> RagThresholds:
        if self.amber < self.red:
            raise ValueError(f"amber ({self.amber}) must be at least red ({self.red})")
        return self


class ChaseStepRule(StrictModel):
    after_working_days: int = Field(ge=0, le=100)
    remind_agency: bool = True
    copy_senior_manager: bool = False
    escalate_to_business_manager: bool = False
    template: str | None = None

    @model_validator(mode="after")
    def _does_something(self) -> ChaseStepRule:
        if not (self.remind_agency or self.escalate_to_business_manager):
            raise ValueError("a step must remind the agency or escalate to the business manager")
        return self


class ChaseCadence(StrictModel):
    steps: list[ChaseStepRule] = Field(min_length=1)

    @field_validator("steps")
    @classmethod
    def _increasing(cls, steps: list[ChaseStepRule]) -> list[ChaseStepRule]:
        days = [s.after_working_days for s in steps]
        if any(b <= a for a, b in zip(days, days[1:])):
            raise ValueError(f"after_working_days must strictly increase (got {days})")
        return steps


DEFAULT_CADENCE = ChaseCadence(
    steps=[
        ChaseStepRule(after_working_days=2),
        ChaseStepRule(after_working_days=5, copy_senior_manager=True),
        ChaseStepRule(
            after_working_days=7, remind_agency=False, escalate_to_business_manager=True
        ),
    ]
)


class Vocabulary(BaseModel):
    """Words for emails and the digest; extra keys are allowed for templates."""

    model_config = ConfigDict(extra="allow", frozen=True)

    board: str
    board_short: str
    review: str
    review_short: str
    initial_review: str
    panel: str
    decision_maker: str
    #: The board's group that considers a case and recommends to the decision maker
    #: ("Learning and Improvement Sub-Group (LISG)"); starts a sentence as written.
    subgroup: str = "sub-group"
    #: What the board calls a review other than the statutory one ("Child Protection Incident Review").
    alternative_review: str = "alternative review"
    #: A one-word name the decision maker may reply with for it ("CPIR"); none: only
    #: ``ALTERNATIVE REVIEW: <type>`` is understood.
    alternative_review_short: str | None = None

    @model_validator(mode="after")
    def _extras_are_words(self) -> Vocabulary:
        for key, value in (self.model_extra or {}).items():
            if not isinstance(value, str):
                raise ValueError(f"vocabulary.{key} must be text")
        return self
