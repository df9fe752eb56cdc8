"""``mailbot run`` for the benchmarks, with two switches production does not need.

    python benchmarks/agent.py [--poll SECONDS --poll-log FILE] [--checkpoint UIDVALIDITY:UID] -- MAILBOT ARGS

Without switches this is exactly ``mailbot MAILBOT ARGS`` (``mailbot.cli.main``).

``--poll`` makes the board's IMAP mailbox behave as it does on a server
without IDLE — the branch of ``ImapMailbox.wait`` that sleeps the poll
interval — so the same pipeline runs as a polling agent checking every
SECONDS; each wake-up is appended to FILE as ``time.perf_counter()`` (the
system-wide monotonic clock, comparable with the benchmark's own).

``--checkpoint`` starts the board's loop as if it had already handled every
message up to that UID (``BoardRuntime.checkpoint``), the state of a daemon
that has been running for a while; without it the first pass rescans the
whole inbox.
"""

from __future__ import annotations

import argparse
import sys
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv: list[str]) -> int:
    if "--" in argv:
        split = argv.index("--")
        own, rest = argv[:split], argv[split + 1:]
    else:
        own, rest = [], argv
    parser = argparse.ArgumentParser()
    parser.add_argument("--poll", type=float)
    parser.add_argument("--poll-log")
    parser.add_argument("--checkpoint")
    opts = parser.parse_args(own)

    import mailbot.runtime as runtime
    from mailbot import cli
    from mailbot.mailbox.base import MailRef

    if opts.poll is not None:
        make_mailbox = runtime.make_mailbox
        log_path = opts.poll_log

        def wait(self, timeout: float) -> bool:  # noqa: ANN001
            self._sleep(min(timeout, self.poll_interval))
            if log_path:
                with open(log_path, "a") as f:
                    f.write(f"{time.perf_counter()}\n")
            return False

        def polling_mailbox(board, data_dir):  # noqa: ANN001, ANN202
            mailbox = make_mailbox(board, data_dir)
            mailbox.poll_interval = opts.poll
            mailbox.wait = types.MethodType(wait, mailbox)
            return mailbox

        runtime.make_mailbox = polling_mailbox

    if opts.checkpoint:
        uidvalidity, uid = opts.checkpoint.split(":")
        build_runtime = runtime.build_runtime

        def resumed(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            rt = build_runtime(*args, **kwargs)
            rt.checkpoint = MailRef(rt.mailbox.name, getattr(rt.mailbox, "inbox", "INBOX"), uid, uidvalidity)
            return rt

        runtime.build_runtime = resumed

    return cli.main(rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
