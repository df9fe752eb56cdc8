"""A stop takes seconds: SIGTERM ends the IDLE wait at once, and the lease goes to the next instance.

The daemon is a real process (``tests.crash.child``) on a real Dovecot,
waiting in IDLE with a 60 s timeout, as in production. Docker gives a
container 10 s between SIGTERM and SIGKILL; mailbot must be out well
before, its lease released so another instance takes the board at once
rather than after the lease time (30 s here, the default).
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.pool import NullPool

from mailbot.store.models import BoardLease, MailboxStatus
from tests.crash import harness
from tests.crash.target import BOARD

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]
IDLE = harness.Plan(idle_timeout=60.0)


def _poll(engine, query, until, timeout: float = 60.0):  # noqa: ANN001, ANN202
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with engine.connect() as conn:
                row = conn.execute(query).first()
        except Exception:  # noqa: BLE001 - the schema may not be there yet
            row = None
        if until(row):
            return row
        time.sleep(0.05)
    raise AssertionError(f"not reached in {timeout:.0f}s")


def _start(target: harness.Target, name: str, **extra) -> harness.Daemon:  # noqa: ANN003
    spec = {**harness.daemon_spec(target, IDLE), "log": str(target.workdir / f"{name}.log"), **extra}
    daemon = harness.Daemon(spec, target.workdir, "fork", name=name)
    daemon.start()
    return daemon


def _held_by(engine, host: str):  # noqa: ANN001, ANN202
    query = select(BoardLease.holder).where(BoardLease.board == BOARD)
    return _poll(engine, query, lambda row: row is not None and row[0] is not None and row[0].startswith(host))


def test_sigterm_ends_an_idle_wait_and_exits_within_five_seconds(crash_targets):
    target = crash_targets("stop")
    harness.seed_state(target.database_url, target.workdir / "data")
    engine = create_engine(target.database_url, poolclass=NullPool)
    daemon = _start(target, "daemon")
    try:
        _poll(engine, select(MailboxStatus.last_success_at).where(MailboxStatus.board == BOARD),
              lambda row: row is not None and row[0] is not None)  # a pass done: it waits in IDLE now
        time.sleep(1.0)
        asked = time.monotonic()
        code = daemon.terminate(timeout=30)
        took = time.monotonic() - asked
        assert code == 0
        print(f"SIGTERM to exit: {took:.2f}s")
        assert took < 5.0, f"exit took {took:.1f}s"
        with engine.connect() as conn:
            assert conn.scalar(select(BoardLease.holder).where(BoardLease.board == BOARD)) is None  # released
    finally:
        daemon.kill()
        engine.dispose()


def test_a_clean_stop_hands_the_lease_to_the_other_instance_within_five_seconds(crash_targets, pg_cluster):
    target = crash_targets("handover", cluster=pg_cluster)
    harness.seed_state(target.database_url, target.workdir / "data")
    engine = create_engine(target.database_url, poolclass=NullPool)
    first = _start(target, "first", instance_host="host-a")
    second = None
    try:
        _held_by(engine, "host-a:")
        second = _start(target, "second", instance_host="host-b")
        time.sleep(3.0)  # the second is up and waiting for the board (the lease is 30 s: it cannot expire)
        assert _held_by(engine, "host-a:")
        asked = time.monotonic()
        assert first.terminate(timeout=30) == 0
        _held_by(engine, "host-b:")
        took = time.monotonic() - asked
        print(f"clean stop to the other instance holding: {took:.2f}s")
        assert took < 5.0, f"handover took {took:.1f}s"
    finally:
        first.kill()
        if second is not None:
            second.terminate(timeout=30)
        engine.dispose()
