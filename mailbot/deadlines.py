"""Deadline rules as data: regimes, milestones, chasing cadence.

A **regime** is one body of guidance a board works to (``wt2015``: the LSCB
serious case review process; ``wt2023``: safeguarding partnerships' rapid
reviews). It carries the words the bot uses ("LSCB" or "safeguarding
partnership"), the events a case records (notified, decided, ...), and the
milestone rules counted from them ("5 working days after the decision").
Regimes are YAML files in ``config/regimes/``; a board picks one and may
override parts of it in its own config (``apply_overrides``), so a board
that differs changes data, never code.

``timeline()`` turns a regime and a case's recorded events into dated
milestones; ``chase_schedule()`` dates the reminders for a return. Both are
pure: the clock and the calendar are passed in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, Mapping

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from mailbot.calendar import BoardCalendar
from mailbot.errors import ConfigError
from mailbot.records import ReviewKind

Decision = ReviewKind
Unit = Literal["working_days", "days", "weeks", "months"]
Direction = Literal["after", "before"]
Rag = Literal["red", "amber", "green", "grey"]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]

#: Where regime files live: the repo's config, then the copy inside a wheel.
REGIME_DIRS: tuple[Path, ...] = (
    Path(__file__).resolve().parents[1] / "config" / "regimes",
    Path(__file__).resolve().parent / "_bundled" / "config" / "regimes",
)

_OFFSET_TEXT = re.compile(
    r"^\s*(\d+)\s+(working[ _]days?|days?|weeks?|months?)(?:\s+(after|before))?\s*$", re.I
)
_UNIT_WORDS = {"working_days": "working day", "days": "day", "weeks": "week", "months": "month"}


class _Strict(BaseModel):
    """Config models refuse unknown keys: a typo must not pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --- the schema --------------------------------------------------------------


class Offset(_Strict):
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
        n = self.amount if self.direction == "after" else -self.amount
        if self.unit == "working_days":
            return calendar.add_working_days(anchor, n)
        if self.unit == "days":
            return calendar.add_days(anchor, n)
        if self.unit == "weeks":
            return calendar.add_weeks(anchor, n)
        return calendar.add_months(anchor, n)

    def describe(self) -> str:
        word = _UNIT_WORDS[self.unit]
        return f"{self.amount} {word}{'' if self.amount == 1 else 's'}"


class EventDecl(_Strict):
    """An event a case records. ``fallback`` (an event or milestone id) dates
    it while it is not recorded yet, so later milestones can be projected."""

    label: str = Field(min_length=1)
    fallback: str | None = None


class AppliesWhen(_Strict):
    decision: list[Decision] = Field(min_length=1)


class MilestoneRule(_Strict):
    id: Slug
    label: str = Field(min_length=1)
    anchor: str = Field(alias="from", min_length=1)
    offset: Offset
    applies_when: AppliesWhen | None = None
    statutory: bool = False
    chase: bool = False
    source: str | None = None


