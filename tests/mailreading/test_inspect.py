"""``mailbot inspect``: what mailbot would make of a message, changing nothing (issue 14, item 7)."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from mailbot.cli import main
from mailbot.commands.inspect import inspect_message
from mailbot.store.models import MessageSeen, OutboxMail
from tests.approvals.conftest import rt, sample  # noqa: F401 - fixtures
from tests.conftest import REPO, SAMPLES
from tests.flow.conftest import clock, maildir_runtime, ws_board  # noqa: F401 - fixtures


def _cli(tmp_path, name: str, *extra: str, capsys) -> str:
    code = main(["--data-dir", str(tmp_path / "data"), "--config-dir", str(REPO / "config"),
                 "inspect", str(SAMPLES / "emails" / name), "--board", "west-sussex", *extra])
    assert code == 0
    return capsys.readouterr().out


def test_json_on_a_fresh_machine_creates_nothing(tmp_path, capsys):
    found = json.loads(_cli(tmp_path, "04-bounce-chase.eml", "--json", capsys=capsys))
    assert found["kind"] == "bounce"
    assert found["answer"]["delivery"] == "failed" and found["answer"]["recipients"]
    assert found["request"] is None  # no database: no case or request
    assert not (tmp_path / "data").exists()


def test_text_output_shows_the_kind_reasons_and_new_text(tmp_path, capsys):
    out = _cli(tmp_path, "01-out-of-office.eml", capsys=capsys)
    assert out.startswith("kind: auto_reply") and "because:" in out and "new text:" in out


def test_with_the_boards_database_it_names_the_case_and_request_and_changes_nothing(rt):  # noqa: F811
    with rt.store.session() as s:
        before = (s.scalar(select(func.count()).select_from(MessageSeen)),
                  s.scalar(select(func.count()).select_from(OutboxMail)))
    chair = inspect_message(sample("08"), rt.board, rt.store)
    assert chair["kind"] == "chair_reply" and chair["answer"]["approval"] == "reject"
    assert chair["sender"]["role"] == "chair"
    school = inspect_message(sample("02"), rt.board, rt.store)
    assert school["kind"] == "not_known" and school["case"] == "WS-2026-0001"
    assert school["answer"]["not_known"]
    assert school["request"] and school["request"]["status"] == "outstanding"
    with rt.store.session() as s:
        after = (s.scalar(select(func.count()).select_from(MessageSeen)),
                 s.scalar(select(func.count()).select_from(OutboxMail)))
    assert after == before
