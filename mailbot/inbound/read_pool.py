"""A small pool of read-ahead workers shared by every board of the service.

One worker process per board cost a region's 150 boards 4.2 GB; reading
needs only as many workers as there are cores to keep them busy. So the
service starts ``ReadAheadPool`` (workers started as needed, at most one
per core) and gives each board a ``PooledReader`` with the interface of
``ParseAhead`` (``submit``, ``take``, ``stop``): a board borrows an idle
worker for each message it sends ahead and gives it back when it takes the
answer. A board with a backlog and the pool to itself reads up to ``depth``
messages ahead at once (``mailbot.daemon.drain`` looks that far), a few
queued on each worker (``QUEUE``), so one busy board uses every core too:
with one message in flight per worker, a long PDF held the board at it
while the other worker, done with the short one after it, sat idle. When
no worker has room the message is read in the board's thread, as before;
nothing waits for a worker.
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
#: Messages queued on one worker at most: a backlog's next few, so it never waits for the board.
QUEUE = 3


class ReadAheadPool:
    """Up to ``size`` workers (default: the cores), lent to one board's thread at a time."""

    def __init__(self, size: int | None = None, timeout: float = TIMEOUT_SECONDS, job: str = JOB,
                 queue: int = QUEUE) -> None:
        self.size = max(1, size or os.cpu_count() or 1)
        self.queue = max(1, queue)
        self.timeout = timeout
        self.job = job
        self._idle: list[ParseAhead] = []
        self._all: list[ParseAhead] = []
        self._lock = threading.Lock()

    def reader(self, board: Board) -> PooledReader:
        return PooledReader(self, FormReading.of(board))

    def borrow(self, reading: FormReading) -> ParseAhead | None:
        """An idle worker whose answers are all in (one is started if the pool is not full); None if none."""
        with self._lock:
            for worker in self._idle:
                worker.settle()  # answers nobody took (their board stopped or read them in-thread)
                if not worker.in_flight:
                    self._idle.remove(worker)
                    return worker
            if len(self._all) >= self.size:
                return None
            worker = ParseAhead(reading, self.timeout, self.job, self.queue)
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
        for worker in workers:  # a busy one would finish its messages first: ended now, in parallel
            if worker.in_flight and worker._proc is not None:
                worker._proc.terminate()
        for worker in workers:
            worker.stop()


class PooledReader:
    """One board's read-ahead through the pool; used from the board's thread only."""

    def __init__(self, pool: ReadAheadPool, reading: FormReading) -> None:
        self.pool = pool
        self.reading = reading
        self.depth = pool.size * pool.queue
        self._pending: dict[str, ParseAhead] = {}
        self._held: list[ParseAhead] = []  # borrowed, with messages of this board in flight
        #: Messages read by a worker; left to the thread by it; worker failures.
        self.used = self.declined = self.failed = 0

    @property
    def pid(self) -> int | None:
        return None

    def submit(self, raw: bytes) -> None:
        """Send ``raw`` to a worker with room, unless it is already there or ``depth`` are out.

        An idle worker of the pool first (spread over the cores), else the
        least loaded of those this board holds.
        """
        sha = hashlib.sha256(raw).hexdigest()
        if sha in self._pending or len(self._pending) >= self.depth:
            return
        worker = min(self._held, key=lambda w: w.in_flight, default=None)
        if worker is None or worker.in_flight:
            borrowed = self.pool.borrow(self.reading)
            if borrowed is not None:
                self._held.append(borrowed)
                worker = borrowed
        if worker is None or worker.in_flight >= worker.queue:
            return
        if worker.submit(raw, self.reading):
            self._pending[sha] = worker
        elif not worker.in_flight:
            self._give_back(worker)

    def take(self, sha256: str) -> Parsed | None:
        """The worker's reading of this message, or None (then it is read in-thread)."""
        worker = self._pending.pop(sha256, None)
        if worker is None:
            return None
        failed = worker.failed
        try:
            parsed = worker.take(sha256)
        finally:  # answers it dropped on the way (or lost with a failed worker) are in-thread reads now
            self._pending = {s: w for s, w in self._pending.items() if w.has(s)}
            if not worker.in_flight:
                self._give_back(worker)
        self.failed += worker.failed - failed
        if parsed is None:
            self.declined += worker.failed == failed
        else:
            self.used += 1
        return parsed

    def _give_back(self, worker: ParseAhead) -> None:
        if worker in self._held:
            self._held.remove(worker)
        self.pool.give_back(worker)

    def stop(self) -> None:
        """Give back what this board borrowed; late answers are dropped by the next borrower."""
        held, self._held, self._pending = self._held, [], {}
        for worker in held:
            self.pool.give_back(worker)
