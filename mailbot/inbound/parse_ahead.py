"""Reading the next message in a worker process while the board handles this one.

Reading an email and its forms (``read_message``, ``read_forms``) is pure:
bytes and the board's form mappings in, a ``MailMessage`` and the form
records out; no database, no files kept, nothing sent. It is about 40 % of
a referral's CPU, and one Python process runs on one core. So while the
board's loop handles message N, a worker process reads message N+1.
``handle_message`` uses that result only when it is for the same bytes
(sha256); anything else is read in the board's thread as before.

The worker is a fresh interpreter (``python -c``, not a fork of the
threaded daemon), given once at start what reading forms needs of the
board (``FormReading``: its mappings and form passwords; not its calendar
or directory, which would cost memory) and a socket to talk over. Its
stdout and stderr go nowhere, so nothing it prints can reach the daemon's
log. It only computes: crash safety is the daemon's alone, and
the worker dies with it (EOF on its socket when idle; the kernel's
parent-death signal when busy). A worker that dies, hangs past ``timeout``
or returns nothing usable costs only time: that message is read in-thread,
with the parsers' own limits, and the worker is replaced (after repeated
failures, with a growing pause). The service shares a few such workers
among all its boards (``read_pool``); a worker is then given each board
it reads for once, with its first message. A worker may be sent a few
messages at once (``queue``): it takes each off the socket as it arrives
(so sending never waits for the reading) and answers them in order, so a
slow one (a long PDF) does not leave the worker idle until the board gets
to it.

Not read ahead: messages ``read_message`` refuses; for those the worker
answers "read it yourself" (the MIME tree is never sent back: delivery
reports are read into ``MailMessage.delivery`` while reading). Log records the
worker makes are sent back with the result and logged here, through the
daemon's handlers and their redacting filter.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import importlib
import logging
import os
import pickle
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailbot.inbound.classify import FormOutcome
from mailbot.inbound.forms import FormReading, FormSource, read_forms
from mailbot.inbound.message import MailMessage, MailProblem, read_message

if TYPE_CHECKING:
    from mailbot.config import Board

log = logging.getLogger("mailbot.inbound")
#: ``MAILBOT_PARSE_AHEAD=off`` (or 0 / false / no) turns it off for ``mailbot run``.
ENV = "MAILBOT_PARSE_AHEAD"
#: Longest wait for the worker's answer before the message is read in-thread: room for
#: the parsers' own caps (a .doc conversion 60 s, a PDF 20 s) on a busy machine.
TIMEOUT_SECONDS = 150.0
#: Pause before a new worker after consecutive failures: 1, 2, 4 … seconds, capped.
MAX_PAUSE_SECONDS = 300.0
#: What the worker runs on each message (``module:function``); tests name their own.
JOB = "mailbot.inbound.parse_ahead:read_ahead"
_PR_SET_PDEATHSIG = 1
_NOT_YET = object()  # an answer not in yet (a look without waiting)
_ROOT = str(Path(__file__).resolve().parents[2])  # holds the mailbot and parsers packages
#: The worker's program: the folder holding mailbot goes last on its path (so an installed
#: mailbot is found as usual and a checkout as well), and -P keeps the working folder off it.
_ENTRY = ("import sys; sys.argv[3] in sys.path or sys.path.append(sys.argv[3]); "
          "from mailbot.inbound.parse_ahead import serve; serve(int(sys.argv[1]), int(sys.argv[2]))")


def enabled_by_env() -> bool:
    return os.environ.get(ENV, "on").strip().lower() not in ("0", "off", "false", "no")


@dataclass
class Parsed:
    """What ``read_message`` and ``read_forms`` made of one message, read elsewhere."""

    sha256: str
    msg: MailMessage
    forms: list[FormOutcome]
    #: Log records made while reading, to be logged by the daemon (``replay``).
    records: list[logging.LogRecord] = field(default_factory=list)

    def replay(self) -> None:
        for record in self.records:
            logging.getLogger(record.name).handle(record)


def read_ahead(board: FormSource, raw: bytes) -> Parsed | None:
    """The worker's job; None when the board's thread must read this message itself."""
    try:
        msg = read_message(raw)
    except MailProblem:
        return None  # quarantined in-thread, with the same reason
    forms = read_forms(board, msg, [])
    return Parsed(hashlib.sha256(raw).hexdigest(), replace(msg, email=None), forms)


class _Capture(logging.Handler):
    """Keeps the worker's log records, made picklable, for the daemon to log."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            record.msg = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not break the worker
            record.msg = str(record.msg)
        record.args = None
        if record.exc_info:  # exception texts may quote input: the type name only, as the filter does
            record.exc_text = record.exc_info[0].__name__ if record.exc_info[0] else "Exception"
            record.exc_info = None
        self.records.append(record)


