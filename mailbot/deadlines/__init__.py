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
milestones, each done or not; ``Milestone.standing()`` says whether it was
met or missed and by how much (``standing``); ``check_order()`` refuses
dates that cannot be (``order``); ``chase_schedule()`` dates the reminders
for a return. All are pure: the clock and the calendar are passed in.

The parts: ``rules`` (the schema of offsets, events, milestone rules,
chasing and RAG), ``regime`` (a regime whole, with its reference checks),
``loading`` (files and board overrides) and ``timeline`` (dating).
"""

from mailbot.deadlines.loading import (
    REGIME_DIRS,
    MilestonePatch,
    RegimeOverrides,
    apply_overrides,
    available_regimes,
    load_regime,
    parse_regime,
    validation_problems,
)
from mailbot.deadlines.regime import Regime
from mailbot.deadlines.rules import (
    DEFAULT_CADENCE,
    AppliesWhen,
    ChaseCadence,
    ChaseStepRule,
    Decision,
    Direction,
    EventDecl,
    MilestoneRule,
    Offset,
    Rag,
    RagThresholds,
    Slug,
    Unit,
    Vocabulary,
)
from mailbot.deadlines.order import DateOrderError, check_order, order_problems
from mailbot.deadlines.standing import Standing, judge
from mailbot.deadlines.timeline import ChaseStep, Milestone, chase_schedule, recorded_events, timeline

__all__ = [
    "DEFAULT_CADENCE", "REGIME_DIRS", "AppliesWhen", "ChaseCadence", "ChaseStep", "ChaseStepRule",
    "DateOrderError", "Decision", "Direction", "EventDecl", "Milestone", "MilestonePatch",
    "MilestoneRule", "Offset", "Rag", "RagThresholds", "Regime", "RegimeOverrides", "Slug",
    "Standing", "Unit", "Vocabulary",
    "apply_overrides", "available_regimes", "chase_schedule", "check_order", "judge", "load_regime",
    "order_problems", "parse_regime", "recorded_events", "timeline", "validation_problems",
]
