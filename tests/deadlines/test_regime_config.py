"""Regime files and board overrides: what loads, and how a mistake is reported."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from mailbot.calendar import BoardCalendar
from mailbot.deadlines import apply_overrides, chase_schedule, load_regime, timeline
from mailbot.errors import ConfigError

ENG = BoardCalendar("england")
REGIMES = Path(__file__).resolve().parents[2] / "config" / "regimes"
CASE = {"notified": date(2026, 3, 19), "scoping_requested": date(2026, 3, 23)}


def keys(err: ConfigError) -> dict[str, str]:
    return {key: reason for _file, key, reason in err.value.problems}


def write(tmp_path: Path, data: dict, name: str = "mine.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def wt2015_data() -> dict:
    return yaml.safe_load((REGIMES / "wt2015.yaml").read_text(encoding="utf-8"))


# --- overrides --------------------------------------------------------------------


def test_overriding_the_scoping_return_period():
    regime = apply_overrides(
        load_regime("wt2015"), {"milestones": {"scoping_returns": {"offset": "15 working days"}}}
    )
    (m,) = [m for m in timeline(regime, ENG, CASE) if m.id == "scoping_returns"]
    # 10 working days gave Wed 8 Apr; then Thu 9=11 Fri 10=12 Mon 13=13 Tue 14=14 Wed 15=15.
    assert m.due == date(2026, 4, 15)
    assert m.rule == "15 working days after the scoping requests"
    # Everything else is as shipped, and the shipped regime is untouched.
    assert regime.milestone("chair_decision") == load_regime("wt2015").milestone("chair_decision")
    assert load_regime("wt2015").milestone("scoping_returns").offset.amount == 10


def test_overriding_the_chase_cadence_rag_and_words():
    regime = apply_overrides(
        load_regime("wt2015"),
        {
            "chasing": {"steps": [
                {"after_working_days": 3},
                {"after_working_days": 6, "copy_senior_manager": True,
                 "escalate_to_business_manager": True},
            ]},
            "rag": {"red": 2, "amber": 4},
            "vocabulary": {"board": "Safeguarding Children Board", "sign_off": "Business Unit"},
        },
    )
    # Due Thu 2 Apr 2026: Tue 7=1 Wed 8=2 Thu 9=3; Fri 10=4 Mon 13=5 Tue 14=6.
    steps = chase_schedule(regime.chasing, ENG, date(2026, 4, 2))
    assert [(s.date, s.copy_senior_manager, s.escalate_to_business_manager) for s in steps] == [
        (date(2026, 4, 9), False, False),
        (date(2026, 4, 14), True, True),
    ]
    assert (regime.rag.red, regime.rag.amber) == (2, 4)
    assert regime.vocabulary.board == "Safeguarding Children Board"
    assert regime.vocabulary.board_short == "LSCB"  # merged, not replaced
    assert regime.vocabulary.model_extra == {"sign_off": "Business Unit"}


def test_adding_and_removing_milestones():
    regime = apply_overrides(
        load_regime("wt2015"),
        {
            "remove_milestones": ["subgroup_meeting"],
            "add_milestones": [{
                "id": "family_informed", "label": "Family told of the review",
                "from": "decided", "offset": "10 working days",
                "applies_when": {"decision": ["scr"]},
            }],
        },
    )
    case = {**CASE, "decided": date(2026, 4, 16)}
    got = {m.id: m.due for m in timeline(regime, ENG, case, "scr")}
    assert "subgroup_meeting" not in got
    # Thu 16 Apr + 10: F17 M20 T21 W22 T23 F24 M27 T28 W29 Thu 30.
    assert got["family_informed"] == date(2026, 4, 30)


def test_no_overrides_is_the_regime_itself():
    regime = load_regime("wt2015")
    assert apply_overrides(regime, {}) is regime
    assert apply_overrides(regime, None) is regime


def test_override_mistakes_are_named_precisely():
    regime = load_regime("wt2015")
    with pytest.raises(ConfigError) as err:
        apply_overrides(regime, {
            "milestones": {
                "scoping_returns": {"offset": "10 wrking days", "due_in": 3},
                "chair_decision": {"statutory": "perhaps"},
            },
            "chasing": {"steps": []},
            "colour": "red",
        }, file="boards/x.yaml")
    got = keys(err)
    assert "write an offset" in got["overrides.milestones.scoping_returns.offset"]
    assert "'10 wrking days'" in got["overrides.milestones.scoping_returns.offset"]
    assert got["overrides.milestones.scoping_returns.due_in"] == "Extra inputs are not permitted"
    assert "valid boolean" in got["overrides.milestones.chair_decision.statutory"]
    assert "at least 1 item" in got["overrides.chasing.steps"]
    assert got["overrides.colour"] == "Extra inputs are not permitted"
    assert {f for f, _k, _r in err.value.problems} == {"boards/x.yaml"}


def test_overriding_a_milestone_that_does_not_exist():
    with pytest.raises(ConfigError) as err:
        apply_overrides(load_regime("wt2015"), {
            "milestones": {"scoping_return": {"offset": "5 working days"}},
            "remove_milestones": ["sub_group"],
        })
    got = keys(err)
    assert "has no milestone 'scoping_return'" in got["overrides.milestones.scoping_return"]
    assert "scoping_returns" in got["overrides.milestones.scoping_return"]  # the known ids
    assert "has no milestone 'sub_group'" in got["overrides.remove_milestones.sub_group"]


def test_removing_a_milestone_others_are_dated_from():
    with pytest.raises(ConfigError) as err:
        apply_overrides(load_regime("wt2015"), {"remove_milestones": ["publish_by"]})
    got = keys(err)
    reason = got["overrides.events.publication.fallback"]
    assert "'publish_by' is not an event or milestone" in reason


# --- regime files -------------------------------------------------------------------


def test_schema_mistakes_in_a_regime_file(tmp_path):
    data = wt2015_data()
    del data["vocabulary"]["review"]
    data["milestones"][0]["offset"] = "10 wrking days"  # scoping_returns
    data["milestones"][1]["offset"] = {"amount": 4, "unit": "fortnights"}  # subgroup_meeting
    data["milestones"][2]["statutary"] = True  # chair_decision
    data["milestones"][3]["applies_when"] = {"decision": ["maybe"]}  # notify_scr_decision
    data["milestones"][4]["offset"] = "-3 days"  # notify_no_scr_decision
    data["rag"] = {"red": 3, "amber": 1}
    data["chasing"] = {"steps": [{"after_working_days": 5}, {"after_working_days": 2}]}
    path = write(tmp_path, data)
    with pytest.raises(ConfigError) as err:
        load_regime(path)
    got = keys(err)
    assert got["vocabulary.review"] == "Field required"
    assert "write an offset" in got["milestones[scoping_returns].offset"]
    unit = got["milestones[subgroup_meeting].offset.unit"]
    assert "'working_days', 'days', 'weeks' or 'months'" in unit
    assert "'fortnights'" in got["milestones[subgroup_meeting].offset.unit"]
    assert got["milestones[chair_decision].statutary"] == "Extra inputs are not permitted"
    assert "'scr', 'alternative_review' or 'no_review'" in got[
        "milestones[notify_scr_decision].applies_when.decision[0]"
    ]
    assert "write an offset" in got["milestones[notify_no_scr_decision].offset"]
    assert "amber (1) must be at least red (3)" in got["rag"]
    assert "strictly increase" in got["chasing.steps"]
    assert len(got) == 8
    assert {f for f, _k, _r in err.value.problems} == {str(path)}


def test_reference_mistakes_in_a_regime_file(tmp_path):
    data = wt2015_data()
    data["milestones"][3]["from"] = "decison"  # notify_scr_decision
    data["milestones"][4]["id"] = "notify_scr_decision"  # duplicate id
    data["events"]["referral_received"]["fallback"] = "notfied"
    data["events"]["completed"]["fallback"] = "publish_by"  # publish_by is dated from completed
    path = write(tmp_path, data)
    with pytest.raises(ConfigError) as err:
        load_regime(path)
    got = keys(err)
    assert "'decison' is not an event or milestone" in got["milestones[notify_scr_decision].from"]
    assert got["milestones[notify_scr_decision].id"] == "milestone id used more than once"
    assert "'notfied' is not an event or milestone" in got["events.referral_received.fallback"]
    assert got["milestones[publish_by].from"] == (
        "dated from itself (publish_by -> completed -> publish_by)"
    )


def test_an_unknown_anchor_lists_the_known_names(tmp_path):
    data = wt2015_data()
    data["milestones"][2]["from"] = "notification"  # chair_decision
    with pytest.raises(ConfigError) as err:
        load_regime(write(tmp_path, data))
    reason = keys(err)["milestones[chair_decision].from"]
    assert "'notification' is not an event or milestone" in reason
    assert "notified" in reason and "scr_decided" in reason


def test_unknown_regime_name_and_broken_files(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_regime("wt2099")
    assert "wt2015" in keys(err)["regime"] and "wt2023" in keys(err)["regime"]

    bad = tmp_path / "broken.yaml"
    bad.write_text("id: x\nmilestones: [\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_regime(bad)
    assert "(file)" in keys(err)

    with pytest.raises(ConfigError) as err:
        load_regime(tmp_path / "missing.yaml")
    assert keys(err)["(file)"] == "file not found"

    listy = tmp_path / "list.yaml"
    listy.write_text("- 1\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_regime(listy)
    assert keys(err)["(file)"] == "the file must be a mapping"


def test_a_regime_file_loaded_by_path(tmp_path):
    data = wt2015_data()
    data["id"] = "wt2015_local"
    data["milestones"][0]["offset"] = {"amount": 3, "unit": "weeks"}
    regime = load_regime(write(tmp_path, data))
    assert regime.id == "wt2015_local"
    (m,) = [m for m in timeline(regime, ENG, CASE) if m.id == "scoping_returns"]
    assert m.due == date(2026, 4, 13)  # Mon 23 Mar + 3 weeks


def test_a_typo_in_an_id_and_a_bad_value_are_reported_together():
    with pytest.raises(ConfigError) as err:
        apply_overrides(
            load_regime("wt2015"), {"milestones": {"scoping_return": {"offset": "15 wd"}}}
        )
    assert set(keys(err)) == {
        "overrides.milestones.scoping_return",
        "overrides.milestones.scoping_return.offset",
    }