class RagThresholds(_Strict):
    """Working days left at or under which a milestone shows red / amber."""

    red: int = Field(default=1, ge=0)
    amber: int = Field(default=5, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> RagThresholds:
        if self.amber < self.red:
            raise ValueError(f"amber ({self.amber}) must be at least red ({self.red})")
        return self


class ChaseStepRule(_Strict):
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


class ChaseCadence(_Strict):
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

    @model_validator(mode="after")
    def _extras_are_words(self) -> Vocabulary:
        for key, value in (self.model_extra or {}).items():
            if not isinstance(value, str):
                raise ValueError(f"vocabulary.{key} must be text")
        return self


class Regime(_Strict):
    id: Slug
    title: str
    guidance: str | None = None
    vocabulary: Vocabulary
    decisions: dict[Decision, str]
    events: dict[Slug, EventDecl]
    milestones: list[MilestoneRule] = Field(min_length=1)
    chasing: ChaseCadence = DEFAULT_CADENCE
    rag: RagThresholds = RagThresholds()

    @model_validator(mode="after")
    def _references(self, info: ValidationInfo) -> Regime:
        if (info.context or {}).get("defer_reference_check"):
            return self
        problems = self.reference_problems()
        if problems:
            raise ValueError("; ".join(f"{key}: {reason}" for key, reason in problems))
        return self

    def reference_problems(self) -> list[tuple[str, str]]:
        """Names that point nowhere, duplicates and cycles, as (key, reason)."""
        return _reference_problems(self)

    def milestone(self, milestone_id: str) -> MilestoneRule:
        for rule in self.milestones:
            if rule.id == milestone_id:
                return rule
        raise KeyError(milestone_id)

    def anchor_label(self, name: str) -> str:
        """A noun phrase for an event or milestone ("the Chair's decision")."""
        if name in self.events:
            return self.events[name].label
        for rule in self.milestones:
            if rule.id == name:
                return rule.label
        kind = name.removesuffix("_decided")
        if kind in self.decisions:
            return f"the decision: {self.decisions[kind]}"  # type: ignore[index]
        return name.replace("_", " ")

    def describe(self, rule: MilestoneRule) -> str:
        """The rule in words: "5 working days after the Chair's decision"."""
        return f"{rule.offset.describe()} {rule.offset.direction} {self.anchor_label(rule.anchor)}"


def _derived_events(regime: Regime) -> set[str]:
    """``scr_decided`` etc.: the decision date, for a decision of that kind."""
    return {f"{kind}_decided" for kind in regime.decisions}


def _reference_problems(regime: Regime) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    ids = [rule.id for rule in regime.milestones]
    names = set(regime.events) | set(ids) | _derived_events(regime)
    for rule_id in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append((f"milestones[{rule_id}].id", "milestone id used more than once"))
    for rule_id in sorted(set(ids) & set(regime.events)):
        problems.append((f"milestones[{rule_id}].id", "also the name of an event"))
    for rule in regime.milestones:
        key = f"milestones[{rule.id}]"
        if rule.anchor not in names:
            problems.append((f"{key}.from", f"{rule.anchor!r} is not an event or milestone of "
                             f"this regime (known: {', '.join(sorted(names))})"))
        for kind in rule.applies_when.decision if rule.applies_when else []:
            if kind not in regime.decisions:
                problems.append((f"{key}.applies_when.decision",
                                 f"{kind!r} is not one of this regime's decisions"))
    for name, event in regime.events.items():
        if event.fallback is not None and event.fallback not in names:
            problems.append((f"events.{name}.fallback",
                             f"{event.fallback!r} is not an event or milestone of this regime"))
    problems += _cycle_problems(regime)
    return problems


def _cycle_problems(regime: Regime) -> list[tuple[str, str]]:
    """A milestone dated from itself, through anchors and fallbacks."""
    edges: dict[str, str] = {r.id: r.anchor for r in regime.milestones}
    edges |= {n: e.fallback for n, e in regime.events.items() if e.fallback}
    problems: list[tuple[str, str]] = []
    for rule in regime.milestones:
        seen, node = [rule.id], rule.anchor
        while node in edges and node not in seen:
            seen.append(node)
            node = edges[node]
        if node == rule.id:
            path = " -> ".join(seen + [node])
            problems.append((f"milestones[{rule.id}].from", f"dated from itself ({path})"))
    return problems


# --- loading and overriding ----------------------------------------------------


def available_regimes() -> list[str]:
    found = {p.stem for d in REGIME_DIRS if d.is_dir() for p in d.glob("*.yaml")}
    return sorted(found)


def _find_regime_file(name_or_path: str | Path) -> Path:
    text = str(name_or_path)
    if text.endswith((".yaml", ".yml")) or "/" in text or "\\" in text:
        path = Path(text)
        if not path.is_file():
            raise ConfigError(f"regime file {text} not found", [(text, "(file)", "file not found")])
        return path
    for directory in REGIME_DIRS:
        candidate = directory / f"{text}.yaml"
        if candidate.is_file():
            return candidate
    known = ", ".join(available_regimes()) or "none installed"
    reason = f"no regime called {text!r} (known: {known})"
    raise ConfigError(reason, [("", "regime", reason)])


def load_regime(name_or_path: str | Path) -> Regime:
    """Load a regime by name (``wt2015``) or from a YAML file path.

    Raises ``ConfigError`` whose ``problems`` list every (file, key, reason).
    """
    path = _find_regime_file(name_or_path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        reason = " ".join(str(err).split())
        raise ConfigError(f"{path}: {reason}", [(str(path), "(file)", reason)]) from err
    if not isinstance(data, dict):
        reason = "the file must be a mapping"
        raise ConfigError(f"{path}: {reason}", [(str(path), "(file)", reason)])
    regime = parse_regime(data, file=str(path))
    is_name = not str(name_or_path).endswith((".yaml", ".yml")) and path.stem == str(name_or_path)
    if is_name and regime.id != path.stem:
        reason = f"id {regime.id!r} differs from the file name {path.stem!r}"
        raise ConfigError(f"{path}: {reason}", [(str(path), "id", reason)])
    return regime


def parse_regime(
    data: Mapping[str, Any], *, file: str = "<regime>", key_prefix: str = ""
) -> Regime:
    """Validate a regime mapping, reporting every problem, not just the first."""
    try:
        draft = Regime.model_validate(data, context={"defer_reference_check": True})
    except ValidationError as err:
        problems = validation_problems(err, data, file=file, key_prefix=key_prefix)
        raise ConfigError(f"{file}: invalid regime", problems) from err
    problems = [
        (file, _join(key_prefix, key), reason) for key, reason in draft.reference_problems()
    ]
    if problems:
        raise ConfigError(f"{file}: invalid regime", problems)
    return draft


def validation_problems(
    err: ValidationError, data: Any, *, file: str, key_prefix: str = ""
) -> list[tuple[str, str, str]]:
    """Pydantic errors as (file, key, reason), milestones named by their id."""
    out = []
    for e in err.errors(include_url=False):
        key = _join(key_prefix, _format_loc(e["loc"], data))
        reason = e["msg"].removeprefix("Value error, ")
        shown = repr(e["input"]) if isinstance(e["input"], (str, int)) else None
        if shown and e["type"] not in ("missing", "extra_forbidden") and shown not in reason:
            reason += f" (got {shown})"
        out.append((file, key, reason))
    return out


def _format_loc(loc: tuple[Any, ...], data: Any) -> str:
    key, node = "", data
    for part in loc:
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and part < len(node) else None
            name = item.get("id") if isinstance(item, dict) else None
            key += f"[{name}]" if isinstance(name, str) and name else f"[{part}]"
            node = item
        else:
            key = f"{key}.{part}" if key else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return key


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix and key else prefix or key


def _unknown_milestones(
    regime: Regime, overrides: Mapping[str, Any], file: str, key_prefix: str
) -> list[tuple[str, str, str]]:
    """Overrides naming a milestone the regime does not have (a typo, usually)."""
    ids = {rule.id for rule in regime.milestones}
    known = ", ".join(sorted(ids))
    problems = []
    for kind in ("milestones", "remove_milestones"):
        wanted = overrides.get(kind)
        if not isinstance(wanted, (dict, list)):
            continue  # the schema reports the wrong type
        for rule_id in wanted:
            if isinstance(rule_id, str) and rule_id not in ids:
                reason = f"regime {regime.id} has no milestone {rule_id!r} (known: {known})"
                problems.append((file, f"{key_prefix}.{kind}.{rule_id}", reason))
    return problems


class MilestonePatch(_Strict):
    label: str | None = None
    anchor: str | None = Field(default=None, alias="from")
    offset: Offset | None = None
    applies_when: AppliesWhen | None = None
    statutory: bool | None = None
    chase: bool | None = None
    source: str | None = None


class RegimeOverrides(_Strict):
    """What a board may change in its regime without copying it."""

    title: str | None = None
    vocabulary: dict[str, str] = {}
    decisions: dict[Decision, str] = {}
    events: dict[Slug, EventDecl] = {}
    milestones: dict[str, MilestonePatch] = {}
    add_milestones: list[dict[str, Any]] = []
    remove_milestones: list[str] = []
    chasing: ChaseCadence | None = None
    rag: RagThresholds | None = None


def apply_overrides(
    regime: Regime,
    overrides: Mapping[str, Any] | None,
    *,
    file: str = "<board config>",
    key_prefix: str = "overrides",
) -> Regime:
    """The regime with a board's overrides applied, validated as a whole.

    ``milestones`` patches rules by id (only the keys given change);
    ``add_milestones`` / ``remove_milestones`` add or drop rules;
    ``vocabulary``, ``decisions`` and ``events`` merge key by key;
    ``chasing`` and ``rag`` replace the regime's.
    """
    if not overrides:
        return regime
    problems = _unknown_milestones(regime, overrides, file, key_prefix)
    try:
        patch = RegimeOverrides.model_validate(dict(overrides))
    except ValidationError as err:
        problems += validation_problems(err, overrides, file=file, key_prefix=key_prefix)
    if problems:
        raise ConfigError(f"{file}: invalid deadline overrides", problems)
    data = regime.model_dump(by_alias=True, exclude_none=True)
    rules = []
    for rule in data["milestones"]:
        if rule["id"] in patch.remove_milestones:
            continue
        if rule["id"] in patch.milestones:
            rule |= patch.milestones[rule["id"]].model_dump(by_alias=True, exclude_unset=True)
        rules.append(rule)
    data["milestones"] = rules + list(patch.add_milestones)
    for name in ("vocabulary", "decisions", "events"):
        data[name] = data[name] | patch.model_dump(by_alias=True, exclude_none=True)[name]
    for name in ("title", "chasing", "rag"):
        if name in patch.model_fields_set and getattr(patch, name) is not None:
            data[name] = patch.model_dump(by_alias=True, exclude_none=True)[name]
    return parse_regime(data, file=file, key_prefix=key_prefix)


# --- timelines -----------------------------------------------------------------


@dataclass(frozen=True)
class Milestone:
    """One dated (or not yet datable) milestone of a case."""

    id: str
    label: str
    due: date | None
    anchor: str
    anchor_date: date | None
    statutory: bool
    chase: bool
    rule: str
    projected: bool = False
    waiting_for: str | None = None
    applies_when: tuple[str, ...] = ()
    calendar: BoardCalendar | None = field(default=None, repr=False, compare=False)
    thresholds: RagThresholds = field(default=RagThresholds(), repr=False, compare=False)

    def shown_due(self) -> date | None:
        """The due date, moved back to a working day: where the digest shows it."""
        if self.due is None or self.calendar is None:
            return self.due
        return self.calendar.on_or_before(self.due)

    def working_days_left(self, today: date) -> int | None:
        """Working days from today to the due date; 0 on the day, < 0 overdue."""
        if self.due is None:
            return None
        return self._calendar().working_days_between(today, self.due)

    def rag(self, today: date, done_on: date | None = None) -> Rag:
        """Red when overdue or nearly; done on time is green, done late red."""
        if self.due is None:
            return "grey"
        if done_on is not None:
            return "green" if done_on <= self.due else "red"
        left = self.working_days_left(today)
        assert left is not None
        if today > self.due or left <= self.thresholds.red:
            return "red"
        return "amber" if left <= self.thresholds.amber else "green"

    def _calendar(self) -> BoardCalendar:
        if self.calendar is None:
            raise ValueError(f"milestone {self.id} has no calendar to count working days on")
        return self.calendar

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "due": self.due.isoformat() if self.due else None,
            "shown_due": (d.isoformat() if (d := self.shown_due()) else None),
            "anchor": self.anchor,
            "anchor_date": self.anchor_date.isoformat() if self.anchor_date else None,
            "statutory": self.statutory,
            "chase": self.chase,
            "rule": self.rule,
            "projected": self.projected,
            "waiting_for": self.waiting_for,
            "applies_when": list(self.applies_when),
        }


def timeline(
    regime: Regime,
    calendar: BoardCalendar,
    events: Mapping[str, date],
    decision: Decision | None = None,
) -> list[Milestone]:
    """Every milestone of a case, dated where its anchor is known.

    ``events`` holds what has happened (``notified``, ``decided``, ...).
    ``decision`` selects the milestones that apply; a ``scr_decided`` (etc.)
    event implies it. Milestones whose anchor is not recorded are projected
    from the event's ``fallback`` or left undated with ``waiting_for`` set.
    Dated milestones come first, in date order.
    """
    recorded = dict(events)
    if decision is None:
        kinds = [k for k in regime.decisions if f"{k}_decided" in recorded]
        decision = kinds[0] if len(kinds) == 1 else None
    if decision is not None:
        if "decided" in recorded:
            recorded.setdefault(f"{decision}_decided", recorded["decided"])
        elif f"{decision}_decided" in recorded:
            recorded["decided"] = recorded[f"{decision}_decided"]
    def applies(rule: MilestoneRule) -> bool:
        return not rule.applies_when or decision is None or decision in rule.applies_when.decision

    rules = {rule.id: rule for rule in regime.milestones if applies(rule)}
    memo: dict[str, tuple[date | None, bool, str | None]] = {}

    def resolve(name: str) -> tuple[date | None, bool, str | None]:
        """(date, projected, waiting_for) of an event or milestone."""
        if name in recorded:
            return recorded[name], False, None
        if name not in memo:
            memo[name] = (None, False, name)  # guards against a cycle
            if name in rules:
                m = dated(rules[name])
                memo[name] = (m.due, m.projected or m.due is not None, m.waiting_for)
            elif name in regime.events and regime.events[name].fallback:
                when, _, waiting = resolve(regime.events[name].fallback or "")
                memo[name] = (when, when is not None, waiting)
        return memo[name]

    def dated(rule: MilestoneRule) -> Milestone:
        kinds = tuple(rule.applies_when.decision) if rule.applies_when else ()
        anchor_date, projected, waiting = resolve(rule.anchor)
        if kinds and decision is None:
            anchor_date, projected, waiting = None, False, "decided"
        due = rule.offset.apply(calendar, anchor_date) if anchor_date else None
        return Milestone(
            id=rule.id, label=rule.label, due=due, anchor=rule.anchor, anchor_date=anchor_date,
            statutory=rule.statutory, chase=rule.chase, rule=regime.describe(rule),
            projected=projected, waiting_for=waiting, applies_when=kinds,
            calendar=calendar, thresholds=regime.rag,
        )

    out = [dated(rule) for rule in rules.values()]
    return sorted(out, key=lambda m: (m.due is None, m.due or date.min))


# --- chasing -------------------------------------------------------------------


@dataclass(frozen=True)
class ChaseStep:
    number: int
    date: date
    after_working_days: int
    remind_agency: bool
    copy_senior_manager: bool
    escalate_to_business_manager: bool
    template: str


def chase_schedule(cadence: ChaseCadence, calendar: BoardCalendar, due: date) -> list[ChaseStep]:
    """When to chase a return due on ``due``: working days only, one a day."""
    steps: list[ChaseStep] = []
    previous: date | None = None
    for number, rule in enumerate(cadence.steps, start=1):
        when = calendar.on_or_after(calendar.add_working_days(due, rule.after_working_days))
        if previous is not None and when <= previous:
            when = calendar.next_working_day(previous)
        steps.append(
            ChaseStep(
                number=number,
                date=when,
                after_working_days=rule.after_working_days,
                remind_agency=rule.remind_agency,
                copy_senior_manager=rule.copy_senior_manager,
                escalate_to_business_manager=rule.escalate_to_business_manager,
                template=rule.template
                or (f"chase-{number}" if rule.remind_agency else "escalation"),
            )
        )
        previous = when
    return steps
