"""The daemon's queries read what they need, not the whole history a board keeps.

A board's database only grows: every message, email, case and audit row is
kept. The work done per message and per day (claiming pending mail, a
request's chase history, the last digest, the open cases, the held messages,
the duplicate-form check) must stay the same size however long the board
has run. These tests run the demo's whole flow (referrals, returns,
chasing, approvals by reply, digests, a scoping pack) on SQLite and ask
SQLite for the plan of every statement mailbot issues: none may read a
growing table whole, by a scan or through an index that narrows only to
the board (one board is most of a database).

The demo's own report at the end (what the run made) reads whole tables by
design and is left out.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import traceback
from collections.abc import Iterator

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from mailbot.settings import KEY_ENV, KEY_FILE_ENV
from mailbot.store.db import open_store, sqlite_url
from mailbot.store.models import Record
from tests.conftest import REPO, SAMPLES

#: Tables that grow with every message, email, case or action.
GROWING = ("cases", "messages_seen", "records", "attachments", "outbox", "audit", "scoping_requests", "drafts",
           "review_requests", "review_dates")
#: Frames of the demo's own reporting, which lists what the run made.
REPORTING = ("mailbot/demo/run.py", "mailbot/demo/days.py", "mailbot/demo/pack.py", "mailbot/demo/stage2.py")
_CODE = str(REPO / "mailbot") + os.sep
_WHOLE = re.compile(rf"^(SCAN ({'|'.join(GROWING)})\b.*|SEARCH ({'|'.join(GROWING)}) .*\(board=\?\))$")


class Plans:
    """Every statement's query plan, and the lines that read a growing table whole."""

    def __init__(self) -> None:
        self.statements = 0
        self.whole: list[str] = []

    def __call__(self, conn, _cursor, statement: str, params, _context, executemany: bool) -> None:  # noqa: ANN001
        if conn.dialect.name != "sqlite" or executemany:
            return
        if not statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE")):
            return
        if "sqlite_master" in statement or "alembic_version" in statement:
            return
        ours = [f.filename for f in traceback.extract_stack() if f.filename.startswith(_CODE)]
        if ours and ours[-1].endswith(REPORTING):  # issued by the demo's report itself
            return
        self.statements += 1
        plan = conn.connection.dbapi_connection.execute("EXPLAIN QUERY PLAN " + statement, params).fetchall()
        for row in plan:
            if _WHOLE.match(row[-1]):
                self.whole.append(f"{row[-1]}: {' '.join(statement.split())[:200]}")


@contextlib.contextmanager
def planned() -> Iterator[Plans]:
    plans = Plans()
    event.listen(Engine, "before_cursor_execute", plans)
    try:
        yield plans
    finally:
        event.remove(Engine, "before_cursor_execute", plans)


def test_the_check_sees_a_whole_table_read(tmp_path):
    store = open_store(sqlite_url(tmp_path / "plans.db"))
    try:
        with planned() as plans, store.session() as s:
            s.scalars(select(Record.id).where(Record.form_id == "referral")).all()  # no index on form_id
            s.scalars(select(Record.id).where(Record.attachment_id == 7)).all()  # indexed
    finally:
        store.dispose()
    assert plans.statements == 2
    assert len(plans.whole) == 1 and plans.whole[0].startswith("SCAN records")


def test_no_statement_of_the_whole_flow_reads_a_growing_table_whole(tmp_path, monkeypatch):
    from mailbot.commands import demo

    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    monkeypatch.delenv(KEY_ENV, raising=False)
    workspace = tmp_path / "demo"
    args = argparse.Namespace(workspace=str(workspace), samples=str(SAMPLES), days=20, config_dir=None,
                              database_url=None)  # SQLite in the workspace
    out = io.StringIO()
    with planned() as plans, contextlib.redirect_stdout(out):
        assert demo.run(args) == 0
    printed = out.getvalue()
    assert "Cases opened: 2" in printed and "pack" in printed.lower()  # the flow ran, scoping pack included
    assert plans.statements > 500
    assert plans.whole == []


@pytest.mark.parametrize("line, whole", [
    ("SCAN outbox", True),
    ("SCAN records USING INDEX ix_records_case_id", True),
    ("SEARCH outbox USING INDEX ix_outbox_board (board=?)", True),
    ("SEARCH outbox USING INDEX ix_outbox_board_status (board=? AND status=?)", False),
    ("SEARCH records USING INDEX ix_records_attachment_id (attachment_id=?)", False),
    ("SCAN mailbox_status", False),  # one row per board
])
def test_what_counts_as_reading_a_table_whole(line, whole):
    assert bool(_WHOLE.match(line)) is whole
