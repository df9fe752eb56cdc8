"""The shared read-ahead pool: workers as cores, lent to one board at a time, each board's own mappings."""

from __future__ import annotations

import hashlib
import os
import signal
import time
from pathlib import Path

import pytest

from mailbot.config import load_board
from mailbot.daemon import drain
from mailbot.demo.mailbox import deliver
from mailbot.demo.seed import load_state
from mailbot.inbound.message import read_message
from mailbot.inbound.pipeline import read_forms
from mailbot.inbound.read_pool import PooledReader, ReadAheadPool
from mailbot.runtime import build_runtime
from mailbot.store.db import open_store, sqlite_url
from tests.conftest import REPO, SAMPLES
from tests.inbound.test_prefetch import _all_emails, _outcome
from tests.flow.conftest import sample_emails

pytestmark = pytest.mark.timeout(180)


def _referral() -> bytes:
    return next(raw for name, _e, raw in sample_emails() if "referral" in name.lower())


def _sha(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def test_boards_share_one_worker_and_each_is_read_with_its_own_mappings():
    ws, swindon = load_board("west-sussex", REPO / "config"), load_board("swindon", REPO / "config")
    pool = ReadAheadPool(size=1)
    try:
        raw = _referral()
        results = {}
        for board in (ws, swindon, ws):
            reader = pool.reader(board)
            reader.submit(raw)
            parsed = reader.take(_sha(raw))
            assert parsed is not None and reader.used == 1
            msg = read_message(raw)
            assert parsed.forms == read_forms(board, msg, []), board.slug  # this board's mappings
            results.setdefault(board.slug, parsed.forms)
        assert len(pool.pids) == 1
        assert results["west-sussex"] != results["swindon"]  # the sample is a West Sussex form
    finally:
        pool.stop()


def test_one_board_reads_a_few_ahead_on_every_worker():
    board = load_board("west-sussex", REPO / "config")
    pool = ReadAheadPool(size=2, queue=2)
    try:
        reader = pool.reader(board)
        assert reader.depth == 6
        raws = [raw for _n, raw in _all_emails()[:7]]
        for raw in raws:
            reader.submit(raw)  # two in flight on each worker, two waiting; the seventh is read in-thread
        assert len(pool.pids) == 2
        assert sorted(w.in_flight for w in pool._all) == [2, 2]  # spread over the workers
        assert [reader.take(_sha(raw)) is not None for raw in raws] == [True] * 6 + [False]
        assert reader.used == 6 and not reader._held  # every worker given back once its answers were taken
    finally:
        pool.stop()


def test_a_message_taken_out_of_turn_drops_the_answers_queued_before_it():
    board = load_board("west-sussex", REPO / "config")
    pool = ReadAheadPool(size=1, queue=3)
    try:
        reader = pool.reader(board)
        first, second, third = (raw for _n, raw in _all_emails()[:3])
        for raw in (first, second, third):
            reader.submit(raw)
        parsed = reader.take(_sha(second))  # the first was read in-thread meanwhile
        assert parsed is not None and parsed.sha256 == _sha(second)
        assert reader.take(_sha(first)) is None  # its answer was dropped, not handed out later
        parsed = reader.take(_sha(third))
        assert parsed is not None and parsed.sha256 == _sha(third)
        assert reader.failed == 0 and len(pool.pids) == 1
    finally:
        pool.stop()


def test_an_answer_a_stopped_board_left_behind_never_reaches_another_board():
    ws, swindon = load_board("west-sussex", REPO / "config"), load_board("swindon", REPO / "config")
    pool = ReadAheadPool(size=1)
    try:
        first, second = (raw for _n, raw in _all_emails()[:2])
        left = pool.reader(ws)
        left.submit(first)
        left.stop()  # gone without taking its answer
        other = pool.reader(swindon)
        deadline = time.monotonic() + 60
        other.submit(second)  # waits here: the only worker still reads the first
        while not other._sent and time.monotonic() < deadline:
            other._feed()  # the worker is lent again once the old answer is in
            time.sleep(0.05)
        parsed = other.take(_sha(second))
        assert parsed is not None and parsed.sha256 == _sha(second)
    finally:
        pool.stop()


def _drain_all(board, tmp_path: Path, clock, name: str, pool: ReadAheadPool | None,  # noqa: ANN001
               kill_at: int | None = None) -> dict:
    store = open_store(sqlite_url(tmp_path / f"{name}.db"))
    rt = build_runtime(board, store, tmp_path / name, clock)
    try:
        load_state(rt, SAMPLES / "emails" / "bot-state.json", SAMPLES)
        deliver(rt.data_dir / "mail" / rt.slug / "inbox", [raw for _n, raw in _all_emails()], start=1_700_000_000)
        if pool is not None:
            rt.parse_ahead = reader = pool.reader(rt.board)
            if kill_at is not None:
                _kill_a_worker_at(reader, kill_at)
        while drain(rt).handled:
            pass
        if pool is not None:
            assert rt.parse_ahead.used >= len(_all_emails()) // 2  # most were read by the workers
            assert rt.parse_ahead.failed == (0 if kill_at is None else 1)
        return _outcome(store)
    finally:
        rt.close()
        store.dispose()


def _kill_a_worker_at(reader: PooledReader, takes: int) -> None:
    """SIGKILL a worker holding messages of this board just before the ``takes``-th take."""
    take, count = reader.take, [0]

    def killing_take(sha256: str):  # noqa: ANN202
        count[0] += 1
        busy = [w for w in reader._held if w.in_flight and w.pid is not None]
        if count[0] == takes and busy:
            os.kill(busy[0].pid, signal.SIGKILL)
        return take(sha256)

    reader.take = killing_take  # type: ignore[method-assign]


def test_a_worker_killed_mid_drain_costs_only_time(ws_board, tmp_path, clock):
    pool = ReadAheadPool(size=2)
    try:
        assert _drain_all(ws_board, tmp_path, clock, "killed", pool, kill_at=6) == _drain_all(
            ws_board, tmp_path, clock, "thread", None)
        assert len(pool.pids) == 2  # replaced
    finally:
        pool.stop()


def test_drain_with_the_pool_has_the_same_outcome_as_without(ws_board, tmp_path, clock):
    pool = ReadAheadPool(size=2)
    try:
        assert _drain_all(ws_board, tmp_path, clock, "pool", pool) == _drain_all(
            ws_board, tmp_path, clock, "thread", None)
    finally:
        pool.stop()
