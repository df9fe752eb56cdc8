"""Fuzz: no mapping and no form makes ``parse`` or ``--explain`` raise a traceback.

Shipped mappings are mutated at random (seeded): field types swapped,
choice codes the contract does not know, fixed values of the wrong type,
undefined sections, fields named that do not exist, odd labels.  Each
mutant either fails to load with one line per problem (file, key, reason)
or parses generated and sample forms into a valid record, whatever it
reads being blanked with a warning where the contract refuses it.
"""

from __future__ import annotations

import copy
import random
from pathlib import Path

import pytest
import yaml

from mailbot.cli import main
from mailbot.errors import ConfigError, ParseError
from parsers import load_mappings, parse_document
from parsers.mapping import FieldType
from tests.parsers.generate.build import Case, generate
from tests.parsers.helpers import FORMS, REPO

TYPES = list(FieldType.__args__)  # type: ignore[attr-defined]
ODD = ["", "(", "???", "Name", "Date", "☒", "[X]", "Yes", "1.", "x" * 300]
PATHS = ["child.lives_with", "child.date_of_birth", "reasons", "parents", "notifier",
         "agencies", "decision", "decision.chair.decision", "known_to_service", "entries",
         "significant_events", "agency", "case_outline", "child"]
VALUES = ["castle", 3, ["a"], {"k": 1}, None, True, "2026-13-45", [{"x": 1}]]


def _mutate(raw: dict, rng: random.Random) -> dict:
    m = copy.deepcopy(raw)
    fields = m.setdefault("fields", {})
    for _ in range(rng.randint(1, 4)):
        name = rng.choice(list(fields) or ["child.full_name"])
        spec = fields.setdefault(name, {"labels": ["Name"]})
        if not isinstance(spec, dict):
            continue
        what = rng.randrange(9)
        if what == 0:
            spec["type"] = rng.choice(TYPES)
            if spec["type"] in ("choice", "tick_list"):
                spec.setdefault("options", {"zz": [rng.choice(ODD) or "A"]})
            if spec["type"] == "table":
                spec.setdefault("columns", {"name": {"labels": ["Name"]}})
            if spec["type"] == "choice_text":
                spec.setdefault("choices", {"scr": ["serious"]})
            if spec["type"] == "filled":
                spec.setdefault("of", [rng.choice(list(fields))])
        elif what == 1:
            m.setdefault("set", {})[rng.choice(PATHS)] = rng.choice(VALUES)
        elif what == 2 and isinstance(spec.get("options"), dict):
            spec["options"] = {f"code{rng.randint(0, 9)}": v for v in spec["options"].values()}
        elif what == 3:
            spec["section"] = rng.choice([*m.get("sections", {}), "nowhere"])
        elif what == 4:
            spec["labels"] = [rng.choice(ODD) for _ in range(rng.randint(0, 3))]
        elif what == 5:
            fields[rng.choice(PATHS)] = {"labels": [rng.choice(ODD) or "Name"],
                                         "type": rng.choice(TYPES[:3] + ["time"])}
        elif what == 6:
            spec["answer"] = rng.choice(["same", "right", "below", "auto"])
        elif what == 7:
            spec["join"] = [rng.choice(list(fields)), rng.choice(PATHS)]
        else:
            spec["item_key"] = rng.choice(["agency", "name", "zz"])
    return m


