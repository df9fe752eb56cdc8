"""The record models give exactly the contract's JSON."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from mailbot.records import REASON_ORDER, Chronology, Referral, ScopingReturn, record_from_json
from tests.conftest import SAMPLES

EXPECTED = sorted(SAMPLES.glob("forms/**/*.expected.json"))


def _strip(value):
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k != "warnings" and not k.startswith("_")}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


@pytest.mark.parametrize("path", EXPECTED, ids=lambda p: p.name)
def test_expected_records_round_trip(path):
    data = json.loads(path.read_text("utf-8"))
    record = record_from_json(data)
    assert _strip(record.model_dump(mode="json")) == _strip(data)


def test_corpus_is_present():
    assert len(EXPECTED) >= 20


@pytest.mark.parametrize("model", [Referral, ScopingReturn, Chronology])
def test_blank_record_has_every_key_null_or_empty(model):
    dumped = model(board="b", form="b/f").model_dump(mode="json")
    for key, value in dumped.items():
        if key in ("board", "form", "form_type", "review_requested"):
            continue
        assert value in (None, [], {}) or isinstance(value, dict), key
        if isinstance(value, dict):
            assert all(v is None for v in value.values()), key


def test_dates_dump_as_iso_and_reasons_are_codes():
    r = Referral(board="b", form="b/f", notification_date="2026-04-03", reasons=["child_died"])
    out = r.model_dump(mode="json")
    assert out["notification_date"] == "2026-04-03"
    assert REASON_ORDER[0] == "meets_scr_criteria"
    with pytest.raises(ValidationError):
        Referral(board="b", form="b/f", reasons=["not_a_code"])


def test_unknown_keys_are_refused():
    with pytest.raises(ValidationError):
        ScopingReturn(board="b", form="b/f", surprise="x")
    with pytest.raises(ValueError):
        record_from_json({"form_type": "letter"})
