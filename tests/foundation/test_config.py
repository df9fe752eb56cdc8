"""Board configuration: shipped boards load; broken files get one precise line per error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mailbot.config import check_config, load_board, load_boards
from mailbot.errors import ConfigError
from tests.conftest import REPO

BOARDS = REPO / "config" / "boards"


def test_shipped_boards_load_with_their_forms_and_rules():
    boards = {b.slug: b for b in load_boards(REPO / "config")}
    assert set(boards) >= {"west-sussex", "bathnes", "swindon", "bracknell-forest"}
    ws = boards["west-sussex"]
    assert ws.config.chair.email == "chair@westsussex-scb.example"
    assert len(ws.config.agencies) == 8
    assert {m.id for m in ws.form_mappings} == {"west-sussex/referral", "west-sussex/summary-of-involvement"}
    assert {m.id for m in boards["bathnes"].form_mappings} == {
        "bathnes/notification-request", "bathnes/multi-agency-review-request", "bathnes/agency-case-information"}
    assert {m.id for m in boards["swindon"].form_mappings} == {"swindon/chronology"}
    assert ws.regime.id == "wt2015"
    assert ws.calendar.is_working_day(__import__("datetime").date(2026, 12, 25)) is False
    bf = boards["bracknell-forest"]  # configuration only: another board's layouts, its own words
    assert {m.id for m in bf.form_mappings} == {"west-sussex/referral", "west-sussex/summary-of-involvement"}
    assert (bf.regime.vocabulary.subgroup, bf.regime.vocabulary.alternative_review_short) == (
        "Learning and Improvement Sub-Group (LISG)", "CPIR")
    assert bf.regime.milestone("chair_decision").offset == ws.regime.milestone("chair_decision").offset
    assert bf.regime.events["subgroup_met"].label == "the LISG meeting"
    assert bf.regime.events["subgroup_met"].not_before == ws.regime.events["subgroup_met"].not_before


def test_config_check_passes_on_every_shipped_board():
    for path in sorted(BOARDS.glob("*.yaml")):
        done = subprocess.run([sys.executable, "-m", "mailbot.cli", "config", "check", str(path)],
                              capture_output=True, text=True, cwd=REPO)
        assert (done.returncode, done.stdout.strip()) == (0, f"{path}: OK"), done.stdout + done.stderr
    assert len(list(BOARDS.glob("*.yaml"))) >= 4


def test_every_address_in_shipped_config_is_fictional():
    for path in BOARDS.glob("*.yaml"):
        text = path.read_text("utf-8")
        import re

        for addr in re.findall(r"[\w.+-]+@([\w.-]+)", text):
            assert addr.endswith(".example"), (path.name, addr)


def _write(tmp_path: Path, name: str, data) -> Path:
    src = yaml.safe_load((BOARDS / "west-sussex.yaml").read_text("utf-8"))
    src["forms"] = [str(REPO / "config/forms/west-sussex/*.yaml")]
    src["scoping"]["blank_form"] = str(REPO / "templates/documents/west-sussex/summary-of-involvement.docx")
    data(src)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(src, allow_unicode=True), "utf-8")
    return path


def test_broken_board_lists_every_error_with_key_and_reason(tmp_path):
    def breakit(d):
        d["chair"]["email"] = "not-an-address"
        del d["subgroup_chair"]
        d["agencies"][1]["domains"] = ["bad domain"]
        d["agencies"][2]["scoping_contacts"] = []
        d["digest"] = {"time": "25:00"}
        d["surprise"] = 1
        d["reference_prefix"] = "ws"
    path = _write(tmp_path, "broken.yaml", breakit)
    problems = check_config(path)
    keyed = {key: reason for _f, key, reason in problems}
    assert all(f == str(path) for f, _k, _r in problems)
    assert "not an email address" in keyed["chair.email"]
    assert keyed["subgroup_chair"] == "required key is missing"
    assert "not a mail domain" in keyed["agencies[1].domains"]
    assert "agencies[2].scoping_contacts" in keyed
    assert "HH:MM" in keyed["digest.time"]
    assert keyed["surprise"] == "unknown key (check the spelling)"
    assert "reference_prefix" in keyed
    assert len(problems) == 7


def test_literal_secret_is_refused(tmp_path):
    path = _write(tmp_path, "secret.yaml", lambda d: d.update(form_passwords=["Saltmarsh-Heron-2026"]))
    problems = check_config(path)
    assert [(k, "use {env: VARIABLE} or {file: PATH}" in r) for _f, k, r in problems] == [("form_passwords[0]", True)]


def test_duplicate_alias_and_missing_mapping_and_bad_yaml(tmp_path):
    def dup(d):
        d["agencies"][0]["aliases"].append("Police")
        d["forms"] = ["../nowhere/*.yaml"]
    problems = check_config(_write(tmp_path, "dup.yaml", dup))
    reasons = " | ".join(r for _f, _k, r in problems)
    assert "'Police' is used by both" in reasons
    assert "no mapping file matches" in reasons
    bad = tmp_path / "bad.yaml"
    bad.write_text("slug: x\n  name: [unclosed\n", "utf-8")
    [(f, key, reason)] = check_config(bad)
    assert key.startswith("line ") and "not valid YAML" in reason


def test_unknown_regime_is_reported(tmp_path):
    problems = check_config(_write(tmp_path, "regime.yaml", lambda d: d.update(deadlines={"regime": "wt1999"})))
    assert problems and problems[0][1].startswith("deadlines")


def test_load_board_raises_config_error_and_secret_resolves_from_env(tmp_path, monkeypatch):
    with pytest.raises(ConfigError) as err:
        load_board("no-such-board", REPO / "config")
    assert "known: bathnes" in str(err.value)
    monkeypatch.setenv("MAILBOT_WEST_SUSSEX_FORM_PASSWORD", "pw-from-env")
    assert load_board("west-sussex", REPO / "config").form_passwords() == ["pw-from-env"]
    monkeypatch.delenv("MAILBOT_WEST_SUSSEX_FORM_PASSWORD")
    assert load_board("west-sussex", REPO / "config").form_passwords() == []


def test_config_check_command(tmp_path):
    ok = subprocess.run([sys.executable, "-m", "mailbot.cli", "config", "check", str(BOARDS / "swindon.yaml")],
                        capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "OK" in ok.stdout
    path = _write(tmp_path, "two.yaml", lambda d: (d["chair"].update(email="x"), d.pop("notify")))
    bad = subprocess.run([sys.executable, "-m", "mailbot.cli", "config", "check", str(path)],
                         capture_output=True, text=True)
    assert bad.returncode == 1
    lines = bad.stderr.strip().splitlines()
    assert lines[0].endswith("2 problem(s)")
    assert f"{path}: chair.email: not an email address: 'x'" in lines
    assert f"{path}: notify: required key is missing" in lines
    assert "Traceback" not in bad.stderr


def test_the_shipped_config_copied_on_its_own_still_finds_the_shipped_templates(tmp_path, monkeypatch):
    """As in the container: config/ is copied to a volume without templates/ beside it."""
    import shutil

    from mailbot.resources import resolve_config_path, templates_dir
    from parsers.printed import blank_form_path

    shutil.copytree(REPO / "config", tmp_path / "config")
    monkeypatch.delenv("MAILBOT_TEMPLATES_DIR", raising=False)
    boards = {b.slug: b for b in load_boards(tmp_path / "config")}  # a missing blank form would refuse this
    ws = boards["west-sussex"]
    shipped = templates_dir() / "documents" / "west-sussex" / "summary-of-involvement.docx"
    assert ws.resolve_path(ws.config.scoping.blank_form) == shipped
    mapping = next(m for m in ws.form_mappings if m.id == "west-sussex/summary-of-involvement")
    assert mapping.blank_form and blank_form_path(mapping.blank_form, mapping.source) == shipped
    own = tmp_path / "config" / "boards" / "own.docx"
    own.write_bytes(b"x")
    assert resolve_config_path("own.docx", tmp_path / "config" / "boards" / "b.yaml") == own
    assert resolve_config_path("../nowhere/x.docx", own) == (tmp_path / "config" / "nowhere" / "x.docx")