def _sources() -> list[tuple[Path, dict]]:
    out = []
    for p in sorted(FORMS.glob("*/*.yaml")):
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
        if raw.get("blank_form"):  # the copies live elsewhere: name the blank form absolutely
            raw["blank_form"] = str((p.parent / raw["blank_form"]).resolve())
        out.append((p, raw))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_mutated_mappings_fail_to_load_or_parse_without_a_traceback(seed: int,
                                                                     tmp_path: Path) -> None:
    rng = random.Random(seed)
    loaded = refused = 0
    for n in range(30):
        src, raw = rng.choice(_sources())
        path = tmp_path / f"m{n}.yaml"
        path.write_text(yaml.safe_dump(_mutate(raw, rng)), encoding="utf-8")
        try:
            mapping = load_mappings([path])[0]
        except ConfigError as err:
            refused += 1
            assert err.problems and all(len(p) == 3 and all(p) for p in err.problems)
            assert all("\n" not in reason for _, _, reason in err.problems)
            continue
        loaded += 1
        original = load_mappings([src])[0]
        form = generate(original, Case(layout=rng.choice(["table_right", "para_below"]),
                                       seed=seed * 100 + n)).filled
        try:
            result = parse_document(form, "form.docx", board=mapping.board, mappings=[mapping],
                                    explain=True)
        except ParseError as err:
            assert err.args and "\n" not in str(err)
            continue
        assert result.record.form == mapping.id
    assert loaded and refused


def test_config_check_names_each_problem_on_its_own_line(tmp_path: Path) -> None:
    bad = tmp_path / "many.yaml"
    bad.write_text(yaml.safe_dump({
        "id": "a/b", "form_type": "referral", "recognise": {"all": ["T"]},
        "set": {"review_requested": "maybe"},
        "fields": {"child.lives_with": {"type": "choice", "labels": ["Lives"],
                                        "options": {"castle": ["Castle"]}},
                   "child.shoe_size": {"labels": ["Shoe"]},
                   "child.gender": {"labels": ["Gender"], "section": "nowhere"},
                   "child.full_name": {"join": ["_first", "_last"]}},
        "blank_form": "missing.docx"}), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_mappings([bad])
    keys = {key for _, key, _ in err.value.problems}
    assert {"set.review_requested", "fields.child.lives_with.options.castle",
            "fields.child.shoe_size", "fields.child.gender.section",
            "fields.child.full_name.join", "blank_form"} <= keys
    assert "(top)" not in keys


def test_cli_parse_and_explain_print_no_traceback(tmp_path: Path, capsys) -> None:
    """A mapping that loads but reads what the contract refuses; and one that does not load."""
    (tmp_path / "forms").mkdir()
    (tmp_path / "boards").mkdir()
    mapping = tmp_path / "forms" / "summary-of-involvement.yaml"
    raw = yaml.safe_load((FORMS / "west-sussex" / "summary-of-involvement.yaml").read_text())
    raw["fields"]["known_to_service"] = {"from": "agency"}  # an agency's name where a bool goes
    raw.pop("blank_form", None)  # relative to the shipped file, not this copy
    board = yaml.safe_load((REPO / "config" / "boards" / "west-sussex.yaml").read_text())
    board["forms"] = ["../forms/*.yaml"]
    board.pop("scoping", None)
    board_file = tmp_path / "boards" / "west-sussex.yaml"
    board_file.write_text(yaml.safe_dump(board))
    form = REPO.parent / "shared" / "samples" / "forms" / "west-sussex" / \
        "summary-of-involvement" / "summary-01.docx"
    mapping.write_text(yaml.safe_dump(raw))
    for flags in ([], ["--explain"], ["--json"]):
        code = main(["parse", str(form), "--board", str(board_file), *flags])
        out = capsys.readouterr()
        assert code == 0 and "Traceback" not in out.out + out.err
        assert "warning: known_to_service could not be read" in out.err
    raw["fields"]["known_to_service"] = {"labels": ["Known?"], "type": "date"}
    raw["set"] = {"agency": ["not", "text"]}
    mapping.write_text(yaml.safe_dump(raw))
    code = main(["parse", str(form), "--board", str(board_file), "--explain"])
    out = capsys.readouterr()
    assert code == 2 and "Traceback" not in out.out + out.err
    problems = [ln for ln in out.err.splitlines() if ln.startswith("  ")]
    assert any("fields.known_to_service.type" in ln for ln in problems)
    assert any("set.agency" in ln for ln in problems)
