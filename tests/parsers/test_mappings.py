"""Mapping files: the shipped ones load; a bad one lists every problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailbot.errors import ConfigError
from parsers import load_mappings
from tests.parsers.helpers import FORMS, all_mappings

SHIPPED = {"west-sussex/referral", "west-sussex/summary-of-involvement",
           "bathnes/notification-request", "bathnes/multi-agency-review-request",
           "bathnes/agency-case-information", "swindon/chronology"}


def test_shipped_mappings_load() -> None:
    assert {m.id for m in all_mappings()} == SHIPPED
    for m in all_mappings():
        assert Path(m.source).parent.name == m.board


def test_bad_mapping_lists_every_problem_with_file_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "id: Not An Id\n"
        "form_type: referral\n"
        "recognise: {all: [Some title]}\n"
        "fields:\n"
        "  child.full_name: {labels: [Name], type: colour}\n"
        "  reasons: {type: tick_list}\n", encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: [unclosed\n", encoding="utf-8")
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("id: a/b\nform_type: referral\nrecognise: {all: [T]}\n"
                       "fields:\n  child.shoe_size: {labels: [Shoe]}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_mappings([bad, broken, unknown, FORMS / "swindon" / "chronology.yaml"])
    problems = err.value.problems
    keys = {(Path(f).name, k) for f, k, _ in problems}
    assert ("bad.yaml", "id") in keys
    assert ("bad.yaml", "fields.child.full_name.type") in keys
    assert ("bad.yaml", "fields.reasons") in keys
    assert ("broken.yaml", "(file)") in keys
    assert any(f.endswith("unknown.yaml") and "child.shoe_size" in r for f, _, r in problems)
    assert all(Path(f).name != "chronology.yaml" for f, _, _ in problems)
