"""Board leases: one holder at a time, expiry, release, fencing of outbox claims, case numbers."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import select

from mailbot.outbound import outbox
from mailbot.outbound.outbox import recover_interrupted
from mailbot.store.leases import Leases, release_single_instance, single_instance
from mailbot.store.models import BoardLease, Case, OutboxMail
from mailbot.workflow.cases import next_case_number

pytestmark = pytest.mark.timeout(60)
BOARD = "west-sussex"
NOW = dt.datetime(2026, 2, 16, 9, 0)


def _queue(store, n: int) -> list[int]:  # noqa: ANN001
    from email.message import EmailMessage

    ids = []
    with store.transaction() as s:
        for i in range(n):
            msg = EmailMessage()
            msg["From"], msg["To"], msg["Subject"] = "board@lscb.example", "a@agency.example", f"n{i}"
            msg["Message-ID"] = f"<lease-{i}@lscb.example>"
            msg.set_content("hello")
            row = outbox.queue(s, board=BOARD, kind="test", dedupe_key=f"lease:{i}", message=msg, now=NOW)
            ids.append(row.id)
    return ids


def test_one_holder_at_a_time_and_a_release_hands_the_board_over_with_a_new_token(store):
    a, b = Leases(store, ttl=30, name="host-a:1:aaa"), Leases(store, ttl=30, name="host-b:2:bbb")
    [first] = a.acquire([BOARD])
    assert b.acquire([BOARD]) == []
    assert first.valid()
    a.release(first)
    assert not first.valid()
    [second] = b.acquire([BOARD])
    assert second.token == first.token + 1
    assert a.acquire([BOARD]) == []


def test_a_holder_that_stops_renewing_loses_the_board_after_the_lease_time(store):
    a, b = Leases(store, ttl=1.0, name="host-a:1:aaa"), Leases(store, ttl=1.0, name="host-b:2:bbb")
    [held] = a.acquire([BOARD])
    assert b.acquire([BOARD]) == []
    time.sleep(0.6)
    assert not held.valid()  # trusted for half the lease only: no email started from here on
    time.sleep(0.7)
    [taken] = b.acquire([BOARD])
    assert taken.token == held.token + 1
    assert a.renew() == [held] and held.lost.is_set()


def test_renewal_keeps_the_board_past_the_lease_time(store):
    a, b = Leases(store, ttl=1.0, name="host-a:1:aaa"), Leases(store, ttl=1.0, name="host-b:2:bbb")
    [held] = a.acquire([BOARD])
    for _ in range(4):
        time.sleep(0.4)
        assert a.renew() == []
        assert b.acquire([BOARD]) == []
    assert held.valid()


def test_a_dead_process_on_this_host_is_taken_over_at_once(store):
    from mailbot.store.leases import instance_name

    host, _, nonce = instance_name().split(":")
    dead = Leases(store, ttl=30, name=f"{host}:999999999:{nonce.partition('.')[0]}.dead")
    dead.acquire([BOARD])
    other_host = Leases(store, ttl=30, name="elsewhere:5:ccc")
    assert other_host.acquire([BOARD]) == []  # another host's process cannot be checked: it waits
    [mine] = Leases(store, ttl=30).acquire([BOARD])
    assert mine.token == 2


def test_recovery_after_a_takeover_resets_only_the_old_holders_claims(store):
    ids = _queue(store, 4)
    a, b = Leases(store, ttl=1.0, name="host-a:1:aaa"), Leases(store, ttl=1.0, name="host-b:2:bbb")
    [old] = a.acquire([BOARD])
    claimed_by_old = outbox._claim(store, BOARD, NOW, 2, old)
    assert [c.id for c in claimed_by_old] == ids[:2]
    time.sleep(1.1)
    [new] = b.acquire([BOARD])
    claimed_by_new = outbox._claim(store, BOARD, NOW, 1, new)
    assert recover_interrupted(store, BOARD, NOW, new) == 2
    with store.session() as s:
        rows = {r.id: (r.status, r.claimant) for r in s.scalars(select(OutboxMail))}
    assert rows[ids[0]] == rows[ids[1]] == ("pending", None)
    assert rows[claimed_by_new[0].id] == ("sending", "host-b:2:bbb")  # the live holder's claim is left be


def test_the_old_holders_marks_and_claims_do_not_apply_after_a_takeover(store):
    ids = _queue(store, 2)
    a, b = Leases(store, ttl=1.0, name="host-a:1:aaa"), Leases(store, ttl=1.0, name="host-b:2:bbb")
    [old] = a.acquire([BOARD])
    outbox._claim(store, BOARD, NOW, 1, old)
    time.sleep(1.1)
    [new] = b.acquire([BOARD])
    recover_interrupted(store, BOARD, NOW, new)
    [again] = outbox._claim(store, BOARD, NOW, 1, new)
    assert again.id == ids[0]
    old.renewed_at = time.monotonic()  # as if the old holder still trusted its lease
    assert outbox._claim(store, BOARD, NOW, 5, old) == []  # the row names another holder now
    assert old.lost.is_set()
    with store.engine.connect() as conn:
        outbox._mark_sent(conn, outbox._state(store, BOARD), [ids[0]], NOW, ("host-a:1:aaa", old.token))
    with store.session() as s:
        row = s.get(OutboxMail, ids[0])
        assert (row.status, row.claimant, row.claim_token) == ("sending", "host-b:2:bbb", new.token)


def test_case_numbers_come_from_the_counter_and_start_after_the_cases_there(store):
    with store.transaction() as s:
        s.add(Case(board=BOARD, reference="WS-2026-0007", year=2026, seq=7, stage="scoping",
                   opened_at=NOW))
    with store.transaction() as s:
        first = next_case_number(s, BOARD, 2026)
    with store.transaction() as s:
        second = next_case_number(s, BOARD, 2026)
    with store.transaction() as s:
        other_year = next_case_number(s, BOARD, 2027)
    assert (first, second, other_year) == (8, 9, 1)


def test_a_rolled_back_case_gives_its_number_back(store):
    with pytest.raises(RuntimeError), store.transaction() as s:
        next_case_number(s, BOARD, 2026)
        raise RuntimeError("the referral's step failed")
    with store.transaction() as s:
        assert next_case_number(s, BOARD, 2026) == 1


def test_a_second_instance_on_one_sqlite_database_is_refused(tmp_path):
    from mailbot.store.db import open_store, sqlite_url
    import subprocess
    import sys

    store = open_store(sqlite_url(tmp_path / "mailbot.db"))
    assert single_instance(store)
    try:  # another process, as a second `mailbot run` would be
        code = ("import sys; from mailbot.store.db import Store; from mailbot.store.leases import single_instance\n"
                "try:\n    single_instance(Store(sys.argv[1]))\nexcept Exception as err:\n"
                "    print(err); sys.exit(2)\n")
        done = subprocess.run([sys.executable, "-c", code, store.url], capture_output=True, text=True, timeout=60)
        assert done.returncode == 2
        assert done.stdout.strip().splitlines() == [
            "another mailbot instance is running on this SQLite database; "
            "more than one needs PostgreSQL (MAILBOT_DATABASE_URL)"]
    finally:
        release_single_instance(store)
        store.dispose()
