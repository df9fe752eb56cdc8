"""A tiny fork server: ``python -m tests.crash.forkserver``, driven over stdin/stdout.

It imports the daemon once (``tests.crash.child`` and what that warms up)
and then forks a fresh daemon process per request, so a start costs
milliseconds instead of the seconds an interpreter needs to import
everything, and the harness can afford hundreds of kills. Each child is a
real process of its own; the harness SIGKILLs it by pid. Children stay
unreaped (zombies) until the harness asks for their exit status, so a pid
cannot be reused under the harness's feet.

One command per line, one answer per line (JSON):

- ``{"start": SPEC}`` → ``{"pid": N}``
- ``{"poll": N}`` → ``{"code": C}`` (``null`` while it runs; ``-9`` after SIGKILL)
- ``{"wait": N, "timeout": T}`` → ``{"code": C}`` (``null`` if still running after T s)
"""

from __future__ import annotations

import json
import os
import sys
import time

from tests.crash import child


def _status(pid: int, block_for: float) -> int | None:
    deadline = time.monotonic() + block_for
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.01)


def serve() -> None:
    commands = sys.stdin.buffer
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    for line in commands:
        request = json.loads(line)
        if "start" in request:
            pid = os.fork()
            if pid == 0:  # the daemon
                try:
                    os.setpgid(0, 0)
                    devnull = os.open(os.devnull, os.O_RDONLY)
                    os.dup2(devnull, 0)
                    os.close(devnull)
                    answers.close()
                    child.main(request["start"])
                    code = 0
                except SystemExit as done:
                    code = done.code if isinstance(done.code, int) else 1
                except BaseException:  # noqa: BLE001 - reported through the exit code and the log
                    import traceback

                    traceback.print_exc()
                    code = 1
                os._exit(code)
            answer: dict = {"pid": pid}
        elif "poll" in request:
            answer = {"code": _status(request["poll"], 0)}
        else:
            answer = {"code": _status(request["wait"], float(request.get("timeout", 30)))}
        answers.write(json.dumps(answer) + "\n")


if __name__ == "__main__":
    serve()
