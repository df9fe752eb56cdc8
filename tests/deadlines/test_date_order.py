"""Dates that cannot be are refused with one line naming both: in the rules, and on the command line."""

from __future__ import annotations

from datetime import date

import pytest

from mailbot.calendar import BoardCalendar
from mailbot.deadlines import DateOrderError, apply_overrides, check_order, load_regime, order_problems
from mailbot.errors import ConfigError
from tests.deadlines.test_timeline_cli import parse

ENG = BoardCalendar("england")
CASE = {"notified": date(2026, 3, 19), "referral_received": date(2026, 3, 20),
        "scoping_requested": date(2026, 3, 23), "decided": date(2026, 4, 16)}


def problems(regime_id: str, events: dict, decision: str | None = "scr", done=None, only=None) -> list[str]:
    return order_problems(load_regime(regime_id), ENG, events, decision, done, only)


@pytest.mark.parametrize("regime_id", ["wt2015", "wt2023"])
def test_a_case_in_order_has_no_problems(regime_id):
    events = {**CASE, "returns_in": date(2026, 4, 7), "completed": date(2026, 10, 1),
              "publication": date(2026, 10, 29)}
    assert problems(regime_id, events, done={"report_to_panel": date(2026, 10, 19)}) == []


def test_a_decision_before_its_notification():
    events = {**CASE, "notified": date(2026, 4, 20)}
    assert problems("wt2015", events) == [
        "The Chair's decision (16/04/2026) is dated before the notification (20/04/2026): one of the dates is wrong"]
    with pytest.raises(DateOrderError) as err:
        check_order(load_regime("wt2015"), ENG, events, "scr")
    assert "\n" not in str(err.value) and "16/04/2026" in str(err.value)


def test_a_decision_of_a_kind_before_its_notification():
    events = {"notified": date(2026, 4, 20), "no_review_decided": date(2026, 4, 16)}
    assert problems("wt2023", events, None) == [
        "The partnership's decision (16/04/2026) is dated before the serious incident notification "
        "(20/04/2026): one of the dates is wrong"]


@pytest.mark.parametrize("regime_id", ["wt2015", "wt2023"])
def test_a_publication_before_completion(regime_id):
    events = {**CASE, "completed": date(2026, 10, 1), "publication": date(2026, 9, 30)}
    assert problems(regime_id, events) == [
        "Publication (30/09/2026) is dated before completion of the review (01/10/2026): one of the dates is wrong"]


def test_a_completion_before_the_decision():
    events = {**CASE, "completed": date(2026, 4, 15)}
    assert problems("wt2015", events) == [
        "Completion of the review (15/04/2026) is dated before the Chair's decision (16/04/2026): "
        "one of the dates is wrong"]


@pytest.mark.parametrize("regime_id", ["wt2015", "wt2023"])
def test_a_decision_before_the_case_opened(regime_id):
    events = {**CASE, "referral_received": date(2026, 4, 17)}
    (line,) = problems(regime_id, events)
    assert line.endswith("(16/04/2026) is dated before the referral (17/04/2026): one of the dates is wrong")


def test_returns_in_before_they_were_asked_for():
    events = {**CASE, "returns_in": date(2026, 3, 22)}
    assert problems("wt2015", events) == [
        "The last scoping return (22/03/2026) is dated before the scoping requests (23/03/2026): "
        "one of the dates is wrong"]


def test_the_panel_told_before_the_incident_was_learned_of():
    events = {"incident_learned": date(2026, 12, 21), "notified": date(2026, 12, 18)}
    (line,) = problems("wt2023", events, None)
    assert line.startswith("The serious incident notification (18/12/2026) is dated before the local authority")


def test_a_milestone_marked_done_before_what_it_is_counted_from():
    assert problems("wt2015", CASE, done={"notify_scr_decision": date(2026, 4, 15)}) == [
        "Ofsted, DfE and the National Panel told of the SCR decision (done) (15/04/2026) is dated before "
        "the Chair's decision (16/04/2026): one of the dates is wrong"]
    # Counted from the referral (Swindon's weeks): done before the case opened.
    assert problems("wt2015", CASE, done={"chronologies": date(2026, 3, 19)}) == [
        "Agency chronologies due (done) (19/03/2026) is dated before the referral (20/03/2026): "
        "one of the dates is wrong"]
    # "7 working days before publication" is done before publication: that is the point.
    events = {**CASE, "completed": date(2026, 10, 1), "publication": date(2026, 10, 29)}
    assert problems("wt2015", events, done={"report_to_panel": date(2026, 10, 2)}) == []


def test_only_the_dates_being_entered_are_checked():
    events = {**CASE, "returns_in": date(2026, 3, 22)}  # already wrong on file
    assert problems("wt2015", events, only={"decided"}) == []
    assert len(problems("wt2015", {**events, "notified": date(2026, 4, 20)}, only={"decided"})) == 1


def test_not_before_and_done_by_must_name_events():
    with pytest.raises(ConfigError) as err:
        apply_overrides(load_regime("wt2015"), {
            "events": {"decided": {"label": "the decision", "not_before": ["notifed"]}},
            "milestones": {"chair_decision": {"done_by": "decison"}}})
    keys = {key for _, key, _ in err.value.problems}
    assert keys == {"overrides.events.decided.not_before", "overrides.milestones[chair_decision].done_by"}


# --- the command line --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["--notified", "21/12/2026", "--decided", "18/12/2026", "--decision", "scr"],
         "The Chair's decision (18/12/2026) is dated before the notification (21/12/2026)"),
        (["--notified", "21/12/2026", "--decided", "11/01/2027", "--decision", "scr",
          "--event", "completed=2027-07-01", "--event", "publication=2027-06-30"],
         "Publication (30/06/2027) is dated before completion of the review (01/07/2027)"),
        (["--notified", "21/12/2026", "--decided", "11/01/2027", "--decision", "scr",
          "--event", "referral_received=2027-01-12"],
         "The Chair's decision (11/01/2027) is dated before the referral (12/01/2027)"),
        (["--notified", "21/12/2026", "--decided", "11/01/2027", "--decision", "scr",
          "--done", "notify_scr_decision=2027-01-08"],
         "told of the SCR decision (done) (08/01/2027) is dated before the Chair's decision (11/01/2027)"),
    ],
)
def test_the_timeline_command_refuses_dates_out_of_order_in_one_line(argv, line, capsys):
    from mailbot.commands import timeline as cmd

    assert cmd.run(parse(["--regime", "wt2015", *argv])) == 2
    out = capsys.readouterr()
    assert out.out == "" and line in out.err and len(out.err.strip().splitlines()) == 1


def test_the_timeline_command_refuses_an_unknown_milestone(capsys):
    from mailbot.commands import timeline as cmd

    args = parse(["--regime", "wt2015", "--notified", "21/12/2026", "--done", "chair_decison=2027-01-08"])
    assert cmd.run(args) == 2
    assert "no milestone 'chair_decison'" in capsys.readouterr().err
