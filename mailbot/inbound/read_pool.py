"""A small pool of read-ahead workers shared by every board of the service.

One worker process per board cost a region's 150 boards 4.2 GB; reading
needs only as many workers as there are cores to keep them busy. So the
service starts ``ReadAheadPool`` (workers started as needed, at most one
per core) and gives each board a ``PooledReader`` with the interface of
``ParseAhead`` (``submit``, ``take``, ``stop``): a board borrows idle
workers for the messages it sends ahead and gives each back once every
answer it gave the board is in. A board with a backlog and the pool to
itself looks up to ``depth`` messages ahead (``mailbot.daemon.drain``
looks that far), fed to the workers as they finish (``QUEUE`` in flight
on each), so one busy board uses every core too: with one message in
flight per worker, a long PDF held the board at it while the other
worker, done with the short one after it, sat idle. A message no worker
has taken by the time the board reaches it is read in the board's
thread, as before; nothing waits for a worker.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from multiprocessing.connection import wait
from typing import TYPE_CHECKING

from mailbot.inbound.forms import FormReading
from mailbot.inbound.parse_ahead import JOB, TIMEOUT_SECONDS, ParseAhead, Parsed

if TYPE_CHECKING:
    from mailbot.config import Board

log = logging.getLogger("mailbot.inbound")
#: Messages in flight on one worker at most: the one it reads and the next, so it never waits for the board.
QUEUE = 2


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
    """One board's read-ahead through the pool; used from the board's thread only.

    Messages wait here (``_unsent``) until a worker has room, and go to
    whichever has least in flight: a worker is fed as it finishes, not in
    turn, so one long PDF never holds the messages queued behind it (sent
    in turn, every fourth message of a backlog, the PDFs, all went to one
    worker). While the board waits for one answer, answers from the other
    workers are kept and those workers fed again.
    """

    def __init__(self, pool: ReadAheadPool, reading: FormReading) -> None:
        self.pool = pool
        self.reading = reading
        self.depth = pool.size * (pool.queue + 1)
        self._unsent: dict[str, bytes] = {}  # oldest first
        self._sent: dict[str, ParseAhead] = {}
        self._answers: dict[str, Parsed | None] = {}
        self._order: dict[str, int] = {}  # submission number of each message here
        self._count = self._taken = 0
        self._held: list[ParseAhead] = []  # borrowed, with messages of this board in flight
        #: Messages read by a worker; left to the thread by it; worker failures.
        self.used = self.declined = self.failed = 0

    @property
    def pid(self) -> int | None:
        return None

    def submit(self, raw: bytes) -> None:
        """Queue ``raw`` for a worker, unless it is already here or ``depth`` are."""
        sha = hashlib.sha256(raw).hexdigest()
        if sha in self._order or len(self._order) >= self.depth:
            return
        self._count += 1
        self._order[sha] = self._count
        self._unsent[sha] = raw
        self._feed()

    def take(self, sha256: str) -> Parsed | None:
        """The worker's reading of this message, or None (then it is read in-thread).

        Whatever was submitted before it and not taken is dropped: the board
        read it itself.
        """
        number = self._order.get(sha256)
        if number is None:
            return None
        self._taken = number
        self._prune()
        if sha256 in self._sent:
            self._wait_for(sha256)
        read = sha256 in self._answers
        parsed = self._answers.pop(sha256, None)
        self._forget(sha256)
        self._feed()
        if parsed is not None:
            self.used += 1
        elif read:
            self.declined += 1
        return parsed

    def _prune(self) -> None:
        """Forget the messages submitted before the one taken last, unless a worker still has them."""
        for sha in [s for s, n in self._order.items() if n < self._taken and s not in self._sent]:
            self._forget(sha)

    def _forget(self, sha256: str) -> None:
        self._order.pop(sha256, None)
        self._unsent.pop(sha256, None)
        self._answers.pop(sha256, None)

    def _feed(self) -> None:
        """Send waiting messages, oldest first, to the workers with room."""
        while self._unsent:
            worker = self._roomiest()
            if worker is None:
                return
            sha, raw = next(iter(self._unsent.items()))
            if not worker.submit(raw, self.reading):  # the worker is down: try again later
                if not worker.in_flight:
                    self._give_back(worker)
                return
            del self._unsent[sha]
            self._sent[sha] = worker

    def _roomiest(self) -> ParseAhead | None:
        """A held worker with nothing in flight, else an idle one of the pool, else the least loaded."""
        worker = min(self._held, key=lambda w: w.in_flight, default=None)
        if worker is None or worker.in_flight:
            borrowed = self.pool.borrow(self.reading)
            if borrowed is not None:
                self._held.append(borrowed)
                return borrowed
        return worker if worker is not None and worker.in_flight < worker.queue else None

    def _wait_for(self, sha256: str) -> None:
        """Collect answers, from whichever worker gives one, until this message's is in."""
        worker = self._sent[sha256]
        deadline = time.monotonic() + self.pool.timeout
        while sha256 in self._sent:
            busy = {w.connection: w for w in self._held if w.in_flight and w.connection is not None}
            remaining = deadline - time.monotonic()
            ready = wait(list(busy), max(0.0, remaining)) if busy else []
            if not ready:
                self._collect(worker, give_up=f"gave no answer in {self.pool.timeout:.0f}s")
                return
            for conn in ready:
                self._collect(busy[conn])  # type: ignore[index]
            self._feed()

    def _collect(self, worker: ParseAhead, give_up: str | None = None) -> None:
        """Keep the worker's next answer (if for a message still wanted), or stop a worker that
        took too long; what a failed worker had in flight is forgotten (read in-thread)."""
        failed = worker.failed
        if give_up is not None:
            worker.give_up(give_up)
        elif worker.in_flight and (got := worker.receive(0)) is not None:
            sha, answer = got
            self._sent.pop(sha, None)
            if worker.failed == failed and self._order.get(sha, 0) >= self._taken:
                self._answers[sha] = answer
        for sha in [s for s, w in self._sent.items() if w is worker and not w.has(s)]:
            del self._sent[sha]
        self.failed += worker.failed - failed
        self._prune()
        if not worker.in_flight:
            self._give_back(worker)

    def _give_back(self, worker: ParseAhead) -> None:
        if worker in self._held:
            self._held.remove(worker)
        self.pool.give_back(worker)

    def stop(self) -> None:
        """Give back what this board borrowed; late answers are dropped by the next borrower."""
        held, self._held = self._held, []
        self._unsent, self._sent, self._answers, self._order = {}, {}, {}, {}
        for worker in held:
            self.pool.give_back(worker)
