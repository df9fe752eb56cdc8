"""Every milestone of both shipped regimes says met, missed or overdue, by how much, in its rule's unit.

Dates worked by hand: 21 Dec 2026 is a Monday; Christmas 2026 is Fri 25
with the Boxing Day substitute Mon 28; 1 Jan 2027 is a Friday; 21 Jan
2027 is a Thursday; Easter 2026 is Fri 3 / Mon 6 April.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from mailbot.calendar import BoardCalendar
from mailbot.deadlines import Milestone, judge, load_regime, timeline

ENG = BoardCalendar("england")

#: A case with every event a milestone is counted from, per regime.
BASE = {
    "wt2015": {"notified": date(2026, 3, 19), "referral_received": date(2026, 3, 19),
               "scoping_requested": date(2026, 3, 23), "decided": date(2026, 4, 16)},
    "wt2023": {"incident_learned": date(2026, 12, 21), "notified": date(2026, 12, 23),
               "scoping_requested": date(2026, 12, 23), "decided": date(2027, 1, 15)},
}


def every_milestone() -> list[tuple[str, str, str]]:
    out = []
    for regime_id in ("wt2015", "wt2023"):
        for rule in load_regime(regime_id).milestones:
            kinds = rule.applies_when.decision if rule.applies_when else ["scr"]
            out.append((regime_id, rule.id, kinds[0]))
    return out


def one(regime_id: str, decision: str, milestone_id: str, events=None, done=None) -> Milestone:
    regime = load_regime(regime_id)
    got = timeline(regime, ENG, events or BASE[regime_id], decision, done)
    (m,) = [m for m in got if m.id == milestone_id]
    return m


def done_on(regime_id: str, decision: str, milestone_id: str, when: date) -> Milestone:
    """The milestone with its work done on ``when``: its done_by event recorded, else marked done."""
    rule = load_regime(regime_id).milestone(milestone_id)
    if rule.done_by:
        events = {**BASE[regime_id], rule.done_by: when}
        return one(regime_id, decision, milestone_id, events)
    return one(regime_id, decision, milestone_id, done={milestone_id: when})


def unit_words(m: Milestone) -> str:
    return "working day" if m.unit == "working_days" else "day"


def step(m: Milestone, when: date, n: int) -> date:
    """``n`` of the rule's units after ``when`` (working days, or calendar days)."""
    return ENG.add_working_days(when, n) if m.unit == "working_days" else when + timedelta(days=n)


@pytest.mark.parametrize(("regime_id", "milestone_id", "decision"), every_milestone())
def test_every_milestone_is_met_early_met_on_the_day_missed_late_and_overdue(regime_id, milestone_id, decision):
    rule = load_regime(regime_id).milestone(milestone_id)
    undone = {k: v for k, v in BASE[regime_id].items() if k != rule.done_by}
    m = one(regime_id, decision, milestone_id, undone)
    assert m.due is not None and m.done_on is None, "every milestone is dated, not done, in the base case"
    assert one(regime_id, decision, milestone_id).due == m.due
    due, word = m.due, unit_words(m)
    later = due + timedelta(days=60)

    early = done_on(regime_id, decision, milestone_id, step(m, due, -3))
    assert early.due == due and early.done_on == step(m, due, -3)
    st = early.standing(later)
    assert (st.status, st.met, st.margin, st.rag) == ("done", True, 3, "green")
    assert st.describe() == f"done {step(m, due, -3):%d/%m/%Y}, met with 3 {word}s to spare"

    on_time = done_on(regime_id, decision, milestone_id, due).standing(later)
    assert (on_time.status, on_time.met, on_time.margin) == ("done", True, 0)
    assert on_time.describe() == f"done {due:%d/%m/%Y}, met on the day"

    late = done_on(regime_id, decision, milestone_id, step(m, due, 2)).standing(later)
    assert (late.status, late.met, late.margin, late.rag) == ("done", False, 2, "red")
    assert late.describe() == f"done {step(m, due, 2):%d/%m/%Y}, missed by 2 {word}s"
    assert late.missed

    overdue = m.standing(step(m, due, 4))
    assert (overdue.status, overdue.margin, overdue.rag) == ("overdue", 4, "red")
    assert overdue.describe() == f"overdue by 4 {word}s" and overdue.missed

    before = m.standing(ENG.add_working_days(ENG.on_or_before(due), -2))
    assert (before.status, before.margin) == ("due", 2)
    assert before.describe() == "due in 2 working days" and not before.missed


def test_the_parametrised_cases_cover_every_milestone_of_both_regimes():
    ids = {(r, m) for r, m, _ in every_milestone()}
    assert len(ids) == len(load_regime("wt2015").milestones) + len(load_regime("wt2023").milestones) == 23


# --- the Chair's decision: early, exactly on the deadline, late -------------------------


def chair_decision(decided: date | None) -> Milestone:
    events = {"notified": date(2026, 12, 21)}
    if decided:
        events["decided"] = decided
    return one("wt2015", "scr", "chair_decision", events)


def test_a_decision_recorded_before_the_deadline_is_met_not_a_red_countdown():
    m = chair_decision(date(2027, 1, 11))
    assert m.due == date(2027, 1, 21)  # one month after Mon 21 Dec
    st = m.standing(date(2027, 1, 20))
    assert st.describe() == "done 11/01/2027, met with 10 days to spare"
    assert st.rag == "green" and st.status == "done"


def test_a_decision_exactly_on_the_deadline_is_met():
    st = chair_decision(date(2027, 1, 21)).standing(date(2027, 2, 1))
    assert st.describe() == "done 21/01/2027, met on the day" and st.met


