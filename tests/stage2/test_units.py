"""Stage 2's pure parts: commands read from a subject, dates after milestone words, the blank form, config checks."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import yaml
from docx import Document

from mailbot.config import load_board
from mailbot.deadlines import parse_regime
from mailbot.errors import ConfigError
from mailbot.inbound.review_commands import review_command
from mailbot.workflow.blank_form import blank_from_mapping
from mailbot.workflow.milestones import split_date
from parsers import parse_document
from tests.conftest import REPO


@pytest.mark.parametrize("subject, verb, ref, rest", [
    ("DONE WS-2026-0001 first draft 12/06/2026", "done", "WS-2026-0001", "first draft 12/06/2026"),
    ("done: [ws-2026-0001] completion", "done", "WS-2026-0001", "completion"),
    ("PUBLISH WS-2026-0001 ON 03/11/2026", "publish", "WS-2026-0001", "03/11/2026"),
    ("Publish SW-2026-0002 on 3 November 2026", "publish", "SW-2026-0002", "3 November 2026"),
])
def test_review_commands_are_read_from_the_whole_subject(subject, verb, ref, rest):
    got = review_command(subject)
    assert (got.verb, got.reference, got.rest) == (verb, ref, rest)


@pytest.mark.parametrize("subject", ["RE: DONE WS-2026-0001 first draft", "Fwd: PUBLISH WS-2026-0001 ON 1/1/2027",
                                     "DONE", "PUBLISHING WS-2026-0001", "done with WS-2026-0001"])
def test_replies_and_near_misses_are_no_command(subject):
    assert review_command(subject) is None


@pytest.mark.parametrize("rest, words, day, problem", [
    ("first draft 12/06/2026", "first draft", dt.date(2026, 6, 12), None),
    ("first draft 12 June 2026", "first draft", dt.date(2026, 6, 12), None),
    ("draft to board Friday 12 June 2026", "draft to board", dt.date(2026, 6, 12), None),
    ("action plans", "action plans", None, None),
    ("final report today", "final report", None, None),
    ("first draft 31/06/2026", "first draft", None, "there is no such day"),
])
def test_the_date_after_the_milestone_words(rest, words, day, problem):
    got_words, got_day, got_problem = split_date(rest)
    assert (got_words, got_day) == (words, day)
    assert (got_problem or "").startswith(problem or "")


def test_the_blank_chronology_made_from_swindons_mapping_reads_back_as_filled_in():
    board = load_board("swindon", REPO / "config")
    (mapping,) = [m for m in board.form_mappings if m.form_type == "chronology"]
    doc = Document(io.BytesIO(blank_from_mapping(mapping, {"case_reference": "SW-2026-0004",
                                                           "agency": "Wiltshire Police"})))
    cells = doc.tables[-1].rows[1].cells
    for cell, value in zip(cells, ["II", "03/03/2025", "10:15", "Wiltshire Police", "Visit", "Welfare check.",
                                   "None.", "II"]):
        cell.text = value
    out = io.BytesIO()
    doc.save(out)
    record = parse_document(out.getvalue(), "c.docx", board="swindon", mappings=[mapping]).record
    assert record.case_reference == "SW-2026-0004" and record.agency == "Wiltshire Police"
    (entry,) = record.entries
    assert (entry.date, entry.time, entry.contact_type) == (dt.date(2025, 3, 3), "10:15", "Visit")


def test_a_stage2_section_naming_no_milestone_is_refused_with_its_key():
    data = yaml.safe_load((REPO / "config" / "regimes" / "wt2015.yaml").read_text("utf-8"))
    data["stage2"]["requests"]["returns"][0]["milestone"] = "chronologys"
    data["stage2"]["commands"]["first version"] = "first_drafft"
    with pytest.raises(ConfigError) as err:
        parse_regime(data, file="wt2015.yaml")
    keys = {key for _file, key, _reason in err.value.problems}
    assert {"stage2.requests.returns[0].milestone", "stage2.commands.first version"} <= keys


def test_the_shipped_regimes_stage2_sections_are_valid():
    for name in ("wt2015", "wt2023"):
        data = yaml.safe_load((REPO / "config" / "regimes" / f"{name}.yaml").read_text("utf-8"))
        regime = parse_regime(data, file=f"{name}.yaml")
        assert regime.stage2 is not None and regime.stage2.requests.returns
        assert regime.reference_problems() == []


def test_reports_beyond_the_packs_budget_or_gone_from_disk_are_named_not_attached(monkeypatch):
    import types

    from mailbot.pack import review
    from mailbot.pack.review import Report

    monkeypatch.setattr(review, "read_stored", lambda _rt, att_id: None if att_id == 3 else b"x" * 10)
    session = types.SimpleNamespace(get=lambda _cls, att_id: att_id)
    case = types.SimpleNamespace(reference="SW-2026-0001")
    found = [Report(1, "Wiltshire Police", "agency report", 1, ".pdf", "pdf", 10),
             Report(2, "Great Western Hospitals", "agency report", 2, ".docx", "docx", 10),
             Report(3, "Ridgeway School", "agency report", 3, ".bin", "unknown", 5)]
    attached, kept = review.report_files(session, None, case, found, budget=15)
    assert [(f.filename, f.content_type) for f in attached] == [
        ("SW-2026-0001 Agency report – Wiltshire Police.pdf", "application/pdf")]
    assert kept == ["agency report from Great Western Hospitals (too large to attach with the rest)",
                    "agency report from Ridgeway School (its stored file is missing)"]
