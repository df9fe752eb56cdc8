"""Whole-case timelines of the shipped regimes, every date worked out by hand.

Reference points: 1 Jan 2026 is a Thursday; Easter 2026 is Fri 3 / Mon 6
April; Christmas 2026: Fri 25 Dec, Boxing Day substitute Mon 28 Dec; 1 Jan
2027 is a Friday; 12 July 2027 (a Monday) is a holiday only in Northern
Ireland.
"""

from __future__ import annotations

from datetime import date

import pytest

from mailbot.calendar import BoardCalendar
from mailbot.deadlines import available_regimes, load_regime, timeline

ENG = BoardCalendar("england")


def dues(milestones):
    return {m.id: m.due for m in milestones}


def test_both_regimes_ship_and_carry_their_words():
    assert {"wt2015", "wt2023"} <= set(available_regimes())
    old, new = load_regime("wt2015"), load_regime("wt2023")
    assert (old.vocabulary.board_short, old.vocabulary.review) == ("LSCB", "serious case review")
    assert new.vocabulary.board == "safeguarding partnership"
    assert new.vocabulary.initial_review == "rapid review"
    assert old.id == "wt2015" and new.id == "wt2023"


def test_wt2015_scr_case():
    regime = load_regime("wt2015")
    events = {
        "notified": date(2026, 3, 19),  # Thursday
        "scoping_requested": date(2026, 3, 23),  # Monday
        "decided": date(2026, 4, 16),  # Thursday
    }
    got = timeline(regime, ENG, events, decision="scr")
    assert dues(got) == {
        # Tue 24=1 W=2 T=3 F=4 M30=5 T31=6 W1=7 T2=8, Easter off, Tue 7=9, Wed 8=10.
        "scoping_returns": date(2026, 4, 8),
        # Referral taken as the notification: 19 Mar + 4 weeks.
        "subgroup_meeting": date(2026, 4, 16),
        # One month: 19 April, a Sunday, stays there.
        "chair_decision": date(2026, 4, 19),
        # Fri 17=1 Mon 20=2 Tue 21=3 Wed 22=4 Thu 23=5.
        "notify_scr_decision": date(2026, 4, 23),
        # Swindon's weeks from the referral (19 Mar): 5, 6, 9, 11, 14, 20, 22, 28.
        "agencies_informed": date(2026, 4, 23),
        "panel_meetings_arranged": date(2026, 4, 30),
        "chronologies": date(2026, 5, 21),
        "management_reports": date(2026, 6, 4),
        "first_draft": date(2026, 6, 25),
        "draft_to_board": date(2026, 8, 6),
        "final_report": date(2026, 8, 20),
        "action_plans": date(2026, 10, 1),
        # 16 Apr + 6 months = Fri 16 Oct; + 28 days = Fri 13 Nov.
        "scr_completion": date(2026, 10, 16),
        "publish_by": date(2026, 11, 13),
        # 7 working days before Fri 13 Nov: Thu 12=1 ... Wed 4 Nov=7.
        "report_to_panel": date(2026, 11, 4),
    }
    # In date order, ties in file order.
    assert [m.due for m in got] == sorted(m.due for m in got)
    by_id = {m.id: m for m in got}
    assert by_id["notify_scr_decision"].statutory and not by_id["subgroup_meeting"].statutory
    assert by_id["notify_scr_decision"].rule == "5 working days after the Chair's decision"
    assert by_id["chair_decision"].rule == "1 month after the notification"
    assert by_id["chair_decision"].shown_due() == date(2026, 4, 17)
    assert not by_id["scoping_returns"].projected  # requests were recorded
    assert by_id["subgroup_meeting"].projected  # referral date assumed
    assert by_id["report_to_panel"].projected and by_id["report_to_panel"].statutory
    assert by_id["scoping_returns"].chase and by_id["chronologies"].chase


def test_wt2015_recorded_completion_and_publication_replace_projections():
    regime = load_regime("wt2015")
    events = {
        "notified": date(2026, 3, 19),
        "decided": date(2026, 4, 16),
        "completed": date(2026, 11, 2),  # Monday
        "publication": date(2026, 12, 1),  # Tuesday
    }
    by_id = {m.id: m for m in timeline(regime, ENG, events, decision="scr")}
    assert by_id["publish_by"].due == date(2026, 11, 30)  # 2 Nov + 28 days
    # Before Tue 1 Dec: Mon 30=1 Fri 27=2 Thu 26=3 Wed 25=4 Tue 24=5 Mon 23=6 Fri 20=7.
    assert by_id["report_to_panel"].due == date(2026, 11, 20)
    assert not by_id["report_to_panel"].projected


def test_wt2015_no_review_case_drops_the_scr_milestones():
    regime = load_regime("wt2015")
    events = {"notified": date(2026, 3, 19), "decided": date(2026, 4, 13)}
    got = timeline(regime, ENG, events, decision="no_review")
    assert dues(got) == {
        # 19 Mar + 10: F20 M23 T24 W25 T26 F27 M30 T31 W1 T2 -> Thu 2 Apr.
        "scoping_returns": date(2026, 4, 2),
        "subgroup_meeting": date(2026, 4, 16),
        "chair_decision": date(2026, 4, 19),
        # 14 calendar days from Mon 13 Apr.
        "notify_no_scr_decision": date(2026, 4, 27),
    }


