"""A regime as a whole, and the checks that its names point somewhere and never in a circle."""

from __future__ import annotations

from pydantic import (
    Field,
    ValidationInfo,
    model_validator,
)

from mailbot.deadlines.rules import (
    DEFAULT_CADENCE,
    ChaseCadence,
    Decision,
    EventDecl,
    MilestoneRule,
    RagThresholds,
    Slug,
    StrictModel,
    Vocabulary,
)
from mailbot.deadlines.stage2 import Stage2, stage2_problems


class Regime(StrictModel):
    id: Slug
    title: str
    guidance: str | None = None
    vocabulary: Vocabulary
    decisions: dict[Decision, str]
    events: dict[Slug, EventDecl]
    milestones: list[MilestoneRule] = Field(min_length=1)
    chasing: ChaseCadence = DEFAULT_CADENCE
    rag: RagThresholds = RagThresholds()
    #: After the decision: returns requested, milestone commands, publication, the Panel's challenge.
    stage2: Stage2 | None = None

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
    events = set(regime.events) | _derived_events(regime)
    for rule in regime.milestones:
        if rule.done_by is not None and rule.done_by not in events:
            problems.append((f"milestones[{rule.id}].done_by",
                             f"{rule.done_by!r} is not an event of this regime"))
    for name, event in regime.events.items():
        if event.fallback is not None and event.fallback not in names:
            problems.append((f"events.{name}.fallback",
                             f"{event.fallback!r} is not an event or milestone of this regime"))
        for other in event.not_before:
            if other not in events or other == name:
                problems.append((f"events.{name}.not_before",
                                 f"{other!r} is not another event of this regime"))
    problems += _cycle_problems(regime)
    problems += stage2_problems(regime.stage2, names, set(ids))
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
