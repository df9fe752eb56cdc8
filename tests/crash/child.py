"""The daemon under test, as its own process: ``python -m tests.crash.child SPEC.json``.

What ``mailbot run`` does for one board (open the store, build the runtime,
``mailbot.service.run`` until SIGTERM), with the board pointed at the test
Dovecot and SMTP server and three test settings: a clock that starts at
the flow tests' Monday 09:00 and runs in real time from the harness's
start (so every incarnation agrees on "now"), a short outbox retry base, a
short pass-retry cap and a short SMTP timeout (so a fault's backoff takes
seconds, not minutes).

The harness either execs this module (``exec``) or forks it from a
fork server that has imported it already (``tests.crash.forkserver``);
either way it is a process of its own, and SIGKILL is real.
"""

from __future__ import annotations

import copy
import datetime as dt
import importlib
import json
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from mailbot import daemon, service
from mailbot.config import ImapMailbox, SmtpSending, load_board
from mailbot.errors import MailbotError
from mailbot.inbound import pipeline  # noqa: F401  (imported here so a fork starts warm)
from mailbot.logs import setup_logging
from mailbot.outbound import outbox
from mailbot.runtime import build_runtime
from mailbot.schedule import scheduler  # noqa: F401
from mailbot.store.db import StoreError, is_outage, open_store

REPO = Path(__file__).resolve().parents[2]
START = dt.datetime(2026, 2, 16, 9, 0, tzinfo=dt.timezone.utc)
#: Exit code when the database is not there at start (a supervisor starts it again).
EXIT_STORE_DOWN = 75
PASSWORD_ENV = "MAILBOT_CRASH_IMAP_PASSWORD"


@dataclass
class HarnessClock:
    """START plus the real time since the harness began (``epoch``, a Unix time)."""

    epoch: float

    def now(self) -> dt.datetime:
        return START + dt.timedelta(seconds=time.time() - self.epoch)


#: What the daemon imports lazily: imported here, so a forked start costs what a warm one does.
WARM = ["alembic.command", "alembic.config", "apscheduler.jobstores.sqlalchemy",
        "apscheduler.schedulers.background", "docxtpl", "parsers", "mailbot.mailbox.imap",
        "mailbot.outbound.smtp", "mailbot.transports", "mailbot.schedule.due"]


def _warm() -> None:
    for name in WARM:
        importlib.import_module(name)


_warm()
#: The board as configured, read once (a forked start copies it).
BOARD = load_board("west-sussex", REPO / "config")


def main(spec: dict) -> None:
    """Run the daemon until SIGTERM; exits 75 if the database is down at start."""
    began = time.monotonic()
    log = os.open(spec["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
    sys.stderr = os.fdopen(2, "w", buffering=1, closefd=False)
    setup_logging("INFO", stream=sys.stderr)
    os.environ[PASSWORD_ENV] = spec["imap_password"]
    if spec.get("lease_seconds"):  # several instances: each its own "machine", the lease short
        os.environ["MAILBOT_LEASE_SECONDS"] = str(spec["lease_seconds"])
    if spec.get("instance_host"):
        os.environ["MAILBOT_INSTANCE_HOST"] = spec["instance_host"]
    outbox.RETRY_BASE_SECONDS = spec["retry_base"]
    daemon.RETRY_MAX = spec["pass_retry_max"]
    board = copy.copy(BOARD)
    board.config = board.config.model_copy(update={
        "mailbox": ImapMailbox(kind="imap", host=spec["imap_host"], port=spec["imap_port"],
                               username=spec["imap_user"], password={"env": PASSWORD_ENV}, security="plain"),
        "sending": SmtpSending(kind="smtp", host=spec["smtp_host"], port=spec["smtp_port"], security="plain"),
    })
    try:
        store = open_store(spec["database_url"])
    except StoreError as err:
        if err.__cause__ is not None and is_outage(err.__cause__):
            print("database down at start", file=sys.stderr)
            os._exit(EXIT_STORE_DOWN)
        raise
    rt = build_runtime(board, store, Path(spec["data_dir"]), HarnessClock(spec["epoch"]))
    rt.sender.timeout = spec["smtp_timeout"]  # type: ignore[attr-defined]  # a hung SMTP session ends sooner
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"daemon {os.getpid()} up after {time.monotonic() - began:.2f}s", file=sys.stderr)
    try:
        service.run([rt], stop, idle_timeout=spec["idle_timeout"])
    except MailbotError as err:
        print(f"daemon stopped: {err}", file=sys.stderr)
        os._exit(3)


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as fh:
        main(json.load(fh))
