"""The board loop rides out failing passes and comes back as soon as the database does."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time

import pytest

from mailbot import daemon
from mailbot.store.db import StoreUnavailable

pytestmark = pytest.mark.timeout(60)


class _Store:
    def __init__(self, answers: list[bool]) -> None:
        self.answers = answers
        self.pings = 0

    def ping(self) -> bool:
        self.pings += 1
        return self.answers.pop(0) if self.answers else True

    @contextlib.contextmanager
    def fail_fast(self):  # noqa: ANN201
        yield


class _Mailbox:
    def wait(self, timeout: float) -> bool:
        time.sleep(0.01)
        return False


class _Runtime:
    slug = "west-sussex"
    lease = None

    def __init__(self, store: _Store) -> None:
        self.store = store
        self.mailbox = _Mailbox()

    def now(self) -> dt.datetime:
        return dt.datetime(2026, 2, 16, 9, 0, tzinfo=dt.timezone.utc)


def test_after_an_outage_the_pause_ends_when_the_database_answers():
    rt = _Runtime(_Store([False, False, True]))
    started = time.monotonic()
    daemon._pause(rt, StoreUnavailable("database unavailable (OperationalError)"), 8.0, threading.Event())
    assert time.monotonic() - started < 7.0  # a quarter of the backoff, two more pings: not the whole 8 s
    assert rt.store.pings == 3


def test_after_another_error_the_pause_is_the_backoff_and_pings_nothing():
    rt = _Runtime(_Store([]))
    started = time.monotonic()
    daemon._pause(rt, RuntimeError("a bug"), 0.3, threading.Event())
    assert time.monotonic() - started >= 0.3
    assert rt.store.pings == 0


def test_a_failing_pass_never_ends_the_board_loop(monkeypatch):
    rt = _Runtime(_Store([]))
    stop = threading.Event()
    passes: list[int] = []

    def one_pass(_rt, _stop=None):  # noqa: ANN001, ANN202
        passes.append(1)
        if len(passes) == 1:
            raise StoreUnavailable("database unavailable (OperationalError)")
        if len(passes) == 2:
            raise KeyError("a bug in a step")
        stop.set()
        return daemon.PassStats()

    monkeypatch.setattr(daemon, "one_pass", one_pass)
    monkeypatch.setattr(daemon, "_next_wait", lambda _rt, idle: idle)
    monkeypatch.setattr(daemon, "RETRY_INITIAL", 0.05)
    worker = threading.Thread(target=daemon.run_board, args=(rt, stop, 0.1, True))
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive()
    assert len(passes) == 3  # failed, failed, then a good pass
