"""Starting and killing the daemon under test: warm forks or fresh interpreters."""

from __future__ import annotations

import atexit
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


class ForkServer:
    """``tests.crash.forkserver`` as a subprocess: warm daemon starts by ``fork``."""

    _shared: "ForkServer | None" = None
    _lock = threading.Lock()

    def __init__(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "tests.crash.forkserver"], cwd=REPO, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=None, start_new_session=True)

    @classmethod
    def shared(cls) -> "ForkServer":
        with cls._lock:
            if cls._shared is None or cls._shared._proc.poll() is not None:
                cls._shared = cls()
                atexit.register(cls._shared.close)
            return cls._shared

    @classmethod
    def close_shared(cls) -> None:
        with cls._lock:
            if cls._shared is not None:
                cls._shared.close()
                cls._shared = None

    def ask(self, request: dict) -> dict:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write((json.dumps(request) + "\n").encode())
        self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError("the crash harness fork server died")
        return json.loads(line)

    def close(self) -> None:
        if self._proc.poll() is None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()


class Daemon:
    """One daemon incarnation after another, forked warm (``fork``) or exec'd fresh (``exec``)."""

    def __init__(self, spec: dict, workdir: Path, launch: str, name: str = "daemon") -> None:
        self.spec = spec
        self.launch = launch
        self.spec_file = workdir / f"{name}.json"
        self.spec_file.write_text(json.dumps(spec))
        self._popen: subprocess.Popen | None = None
        self._pid: int | None = None
        self._code: int | None = None

    def start(self) -> None:
        self._code = None
        if self.launch == "fork":
            self._pid = ForkServer.shared().ask({"start": self.spec})["pid"]
            self._popen = None
        else:
            self._popen = subprocess.Popen(
                [sys.executable, "-m", "tests.crash.child", str(self.spec_file)], cwd=REPO,
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self._pid = self._popen.pid

    @property
    def pid(self) -> int:
        assert self._pid is not None
        return self._pid

    def exitcode(self) -> int | None:
        """None while it runs."""
        return self._wait(0)

    def _wait(self, timeout: float) -> int | None:
        if self._pid is None or self._code is not None:
            return self._code
        if self._popen is not None:
            try:
                self._code = self._popen.wait(timeout) if timeout else self._popen.poll()
            except subprocess.TimeoutExpired:
                return None
        else:
            self._code = ForkServer.shared().ask({"wait": self._pid, "timeout": timeout})["code"]
        return self._code

    def kill(self) -> None:
        """SIGKILL, and reap it."""
        if self._wait(0) is None:
            os.kill(self.pid, signal.SIGKILL)
            self._wait(30)

    def terminate(self, timeout: float = 60.0) -> int | None:
        """SIGTERM and wait (SIGKILL if it will not stop); returns the exit code."""
        if self._wait(0) is None:
            os.kill(self.pid, signal.SIGTERM)
            if self._wait(timeout) is None:
                self.kill()
        return self._code
