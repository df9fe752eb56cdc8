"""When returns are chased, and how a milestone's colour is decided."""

from __future__ import annotations

from datetime import date

import pytest

from mailbot.calendar import BoardCalendar
from mailbot.deadlines import (
    DEFAULT_CADENCE,
    ChaseCadence,
    Milestone,
    RagThresholds,
    chase_schedule,
    load_regime,
    timeline,
)

ENG = BoardCalendar("england")


def plan(steps):
    return [
        (s.number, s.date, s.copy_senior_manager, s.escalate_to_business_manager) for s in steps
    ]


def test_default_cadence_over_christmas():
    # Due Thu 24 Dec 2026. +2: Tue 29=1 Wed 30=2. +5: Thu 31=3 (Fri 1 Jan off)
    # Mon 4=4 Tue 5=5. +7: Wed 6=6 Thu 7=7.
    steps = chase_schedule(DEFAULT_CADENCE, ENG, date(2026, 12, 24))
    assert plan(steps) == [
        (1, date(2026, 12, 30), False, False),
        (2, date(2027, 1, 5), True, False),
        (3, date(2027, 1, 7), False, True),
    ]
    assert [s.remind_agency for s in steps] == [True, True, False]
    assert [s.template for s in steps] == ["chase-1", "chase-2", "escalation"]


def test_default_cadence_over_easter():
    # Due Thu 2 Apr 2026: Tue 7=1 Wed 8=2; Thu 9=3 Fri 10=4 Mon 13=5; Tue 14=6 Wed 15=7.
    steps = chase_schedule(DEFAULT_CADENCE, ENG, date(2026, 4, 2))
    assert [s.date for s in steps] == [date(2026, 4, 8), date(2026, 4, 13), date(2026, 4, 15)]


def test_chasing_a_deadline_that_fell_on_a_bank_holiday():
    # A 11-week deadline landing on Easter Monday 6 Apr 2026: Tue 7=1, Wed 8=2.
    steps = chase_schedule(DEFAULT_CADENCE, ENG, date(2026, 4, 6))
    assert steps[0].date == date(2026, 4, 8)


def test_chases_never_fall_on_a_non_working_day_nor_twice_a_day():
    cadence = ChaseCadence.model_validate(
        {"steps": [{"after_working_days": 0}, {"after_working_days": 1}]}
    )
    # Due Saturday 10 Jan 2026: the day-0 reminder waits for Monday 12th, and
    # "+1 working day" (also Monday) moves to Tuesday so nobody gets two.
    steps = chase_schedule(cadence, ENG, date(2026, 1, 10))
    assert [s.date for s in steps] == [date(2026, 1, 12), date(2026, 1, 13)]
    for s in chase_schedule(DEFAULT_CADENCE, ENG, date(2026, 12, 24)):
        assert ENG.is_working_day(s.date)


def test_wt2023_chases_inside_the_rapid_review():
    regime = load_regime("wt2023")
    # Returns due Mon 4 Jan 2027: +1 Tue 5, +3 Thu 7, +4 Fri 8; rapid review due Mon 18.
    steps = chase_schedule(regime.chasing, ENG, date(2027, 1, 4))
    assert plan(steps) == [
        (1, date(2027, 1, 5), False, False),
        (2, date(2027, 1, 7), True, False),
        (3, date(2027, 1, 8), False, True),
    ]


@pytest.mark.parametrize(
    "steps",
    [
        [{"after_working_days": 5}, {"after_working_days": 2}],
        [{"after_working_days": 2}, {"after_working_days": 2}],
    ],
)
def test_a_cadence_must_move_forward(steps):
    with pytest.raises(ValueError, match="strictly increase"):
        ChaseCadence.model_validate({"steps": steps})


def test_a_step_that_does_nothing_is_refused():
    with pytest.raises(ValueError, match="remind the agency or escalate"):
        ChaseCadence.model_validate({"steps": [{"after_working_days": 2, "remind_agency": False}]})


# --- RAG ------------------------------------------------------------------------


def scoping_returns() -> Milestone:
    regime = load_regime("wt2015")
    events = {"notified": date(2026, 3, 19), "scoping_requested": date(2026, 3, 23)}
    (m,) = [m for m in timeline(regime, ENG, events) if m.id == "scoping_returns"]
    assert m.due == date(2026, 4, 8)
    return m


@pytest.mark.parametrize(
    ("today", "left", "colour"),
    [
        (date(2026, 3, 25), 8, "green"),  # T26 F27 M30 T31 W1 T2 T7 W8
        (date(2026, 3, 27), 6, "green"),
        (date(2026, 3, 30), 5, "amber"),
        (date(2026, 4, 2), 2, "amber"),  # Easter in between
        (date(2026, 4, 3), 2, "amber"),  # Good Friday itself
        (date(2026, 4, 7), 1, "red"),
        (date(2026, 4, 8), 0, "red"),  # due today
        (date(2026, 4, 9), -1, "red"),  # overdue
    ],
)
def test_rag_by_working_days_left(today, left, colour):
    m = scoping_returns()
    assert m.working_days_left(today) == left
    assert m.rag(today) == colour


def test_rag_when_done():
    m = scoping_returns()
    assert m.rag(date(2026, 4, 20), done_on=date(2026, 4, 8)) == "green"
    assert m.rag(date(2026, 4, 20), done_on=date(2026, 4, 9)) == "red"


def test_a_weekend_deadline_is_red_on_the_friday_before():
    regime = load_regime("wt2015")
    got = timeline(regime, ENG, {"notified": date(2026, 3, 19)})
    (m,) = [m for m in got if m.id == "chair_decision"]
    assert m.due == date(2026, 4, 19)  # Sunday
    assert m.working_days_left(date(2026, 4, 17)) == 0
    assert m.rag(date(2026, 4, 17)) == "red"
    assert m.rag(date(2026, 4, 10)) == "amber"  # M13 T14 W15 T16 F17 = 5


def test_undated_milestones_are_grey():
    regime = load_regime("wt2015")
    m = [m for m in timeline(regime, ENG, {"notified": date(2026, 3, 19)}) if m.due is None][0]
    assert m.rag(date(2026, 3, 20)) == "grey"
    assert m.working_days_left(date(2026, 3, 20)) is None


def test_rag_thresholds_come_from_the_regime():
    m = scoping_returns()
    tight = Milestone(**{**m.__dict__, "thresholds": RagThresholds(red=0, amber=2)})
    assert tight.rag(date(2026, 4, 7)) == "amber"  # 1 left
    assert tight.rag(date(2026, 4, 8)) == "red"  # 0 left
    assert tight.rag(date(2026, 3, 31)) == "green"  # 4 left
    assert load_regime("wt2023").rag.amber == 3


def test_amber_below_red_is_refused():
    with pytest.raises(ValueError, match="amber"):
        RagThresholds(red=3, amber=1)