def test_a_decision_seven_weeks_late_is_missed_by_49_days_not_minus_38_working_days():
    st = chair_decision(date(2027, 3, 11)).standing(date(2027, 3, 20))
    assert st.describe() == "done 11/03/2027, missed by 49 days"
    assert (st.met, st.margin, st.unit, st.rag) == (False, 49, "days", "red")


def test_no_decision_yet_is_due_then_overdue():
    m = chair_decision(None)
    assert m.standing(date(2027, 1, 20)).describe() == "due in 1 working day"
    assert m.standing(date(2027, 1, 20)).rag == "red"
    assert m.standing(date(2027, 1, 21)).describe() == "due today"
    assert m.standing(date(2027, 1, 25)).describe() == "overdue by 4 days"


def test_a_working_day_rule_counts_working_days_over_christmas():
    # Decided Tue 22 Dec 2026: W23=1 T24=2 (F25, M28 off) T29=3 W30=4 T31=5.
    events = {"notified": date(2026, 12, 1), "decided": date(2026, 12, 22)}
    m = one("wt2015", "scr", "notify_scr_decision", events, done={"notify_scr_decision": date(2027, 1, 5)})
    assert m.due == date(2026, 12, 31)
    # After Thu 31 Dec: (F1 Jan off) M4=1 T5=2.
    assert m.standing(None).describe() == "done 05/01/2027, missed by 2 working days"
    early = one("wt2015", "scr", "notify_scr_decision", events, done={"notify_scr_decision": date(2026, 12, 24)})
    # Thu 24 to Thu 31: T29 W30 T31 = 3 working days to spare.
    assert early.standing(None).describe() == "done 24/12/2026, met with 3 working days to spare"


def test_done_on_the_weekend_after_a_friday_deadline_is_missed_by_a_working_day():
    st = judge("working_days", date(2027, 1, 15), date(2027, 1, 16), None, ENG)  # Fri due, Sat done
    assert st.describe() == "done 16/01/2027, missed by 1 working day"
    st = judge("working_days", date(2027, 1, 18), date(2027, 1, 16), None, ENG)  # Mon due, Sat done
    assert st.describe() == "done 16/01/2027, met with 1 working day to spare"


def test_a_rapid_review_decided_late_is_missed_by_working_days():
    events = {"notified": date(2026, 12, 23), "decided": date(2027, 1, 20)}
    st = one("wt2023", "scr", "rapid_review", events).standing(date(2027, 2, 1))
    assert st.describe() == "done 20/01/2027, missed by 2 working days"  # due Mon 18: T19 W20


def test_a_milestone_done_before_it_can_be_dated_says_done_without_a_verdict():
    # wt2023: the Panel told (notified) but when the local authority learned of it is not recorded.
    m = one("wt2023", "scr", "panel_notification", {"notified": date(2026, 12, 23)})
    assert m.due is None and m.done_on == date(2026, 12, 23)
    st = m.standing(date(2027, 1, 4))
    assert (st.status, st.met, st.describe()) == ("done", None, "done 23/12/2026")


# --- dating "before" rules and wt2023's order -------------------------------------------


def test_working_days_before_a_weekend_publication_count_from_the_friday_shown():
    events = {**BASE["wt2015"], "completed": date(2026, 10, 16), "publication": date(2026, 11, 15)}  # a Sunday
    m = one("wt2015", "scr", "report_to_panel", events)
    # Shown Fri 13 Nov: T12=1 W11=2 T10=3 M9=4 F6=5 T5=6 Wed 4=7 (from the Sunday it was Thu 5).
    assert m.due == date(2026, 11, 4)


def test_a_projected_weekend_publication_gives_the_same_date_as_the_digest_shows():
    events = {**BASE["wt2015"], "completed": date(2026, 10, 18)}  # Sunday: publish by Sun 15 Nov
    got = {m.id: m for m in timeline(load_regime("wt2015"), ENG, events, "scr")}
    assert got["publish_by"].due == date(2026, 11, 15) and got["publish_by"].shown_due() == date(2026, 11, 13)
    assert got["report_to_panel"].due == date(2026, 11, 4)


def test_wt2023_milestones_come_in_a_possible_order_whatever_the_decision_date():
    regime = load_regime("wt2023")
    for offset in range(0, 366, 3):
        decided = date(2027, 1, 4) + timedelta(days=offset)
        events = {"incident_learned": date(2026, 12, 21), "notified": date(2026, 12, 23), "decided": decided}
        got = [m for m in timeline(regime, ENG, events, "scr") if m.due]
        ids = [m.id for m in got]
        by_id = {m.id: m for m in got}
        assert ids.index("review_completion") < ids.index("report_to_panel"), decided
        assert by_id["report_to_panel"].due >= by_id["review_completion"].shown_due(), decided


def test_a_planned_publication_dates_the_report_to_the_panel_but_is_not_done():
    events = {**BASE["wt2015"], "completed": date(2026, 10, 16), "publication": date(2026, 11, 13)}
    got = {m.id: m for m in timeline(load_regime("wt2015"), ENG, events, "scr", planned={"publication"})}
    assert got["publish_by"].done_on is None and got["publish_by"].standing(date(2026, 11, 1)).status == "due"
    assert got["report_to_panel"].due == date(2026, 11, 4)  # 7 working days before Fri 13 Nov
    done = {m.id: m for m in timeline(load_regime("wt2015"), ENG, events, "scr")}
    assert done["publish_by"].standing(None).describe() == "done 13/11/2026, met on the day"
