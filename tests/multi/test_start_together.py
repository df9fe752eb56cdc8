"""Instances started at the same moment on one empty PostgreSQL database (``docker compose up``).

Each makes the schema and APScheduler's job table if missing. Without the
schema lock, all of them saw a table missing, all created it, and all but
one died on PostgreSQL's catalogue (``pg_type_typname_nsp_index``): the
two-instance crash phase caught one such start on a fresh machine.
"""

from __future__ import annotations

import threading
import types

import pytest
from sqlalchemy import inspect

from mailbot.schedule import scheduler
from mailbot.store.db import HEAD, open_store, schema_version

pytestmark = pytest.mark.timeout(120)
INSTANCES = 4


class _Sender:
    def close(self) -> None:
        pass


def _start_together(url: str, rounds: int) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(INSTANCES)

    def instance() -> None:
        try:
            barrier.wait()
            store = open_store(url)  # the schema, made or upgraded
            rt = types.SimpleNamespace(slug="west-sussex", store=store, sender=_Sender())
            sched = scheduler.start([rt], paused=True)  # APScheduler's table, then the job
            sched.shutdown(wait=False)
            store.dispose()
        except BaseException as err:  # noqa: BLE001 - collected for the assertion
            errors.append(err)

    for _ in range(rounds):
        threads = [threading.Thread(target=instance) for _ in range(INSTANCES)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return errors


def test_instances_started_together_on_an_empty_database_all_start(pg_cluster):
    errors: list[BaseException] = []
    for n in range(3):  # a fresh database each time: the race is on the first start
        url = pg_cluster.create_database(f"together_{n}")
        errors += _start_together(url, rounds=1)
        store = open_store(url)
        try:
            assert schema_version(store.engine) == HEAD
            assert "apscheduler_jobs" in inspect(store.engine).get_table_names()
        finally:
            store.dispose()
    scheduler.unregister_all()
    assert errors == [], [f"{type(e).__name__}: {e}"[:200] for e in errors]


def test_a_start_that_failed_before_the_heartbeat_stops_without_a_second_error(store):
    """The service's clean-up after a failed start must not hide the failure behind its own."""
    from mailbot.coordination import Coordinator
    from mailbot.store.leases import Leases

    coordinator = Coordinator(Leases(store, ttl=30, name="host-a:1:aaa"), [], threading.Event())
    coordinator.join(1.0)  # never started: returns, as after a start
    coordinator.start()
    coordinator.stop.set()
    coordinator.join(5.0)
    assert not coordinator._thread.is_alive()
