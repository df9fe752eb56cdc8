"""``mailbot timeline``: the admin's check of a board's deadline rules."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

from mailbot.calendar import BoardCalendar
from mailbot.commands import timeline as cmd
from mailbot.deadlines import apply_overrides, load_regime

REPO = Path(__file__).resolve().parents[2]


def parse(argv: list[str]) -> argparse.Namespace:
    """Parse as the real ``mailbot`` command would, through add_parser."""
    parser = argparse.ArgumentParser(prog="mailbot")
    cmd.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["timeline", *argv])


def run_json(argv: list[str], capsys) -> dict:
    args = parse([*argv, "--json"])
    assert args.func is cmd.run
    assert cmd.run(args) == 0
    return json.loads(capsys.readouterr().out)


def test_json_timeline_for_an_scr(capsys):
    out = run_json(
        ["--regime", "wt2015", "--notified", "19/03/2026", "--decided", "16/04/2026",
         "--decision", "scr", "--event", "scoping_requested=23/03/2026"],
        capsys,
    )
    assert out["regime"] == "wt2015" and out["region"] == "england" and out["board"] is None
    rows = {r["id"]: r for r in out["milestones"]}
    assert rows["scoping_returns"]["due"] == "2026-04-08"
    assert [c["date"] for c in rows["scoping_returns"]["chases"]] == [
        # From Wed 8 Apr: T9=1 F10=2; M13=3 T14=4 W15=5; T16=6 F17=7.
        "2026-04-10", "2026-04-15", "2026-04-17",
    ]
    assert rows["notify_scr_decision"]["due"] == "2026-04-23"
    assert rows["notify_scr_decision"]["statutory"] is True
    assert rows["chair_decision"] == {
        **rows["chair_decision"],
        "due": "2026-04-19", "weekday": "Sunday", "working_day": False,
        "shown_due": "2026-04-17", "rule": "1 month after the notification",
    }
    assert rows["report_to_panel"]["due"] == "2026-11-04"
    assert "notify_no_scr_decision" not in rows


def test_british_dates_are_day_first(capsys):
    out = run_json(["--regime", "wt2023", "--notified", "03/04/2026"], capsys)
    assert out["events"]["notified"] == "2026-04-03"
    rows = {r["id"]: r for r in out["milestones"]}
    # Fri 3 Apr (Good Friday) + 15: T7 W8 T9 F10 M13 ... Mon 27 Apr = 15.
    assert rows["rapid_review"]["due"] == "2026-04-27"


def test_iso_dates_and_today_give_rag(capsys):
    out = run_json(
        ["--regime", "wt2023", "--notified", "2026-12-23", "--today", "2027-01-14"], capsys
    )
    rows = {r["id"]: r for r in out["milestones"]}
    assert rows["rapid_review"]["due"] == "2027-01-18"
    assert rows["rapid_review"]["working_days_left"] == 2  # Fri 15, Mon 18
    assert rows["rapid_review"]["rag"] == "amber"
    assert rows["agency_returns"]["rag"] == "red"  # overdue since 4 Jan


def test_the_table(capsys):
    args = parse(["--regime", "wt2015", "--notified", "2026-03-19"])
    assert cmd.run(args) == 0
    out = capsys.readouterr().out
    assert "Regime wt2015" in out
    assert "Thu 02/04/2026  ~ Scoping returns due from agencies" in out
    assert "10 working days after the scoping requests" in out
    # From Thu 2 Apr over Easter: T7=1 W8=2; T9=3 F10=4 M13=5; T14=6 W15=7.
    assert "chase 1: Wed 08/04/2026, reminder\n" in out
    assert "chase 2: Mon 13/04/2026, reminder, copy senior manager" in out
    assert "chase 3: Wed 15/04/2026, tell business manager" in out
    assert "Sun 19/04/2026 *  Chair's decision on a serious case review" in out
    assert "[Sunday; shown Fri 17/04/2026]" in out
    assert "Not dated yet:" in out
    assert (
        "Ofsted, DfE and the National Panel told of the SCR decision (if serious case review): "
        "waiting for the Chair's decision; 5 working days after the Chair's decision"
    ) in out


def test_wales_and_bank_holiday_names_in_the_table(capsys):
    args = parse(["--regime", "wt2015", "--region", "wales", "--notified", "2026-06-29",
                  "--decided", "2026-07-27", "--decision", "scr"])
    assert cmd.run(args) == 0
    out = capsys.readouterr().out
    assert "bank holidays of Wales" in out
    # Chronologies: Mon 29 Jun + 9 weeks = Mon 31 Aug, the Summer bank holiday.
    assert "Mon 31/08/2026  ~ Agency chronologies due" in out
    assert "[Late Summer Bank Holiday; shown Fri 28/08/2026]" in out
    # Chased from the holiday: Tue 1 Sep = 1, Wed 2 Sep = 2.
    assert "chase 1: Wed 02/09/2026, reminder" in out


def test_with_a_board(monkeypatch, capsys):
    regime = apply_overrides(
        load_regime("wt2015"), {"milestones": {"scoping_returns": {"offset": "5 working days"}}}
    )
    board = SimpleNamespace(slug="test-board", regime=regime,
                            calendar=BoardCalendar("england", extra_holidays=[date(2026, 3, 24)]))
    asked = []
    monkeypatch.setattr(
        "mailbot.config.load_board", lambda name, config_dir=None: asked.append(name) or board
    )
    out = run_json(["--board", "test-board", "--notified", "2026-03-19"], capsys)
    assert asked == ["test-board"] and out["board"] == "test-board"
    rows = {r["id"]: r for r in out["milestones"]}
    # Thu 19 Mar + 5: F20=1 M23=2 (Tue 24 extra holiday) W25=3 T26=4 F27=5.
    assert rows["scoping_returns"]["due"] == "2026-03-27"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--regime", "wt2015", "--notified", "2026-03-19", "--decided", "2026-04-16"],
         "--decided needs --decision"),
        (["--regime", "wt2099", "--notified", "2026-03-19"], "no regime called 'wt2099'"),
        (["--regime", "wt2015", "--notified", "2026-03-19", "--event", "publised=2026-09-01"],
         "no event 'publised'"),
    ],
)
def test_usage_problems_return_2(argv, message, capsys):
    assert cmd.run(parse(argv)) == 2
    assert message in capsys.readouterr().err


def test_a_board_with_a_region_is_refused(monkeypatch, capsys):
    assert cmd.run(parse(["--board", "b", "--region", "wales", "--notified", "2026-03-19"])) == 2
    assert "--region goes with --regime" in capsys.readouterr().err


@pytest.mark.parametrize("text", ["31/02/2026", "2026/03/19", "19-03-2026", "tomorrow"])
def test_bad_dates_are_refused_by_the_parser(text, capsys):
    with pytest.raises(SystemExit) as exit_:
        parse(["--regime", "wt2015", "--notified", text])
    assert exit_.value.code == 2
    assert "not a date" in capsys.readouterr().err


def test_board_or_regime_is_required(capsys):
    with pytest.raises(SystemExit):
        parse(["--notified", "2026-03-19"])


def test_runs_as_a_module():
    done = subprocess.run(
        [sys.executable, "-m", "mailbot.commands.timeline", "--regime", "wt2023",
         "--notified", "23/12/2026", "--json"],
        capture_output=True, text=True, cwd=REPO, check=False,
    )
    assert done.returncode == 0, done.stderr
    rows = {r["id"]: r for r in json.loads(done.stdout)["milestones"]}
    assert rows["rapid_review"]["due"] == "2027-01-18"


# --- met or missed -----------------------------------------------------------------------


def test_a_decision_already_made_shows_met_not_a_red_countdown(capsys):
    args = parse(["--regime", "wt2015", "--notified", "21/12/2026", "--decided", "11/01/2027",
                  "--decision", "scr", "--today", "2027-01-20"])
    assert cmd.run(args) == 0
    out = capsys.readouterr().out
    assert ("Thu 21/01/2027 *  Chair's decision on a serious case review  "
            "(done 11/01/2027, met with 10 days to spare)\n") in out
    # 5 working days after Mon 11 Jan: Mon 18; on Wed 20 it is 2 working days overdue.
    assert "Ofsted, DfE and the National Panel told of the SCR decision  (overdue by 2 working days, red)" in out
    assert "wd left" not in out


def test_a_decision_seven_weeks_late_shows_missed_by_days(capsys):
    args = parse(["--regime", "wt2015", "--notified", "21/12/2026", "--decided", "11/03/2027",
                  "--decision", "scr", "--today", "2027-03-12"])
    assert cmd.run(args) == 0
    out = capsys.readouterr().out
    assert "Chair's decision on a serious case review  (done 11/03/2027, missed by 49 days)" in out
    assert "-38" not in out


def test_json_carries_status_and_done_on(capsys):
    out = run_json(["--regime", "wt2015", "--notified", "21/12/2026", "--decided", "21/01/2027",
                    "--decision", "scr", "--event", "scoping_requested=2026-12-22",
                    "--done", "notify_scr_decision=2027-01-29", "--today", "2027-02-01"], capsys)
    rows = {r["id"]: r for r in out["milestones"]}
    decision = rows["chair_decision"]
    assert (decision["status"], decision["done_on"], decision["met"], decision["margin"]) == (
        "done", "2027-01-21", True, 0)
    assert decision["standing"] == "done 21/01/2027, met on the day" and decision["rag"] == "green"
    assert decision["working_days_left"] is None
    # Due Thu 28 Jan (5 working days after Thu 21); sent Fri 29: missed by 1 working day.
    told = rows["notify_scr_decision"]
    assert (told["status"], told["done_on"], told["met"], told["margin"], told["margin_unit"]) == (
        "done", "2027-01-29", False, 1, "working_days")
    assert told["rag"] == "red"
    # Requested Tue 22 Dec: W23=1 T24=2 T29=3 W30=4 T31=5 M4=6 T5=7 W6=8 T7=9 F8=10.
    returns = rows["scoping_returns"]
    assert (returns["due"], returns["status"], returns["done_on"]) == ("2027-01-08", "overdue", None)
    assert returns["standing"] == "overdue by 16 working days"
    # Projected from the notification: 5 weeks (Mon 25 Jan) overdue, 6 weeks (Mon 1 Feb) due today.
    assert rows["agencies_informed"]["standing"] == "overdue by 7 days"
    assert (rows["panel_meetings_arranged"]["status"], rows["panel_meetings_arranged"]["standing"]) == (
        "due", "due today")
    # A calendar rule's margin is counted in working days while it is due (RAG), days once overdue.
    chronologies = rows["chronologies"]  # 9 weeks: Mon 22 Feb
    assert (chronologies["margin"], chronologies["margin_unit"]) == (15, "working_days")
    assert (rows["agencies_informed"]["margin"], rows["agencies_informed"]["margin_unit"]) == (7, "days")


def test_json_without_today_says_done_or_due(capsys):
    out = run_json(["--regime", "wt2023", "--notified", "23/12/2026", "--decided", "20/01/2027",
                    "--decision", "no_review"], capsys)
    rows = {r["id"]: r for r in out["milestones"]}
    assert rows["rapid_review"]["status"] == "done"
    assert rows["rapid_review"]["standing"] == "done 20/01/2027, missed by 2 working days"
    assert rows["agency_returns"]["status"] == "due"
    assert rows["panel_notification"]["status"] == "done" and rows["panel_notification"]["met"] is None


def test_the_table_lists_what_was_marked_done(capsys):
    args = parse(["--regime", "wt2015", "--notified", "21/12/2026", "--decided", "11/01/2027",
                  "--decision", "scr", "--done", "notify_scr_decision=19/01/2027"])
    assert cmd.run(args) == 0
    out = capsys.readouterr().out
    assert "; done: Ofsted, DfE and the National Panel told of the SCR decision Tue 19/01/2027\n" in out
    # Due Mon 18 Jan (5 working days after Mon 11): sent a working day late, shown without --today.
    assert ("Mon 18/01/2027 *  Ofsted, DfE and the National Panel told of the SCR decision  "
            "(done 19/01/2027, missed by 1 working day)") in out
