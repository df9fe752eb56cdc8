"""A small pool of read-ahead workers shared by every board of the service.

One worker process per board cost a region's 150 boards 4.2 GB; reading
needs only as many workers as there are cores to keep them busy. So the
service starts ``ReadAheadPool`` (workers started as needed, at most one
per core) and gives each board a ``PooledReader`` with the interface of
``ParseAhead`` (``submit``, ``take``, ``stop``): a board borrows an idle
worker for each message it sends ahead and gives it back when it takes the
answer. A board with a backlog and the pool to itself reads up to ``depth``
messages ahead at once (``mailbot.daemon.drain`` looks that far), so one
busy board uses every core too. When no worker is free the message is read
in the board's thread, as before; nothing waits for a worker.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from typing import TYPE_CHECKING

from mailbot.inbound.forms import FormReading
from mailbot.inbound.parse_ahead import JOB, TIMEOUT_SECONDS, ParseAhead, Parsed

if TYPE_CHECKING:
    from mailbot.config import Board

log = logging.getLogger("mailbot.inbound")


class ReadAheadPool:
    """Up to ``size`` workers (default: the cores), lent to one board's thread at a time."""

    def __init__(self, size: int | None = None, timeout: float = TIMEOUT_SECONDS, job: str = JOB) -> None:
        self.size = max(1, size or os.cpu_count() or 1)
        self.timeout = timeout
        self.job = job
        self._idle: list[ParseAhead] = []
        self._all: list[ParseAhead] = []
        self._lock = threading.Lock()

    def reader(self, board: Board) -> PooledReader:
        return PooledReader(self, FormReading.of(board))

    def borrow(self, reading: FormReading) -> ParseAhead | None:
        """An idle worker whose last answer is in (one is started if the pool is not full); None if none."""
        with self._lock:
            for worker in self._idle:
                if worker._pending is not None:
                    worker._collect(0)  # an answer nobody took (its board stopped or read it in-thread)
                if worker._pending is None:
                    self._idle.remove(worker)
                    return worker
            if len(self._all) >= self.size:
                return None
            worker = ParseAhead(reading, self.timeout, self.job)
            self._all.append(worker)
            return worker

    def give_back(self, worker: ParseAhead) -> None:
        with self._lock:
            if worker not in self._idle:
                self._idle.append(worker)

    @property
    def pids(self) -> list[int]:
        return [w.pid for w in self._all if w.pid is not None]

    def stop(self) -> None:
        """End every worker (the service is stopping)."""
        with self._lock:
            workers, self._all, self._idle = self._all, [], []
        for worker in workers:  # a busy one would finish its message first: ended now, in parallel
            if worker._pending is not None and worker._proc is not None:
                worker._proc.terminate()
        for worker in workers:
            worker.stop()


class PooledReader:
    """One board's read-ahead through the pool; used from the board's thread only."""

    def __init__(self, pool: ReadAheadPool, reading: FormReading) -> None:
        self.pool = pool
        self.reading = reading
        self.depth = pool.size
        self._pending: dict[str, ParseAhead] = {}
        #: Messages read by a worker; left to the thread by it; worker failures.
        self.used = self.declined = self.failed = 0

    @property
    def pid(self) -> int | None:
        return None

    def submit(self, raw: bytes) -> None:
        """Send ``raw`` to an idle worker, unless it is already there or ``depth`` are out."""
        sha = hashlib.sha256(raw).hexdigest()
        if sha in self._pending or len(self._pending) >= self.depth:
            return
        worker = self.pool.borrow(self.reading)
        if worker is None:
            return
        if worker.submit(raw, self.reading):
            self._pending[sha] = worker
        else:
            self.pool.give_back(worker)

    def take(self, sha256: str) -> Parsed | None:
        """The worker's reading of this message, or None (then it is read in-thread)."""
        worker = self._pending.pop(sha256, None)
        if worker is None:
            return None
        failed = worker.failed
        try:
            parsed = worker.take(sha256)
        finally:
            self.pool.give_back(worker)
        self.failed += worker.failed - failed
        if parsed is None:
            self.declined += worker.failed == failed
        else:
            self.used += 1
        return parsed

    def stop(self) -> None:
        """Give back what this board borrowed; a late answer is collected by the next borrower."""
        pending, self._pending = self._pending, {}
        for worker in pending.values():
            self.pool.give_back(worker)