def serve(fd: int, parent: int) -> None:
    """The worker process: a board first, then (board or None, raw bytes) in, a pickled ``Parsed`` (or None) out.

    A request names its board the first time this worker reads for it (a
    shared pool's worker reads for many boards); after that, by its slug.
    """
    try:
        _die_with(parent)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the daemon's: it stops us
        signal.signal(signal.SIGTERM, _exit_on_term)  # unwinds, so temp files are removed
        conn = Connection(fd)
        board, job_name, levels = pickle.loads(conn.recv_bytes())
        boards = {board.slug: board}
        module, _, name = job_name.partition(":")
        job = getattr(importlib.import_module(module), name)
        capture = _Capture()
        logging.getLogger().handlers = [capture]
        for logger, level in levels.items():
            logging.getLogger(logger or None).setLevel(level)
        logging.captureWarnings(True)
        requests: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        threading.Thread(target=_receive, args=(conn, requests), daemon=True).start()
        while (request := requests.get()) is not None:
            slug, given, raw = pickle.loads(request)
            if given is not None:
                boards[slug] = given
            capture.records = []
            try:
                parsed = job(boards[slug], raw)
                if parsed is not None:
                    parsed.records = capture.records
                answer = pickle.dumps(parsed, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:  # noqa: BLE001 - read in-thread instead, where it is handled and logged
                answer = pickle.dumps(None)
            conn.send_bytes(answer)
    except BaseException:  # noqa: BLE001 - ends quietly: stderr goes nowhere anyway
        os._exit(1)
    os._exit(0)


def _receive(conn: Connection, requests: queue.SimpleQueue[bytes | None]) -> None:
    """Take requests off the socket as they come (the daemon's send never waits on a read); None at EOF."""
    try:
        with contextlib.suppress(EOFError, OSError):  # the daemon closed its end, or went
            while True:
                requests.put(conn.recv_bytes())
    finally:
        requests.put(None)


def _exit_on_term(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _die_with(parent: int) -> None:
    """Ask the kernel for SIGTERM when the daemon dies (Linux), and check it has not already."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux: EOF on the socket still ends an idle worker
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:
        os._exit(0)


def _levels() -> dict[str, int]:
    """The log levels set in the daemon (root as ""), for the worker to keep the same ones."""
    out = {"": logging.getLogger().level}
    for name, logger in logging.Logger.manager.loggerDict.items():
        if isinstance(logger, logging.Logger) and logger.level:
            out[name] = logger.level
    return out


class ParseAhead:
    """One worker process, used by one thread at a time (up to ``queue`` messages in flight).

    Alone it reads for one board (``submit(raw)``); in a ``ReadAheadPool``
    it reads for whichever board borrowed it (``submit(raw, board)``).
    """

    def __init__(self, board: Board | FormReading, timeout: float = TIMEOUT_SECONDS, job: str = JOB,
                 queue: int = 1) -> None:
        self.board = board if isinstance(board, FormReading) else FormReading.of(board)
        self.timeout = timeout
        self.job = job
        self.queue = max(1, queue)
        self._proc: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        #: sha256 of each message sent and not yet answered, in the order sent (and answered).
        self._flight: deque[str] = deque()
        self._known: set[str] = set()  # boards the current worker process has been given
        self._failures = 0
        self._not_before = 0.0
        #: Messages read by the worker; left to the thread by it; worker failures.
        self.used = self.declined = self.failed = 0

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def start(self) -> ParseAhead:
        """Start the worker and hand it the board (it then imports the parsers while we go on)."""
        mine, theirs = socket.socketpair()
        try:
            proc = subprocess.Popen(
                [sys.executable, "-P", "-c", _ENTRY, str(theirs.fileno()), str(os.getpid()), _ROOT],
                pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL)
        except BaseException:
            mine.close()
            raise
        finally:
            theirs.close()
        conn = Connection(mine.detach())
        try:
            conn.send_bytes(pickle.dumps((self.board, self.job, _levels()), protocol=pickle.HIGHEST_PROTOCOL))
        except OSError:
            conn.close()
            _end(proc)
            raise
        self._proc, self._conn = proc, conn
        self._flight.clear()
        self._known = {self.board.slug}
        log.info("%s: reading ahead in worker process %s", self.board.slug, proc.pid)
        return self

    @property
    def in_flight(self) -> int:
        """Messages sent to the worker and not yet answered."""
        return len(self._flight)

    def has(self, sha256: str) -> bool:
        return sha256 in self._flight

    @property
    def connection(self) -> Connection | None:
        """The socket to the worker, for waiting on several workers at once."""
        return self._conn

    def receive(self, timeout: float) -> tuple[str, Parsed | None] | None:
        """The answer to the oldest message in flight: (its sha256, the reading or None).

        None if it is not in after ``timeout`` = 0. A worker that died or took
        longer than a non-zero ``timeout`` is stopped, and what else it had in
        flight is lost with it (read in-thread).
        """
        head = self._flight[0]
        answer = self._collect(timeout, head)
        return None if answer is _NOT_YET else (head, answer)  # type: ignore[return-value]

    def give_up(self, why: str) -> None:
        """Stop a worker that took too long (the caller waited for it elsewhere)."""
        self._failed(why)

    def settle(self) -> None:
        """Drop the answers already in that nobody took (messages read in-thread meanwhile)."""
        while self._flight and self._conn is not None and self._collect(0, self._flight[0]) is not _NOT_YET:
            pass

    def submit(self, raw: bytes, board: FormReading | None = None) -> bool:
        """Start reading ``raw`` (for ``board``, default this reader's) in the worker, if it has room.

        Never blocks for long; False if the message was not sent (the worker
        has ``queue`` messages in flight, or is down: it is read in-thread).
        """
        if len(self._flight) >= self.queue:
            self.settle()  # late answers to messages read in-thread meanwhile
            if len(self._flight) >= self.queue:
                return False
        if self._proc is None:
            if time.monotonic() < self._not_before:
                return False
            try:
                self.start()
            except OSError as err:
                self._failed(f"could not start ({type(err).__name__})")
                return False
        assert self._conn is not None
        board = board or self.board
        given = None if board.slug in self._known else board
        try:  # the worker is waiting for it
            self._conn.send_bytes(pickle.dumps((board.slug, given, raw), protocol=pickle.HIGHEST_PROTOCOL))
        except OSError:
            self._failed("died")
            return False
        self._known.add(board.slug)
        self._flight.append(hashlib.sha256(raw).hexdigest())
        return True

    def take(self, sha256: str) -> Parsed | None:
        """The worker's reading of this message, or None (then it is read in-thread).

        Answers to messages sent before it that nobody took are dropped on the way.
        """
        if sha256 not in self._flight:
            return None
        failed = self.failed
        while True:
            head = self._flight[0]
            answer = self._collect(self.timeout, head)
            if head == sha256 or not self._flight:
                break
        parsed = answer if isinstance(answer, Parsed) else None
        if parsed is None or parsed.sha256 != sha256:
            self.declined += self.failed == failed
            return None
        self.used += 1
        return parsed

    def _collect(self, timeout: float, sha256: str) -> Parsed | None | object:
        """The answer to the oldest message in flight (``sha256``); ``_NOT_YET`` if not in
        after ``timeout`` = 0. Stops a worker that died or took too long (None then)."""
        assert self._conn is not None
        try:
            if not self._conn.poll(timeout):
                if not timeout:
                    return _NOT_YET
                self._failed(f"gave no answer in {timeout:.0f}s")
                return None
            answer: Any = pickle.loads(self._conn.recv_bytes())
        except (EOFError, OSError, pickle.UnpicklingError):
            self._failed("died")
            return None
        self._flight.popleft()
        self._failures = 0
        return answer if isinstance(answer, Parsed) and answer.sha256 == sha256 else None

    def _failed(self, why: str) -> None:
        self.failed += 1
        self._failures += 1
        pause = min(MAX_PAUSE_SECONDS, 2.0 ** (self._failures - 1)) if self._failures > 1 else 0.0
        log.warning("%s: the read-ahead worker %s; reading in-thread%s", self.board.slug, why,
                    f", new worker in {pause:.0f}s" if pause else "")
        self._not_before = time.monotonic() + pause
        self.stop()

    def stop(self) -> None:
        """End the worker: EOF first, then SIGTERM (it cleans up), then SIGKILL."""
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        self._flight.clear()
        if conn is not None:
            conn.close()
        if proc is not None:
            _end(proc)


def _end(proc: subprocess.Popen[bytes]) -> None:
    for stop, wait in ((None, 1.0), (proc.terminate, 5.0), (proc.kill, None)):
        if stop is not None:
            stop()
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue
