"""An SMTP server (aiosmtpd) in a process of its own, keeping each message as a file.

``python -m tests.crash.smtp_sink PORT FOLDER`` listens on 127.0.0.1:PORT
and writes every message it accepts to FOLDER (envelope and bytes, renamed
into place before the "250" goes out, so a file is exactly "the server took
it"). ``SmtpSink`` starts and stops it for the harness.

Why a process: in the harness's own process the server's thread and the
thread that decides when to kill the daemon share one interpreter lock, so
kills would tend to fall just after the server finished a message — exactly
the instant that turns a kill into a resend — and the figure for how often
that happens would be skewed. A stop here is also what a real server's
restart looks like to the daemon: its connections close at once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from tests.plugins.ports import free_port, wait_for_port

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes


class _Keeper:
    def __init__(self, folder: Path, delay: float = 0.0) -> None:
        self.folder = folder
        self.delay = delay  # seconds per message before it is taken: a real server's 50-300 ms
        self.count = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201
        if self.delay:
            import asyncio

            await asyncio.sleep(self.delay)
        self.count += 1
        name = f"{time.time_ns():020d}-{os.getpid()}-{self.count:06d}"
        head = json.dumps({"mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos)}).encode()
        tmp = self.folder / f".{name}.tmp"
        tmp.write_bytes(head + b"\n" + bytes(envelope.content))
        tmp.rename(self.folder / f"{name}.msg")
        return "250 Message accepted"


def serve(port: int, folder: Path, delay: float = 0.0) -> None:
    import logging

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.ERROR)
    controller = Controller(_Keeper(folder, delay), hostname="127.0.0.1", port=port)
    controller.start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    print("ready", flush=True)
    done.wait()
    os._exit(0)  # sockets close with the process: every client sees its connection drop


class SmtpSink:
    """The harness's SMTP server: ``start``/``stop`` keep the port and the mail received so far."""

    def __init__(self, folder: Path, delay: float = 0.0) -> None:
        self.delay = delay
        self.host = "127.0.0.1"
        self.port = free_port()
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._proc: subprocess.Popen | None = None

    def start(self) -> None:
        if self._proc is not None:
            return
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "tests.crash.smtp_sink", str(self.port), str(self.folder), str(self.delay)],
            cwd=REPO,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert self._proc.stdout is not None
        if self._proc.stdout.readline().strip() != b"ready":
            raise RuntimeError("the SMTP sink did not start")
        wait_for_port(self.port, up=True, what="SMTP sink port")

    def stop(self) -> None:
        if self._proc is None:
            return
        self._proc.send_signal(signal.SIGTERM)
        try:
            self._proc.wait(15)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        self._proc = None
        wait_for_port(self.port, up=False, what="SMTP sink port")

    def received(self) -> list[Received]:
        out = []
        for path in sorted(self.folder.glob("*.msg")):
            head, _, raw = path.read_bytes().partition(b"\n")
            envelope = json.loads(head)
            out.append(Received(envelope["mail_from"], envelope["rcpt_tos"], raw))
        return out


if __name__ == "__main__":
    serve(int(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3]) if len(sys.argv) > 3 else 0.0)