def test_a_decided_event_of_a_kind_implies_the_decision():
    regime = load_regime("wt2015")
    events = {"notified": date(2026, 3, 19), "no_review_decided": date(2026, 4, 13)}
    got = timeline(regime, ENG, events)
    assert dues(got)["notify_no_scr_decision"] == date(2026, 4, 27)
    assert "scr_completion" not in dues(got)


def test_wt2015_before_the_decision_lists_what_waits_for_it():
    regime = load_regime("wt2015")
    got = timeline(regime, ENG, {"notified": date(2026, 3, 19)})
    dated = [m.id for m in got if m.due]
    assert dated == ["scoping_returns", "subgroup_meeting", "chair_decision"]
    waiting = {m.id: m.waiting_for for m in got if not m.due}
    assert waiting["notify_scr_decision"] == "decided"
    assert waiting["notify_no_scr_decision"] == "decided"
    assert got[-1].due is None  # undated ones come last
    assert {m.id for m in got} == {r.id for r in regime.milestones}


def test_wt2023_case_over_christmas():
    regime = load_regime("wt2023")
    events = {
        "incident_learned": date(2026, 12, 21),  # Monday
        "notified": date(2026, 12, 23),  # Wednesday
        "decided": date(2027, 1, 15),  # Friday
    }
    got = timeline(regime, ENG, events, decision="scr")
    assert dues(got) == {
        # Tue 22=1 Wed 23=2 Thu 24=3 (Fri 25, Mon 28 off) Tue 29=4 Wed 30=5.
        "panel_notification": date(2026, 12, 30),
        # Thu 24=1 Tue 29=2 Wed 30=3 Thu 31=4 (Fri 1 Jan off) Mon 4 Jan=5.
        "agency_returns": date(2027, 1, 4),
        # ... Mon 4=5 T5=6 W6=7 T7=8 F8=9 M11=10 T12=11 W13=12 T14=13 F15=14 Mon 18=15.
        "rapid_review": date(2027, 1, 18),
        # 15 Jan + 6 months = Thu 15 Jul 2027.
        "review_completion": date(2027, 7, 15),
        # Stage 2: chronologies 6 weeks and reports 10 weeks after Fri 15 Jan.
        "agency_chronologies": date(2027, 2, 26),
        "agency_reports": date(2027, 3, 26),
        # Publication projected 7 working days after completion (F16 M19 T20 W21
        # T22 F23 Mon 26), so the report to the Panel falls on completion day,
        # after it in the list: never before the review it reports is done.
        "report_to_panel": date(2027, 7, 15),
    }
    assert [m.id for m in got][-2:] == ["review_completion", "report_to_panel"]
    assert {m.id for m in got if m.statutory} == {
        "panel_notification", "rapid_review", "review_completion", "report_to_panel",
    }


def test_wt2023_no_review_keeps_only_the_rapid_review_milestones():
    regime = load_regime("wt2023")
    events = {"notified": date(2026, 12, 23), "decided": date(2027, 1, 15)}
    got = timeline(regime, ENG, events, decision="no_review")
    assert set(dues(got)) == {"panel_notification", "agency_returns", "rapid_review"}
    waiting = {m.id: m.waiting_for for m in got if m.due is None}
    assert waiting == {"panel_notification": "incident_learned"}


@pytest.mark.parametrize("region", ["england", "wales"])
def test_the_same_case_in_wales(region):
    regime = load_regime("wt2023")
    got = timeline(regime, BoardCalendar(region), {"notified": date(2026, 12, 23)})
    assert dues(got)["rapid_review"] == date(2027, 1, 18)


def test_an_extra_bank_holiday_moves_working_day_milestones_only():
    regime = load_regime("wt2015")
    cal = BoardCalendar("england", extra_holidays=[date(2026, 4, 20)])  # Monday
    events = {"notified": date(2026, 3, 19), "decided": date(2026, 4, 16)}
    by_id = dues(timeline(regime, cal, events, "scr"))
    # Fri 17=1 (Mon 20 off) Tue 21=2 Wed 22=3 Thu 23=4 Fri 24=5.
    assert by_id["notify_scr_decision"] == date(2026, 4, 24)
    assert by_id["chair_decision"] == date(2026, 4, 19)  # calendar month unchanged


def test_a_milestone_dated_from_one_that_does_not_apply_stays_undated():
    from mailbot.deadlines import apply_overrides

    regime = apply_overrides(load_regime("wt2015"), {"add_milestones": [{
        "id": "learning_event", "label": "Learning event", "from": "scr_completion",
        "offset": "4 weeks",
    }]})
    events = {"notified": date(2026, 3, 19), "decided": date(2026, 4, 13)}
    (m,) = [m for m in timeline(regime, ENG, events, "no_review") if m.id == "learning_event"]
    assert m.due is None and m.waiting_for == "scr_completion"
    (m,) = [m for m in timeline(regime, ENG, events, "scr") if m.id == "learning_event"]
    assert m.due == date(2026, 11, 10)  # 13 Apr + 6 months = Tue 13 Oct, + 4 weeks
