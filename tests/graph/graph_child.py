"""The daemon on the Graph backend as a process of its own: ``python -m tests.graph.graph_child SPEC.json``.

What ``mailbot run`` does for one board, with the board's mailbox and
sender pointed at the fake Graph the test runs (``spec["graph_url"]``), a
clock that starts at the flow tests' Monday 09:00 and runs in real time
from the test's start, and a short Sent Items grace, so that a send killed
mid-request is settled within the test. SIGKILL is real.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from mailbot import service
from mailbot.config import GraphMailbox, GraphSending, load_board
from mailbot.logs import setup_logging
from mailbot.store.db import open_store
from tests.graph.conftest import graph_runtime_for
from tests.graph.fake_graph import CLIENT_ID, TENANT

REPO = Path(__file__).resolve().parents[2]
START = dt.datetime(2026, 2, 16, 9, 0, tzinfo=dt.timezone.utc)


@dataclass
class RunningClock:
    epoch: float

    def now(self) -> dt.datetime:
        return START + dt.timedelta(seconds=time.time() - self.epoch)


def main(spec: dict) -> None:
    log = os.open(spec["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(log, 2)
    os.close(log)
    sys.stderr = os.fdopen(2, "w", buffering=1, closefd=False)
    setup_logging("INFO", stream=sys.stderr)
    os.environ["MAILBOT_TEST_GRAPH_SECRET"] = "fictional-client-secret"
    board = load_board("west-sussex", REPO / "config")
    board.config = board.config.model_copy(update={
        "mailbox": GraphMailbox(kind="graph", tenant=TENANT, client_id=CLIENT_ID, user=spec["user"],
                                credential={"secret": {"env": "MAILBOT_TEST_GRAPH_SECRET"}},
                                endpoint=f"{spec['graph_url']}/v1.0", poll_seconds=spec.get("poll", 1)),
        "sending": GraphSending(kind="graph"),
    })
    store = open_store(spec["database_url"])
    server = SimpleNamespace(url=spec["graph_url"])
    rt = graph_runtime_for(board, store, Path(spec["data_dir"]), RunningClock(spec["epoch"]), server)
    rt.sender.sent_items_grace = spec["grace"]  # type: ignore[attr-defined]
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"daemon {os.getpid()} up", file=sys.stderr)
    service.run([rt], stop, idle_timeout=spec.get("idle_timeout", 0.5), read_ahead=spec.get("read_ahead", False))


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as fh:
        main(json.load(fh))
