"""The scheduler wiring, the digest preview command and the demo's day stepping."""

from __future__ import annotations

import argparse
import datetime as dt

from sqlalchemy import inspect, text

from mailbot.commands import digest as digest_command
from mailbot.demo.days import forward
from mailbot.schedule import scheduler

from tests.conftest import REPO
from tests.schedule.conftest import REFERRAL, london

D = dt.date


def _jobs(store) -> list[str]:
    with store.engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT id FROM apscheduler_jobs ORDER BY id"))]


def test_one_persistent_job_per_board_survives_restart(make_board):
    b = make_board(london(D(2026, 3, 4), 9))
    sched = scheduler.start([b.rt], paused=True)
    try:
        assert "apscheduler_jobs" in inspect(b.store.engine).get_table_names()
        job = sched.get_job("due-work:west-sussex")
        assert job.args == ("west-sussex",) and job.func_ref == scheduler.JOB_FUNC
        assert job.coalesce and job.max_instances == 1
        assert job.misfire_grace_time >= 24 * 3600
        assert job.trigger.interval == dt.timedelta(minutes=1)
    finally:
        scheduler.stop(sched)
    assert _jobs(b.store) == ["due-work:west-sussex"]  # kept in the database
    sched = scheduler.start([b.restart()], paused=True)  # a restart replaces, never adds
    try:
        assert _jobs(b.store) == ["due-work:west-sussex"]
    finally:
        scheduler.stop(sched)


def test_job_function_runs_due_work_once(make_board):
    b = make_board(london(D(2026, 2, 16), 9))
    b.deliver(REFERRAL)
    b.at(london(D(2026, 3, 4), 9))
    scheduler.register_runtimes([b.rt])
    try:
        assert scheduler.due_work("west-sussex") == 8 + 1  # eight reminders and the digest
        assert scheduler.due_work("west-sussex") == 0
        assert scheduler.due_work("no-such-board") == 0
    finally:
        scheduler.unregister_all()
    assert {r.status for r in b.outbox("chase", "digest")} == {"sent"}
    assert isinstance(b.rt.sender, scheduler.SerialSender)


def test_demo_forward_reports_chases_and_digests(make_board):
    b = make_board(london(D(2026, 2, 16), 9))
    b.deliver(REFERRAL)  # returns due Monday 2 March
    b.at(london(D(2026, 2, 27), 7))
    lines = forward(b.rt, 4)  # Mon 2, Tue 3, Wed 4, Thu 5 March
    assert b.rt.today() == D(2026, 3, 5)
    assert [line for line in lines if " digest " in line][0].startswith("Mon 02/03/2026")
    chases = [line for line in lines if " chase " in line]
    assert len(chases) == 8 and all(line.startswith("Wed 04/03/2026") for line in chases)
    assert forward(b.rt, 0) == []


def test_digest_preview_command_writes_files_and_sends_nothing(make_board, database_url, tmp_path):
    b = make_board(london(D(2026, 2, 16), 9))
    b.deliver(REFERRAL)
    out = tmp_path / "preview" / "digest.html"
    parser = argparse.ArgumentParser()
    for opt in ("--data-dir", "--database-url", "--config-dir"):
        parser.add_argument(opt)
    digest_command.add_parser(parser.add_subparsers())
    args = parser.parse_args(["--data-dir", str(tmp_path / "data"), "--database-url", database_url,
                              "--config-dir", str(REPO / "config"), "digest", "--board", "west-sussex",
                              "--preview", "--out", str(out), "--date", "2026-03-05"])
    before = len(b.outbox())
    assert args.func(args) == 0
    html, txt = out.read_text("utf-8"), out.with_suffix(".txt").read_text("utf-8")
    assert "WS-2026-0001" in html and "<script" not in html.lower()
    assert txt.startswith("Subject: WSSCB daily digest, Thursday 5 March 2026")
    assert len(b.outbox()) == before


def test_due_work_under_a_lease_another_instance_took_writes_nothing(make_board, caplog):
    """A paused holder still trusts its lease locally; the database fence stops its due work."""
    from sqlalchemy import update

    from mailbot.store.leases import Leases
    from mailbot.store.models import BoardLease

    b = make_board(london(D(2026, 2, 16), 9))
    b.deliver(REFERRAL)
    b.at(london(D(2026, 3, 4), 9))
    a, other = Leases(b.store, ttl=30, name="host-a:1:aaa"), Leases(b.store, ttl=30, name="host-b:2:bbb")
    [stale] = a.acquire(["west-sussex"])
    with b.store.transaction() as s:  # A's lease ran out while A was paused ...
        s.execute(update(BoardLease).values(expires_at=dt.datetime(2000, 1, 1)))
    [taken] = other.acquire(["west-sussex"])  # ... and B took the board
    assert stale.valid() and taken.token == stale.token + 1  # A has not noticed yet
    b.rt.lease = stale
    scheduler.register_runtimes([b.rt])
    try:
        assert scheduler.due_work("west-sussex") == 0
        assert b.outbox("chase", "digest") == []
        assert stale.lost.is_set() and not [r for r in caplog.records if r.levelname == "ERROR"]
        b.rt.lease = taken
        assert scheduler.due_work("west-sussex") == 8 + 1
    finally:
        scheduler.unregister_all()
