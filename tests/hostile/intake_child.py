"""Run in a child process under an address-space limit: hostile mail through the real intake.

``main`` builds the sample board on the embedded parts (SQLite, a Maildir
mailbox and outbox), loads the seeded state, delivers every message of
``messages.HOSTILE`` in order and runs the daemon's ``drain`` until the
mailbox is empty, then prints one JSON line: the ledger, the outbox, the
folders, the time taken and the peak memory. The parent test judges it.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path


def main(workdir: str) -> None:
    from email import message_from_bytes, policy

    from sqlalchemy import select

    from mailbot.demo.mailbox import deliver
    from mailbot.config import load_board
    from mailbot.daemon import drain
    from mailbot.runtime import FixedClock, build_runtime
    from mailbot.demo.seed import load_state
    from mailbot.store.db import open_store, sqlite_url
    from mailbot.store.models import MessageSeen, OutboxMail
    from tests.conftest import REPO, SAMPLES
    from tests.flow.conftest import START
    from tests.hostile.messages import HOSTILE

    work = Path(workdir)
    store = open_store(sqlite_url(work / "mailbot.db"))
    rt = build_runtime(load_board("west-sussex", REPO / "config"), store, work / "data", FixedClock(START))
    load_state(rt, SAMPLES / "emails" / "bot-state.json", SAMPLES)
    inbox = work / "data" / "mail" / rt.slug / "inbox"
    for i, (_name, build, _expected) in enumerate(HOSTILE):
        deliver(inbox, [build()], start=1_700_000_000 + i)  # built one at a time: memory is the child's budget
    started = time.perf_counter()
    passes = 0
    while drain(rt).handled:
        passes += 1
    seconds = time.perf_counter() - started
    with store.session() as s:
        ledger = [{"kind": r.kind, "outcome": r.outcome, "reason": r.reason, "case_id": r.case_id,
                   "sender": r.sender} for r in s.scalars(select(MessageSeen).order_by(MessageSeen.id))]
        outbox = []
        for m in s.scalars(select(OutboxMail).where(~OutboxMail.dedupe_key.contains(":seed:")).order_by(OutboxMail.id)):
            body = message_from_bytes(m.raw, policy=policy.default).get_body(("plain",)).get_content()
            outbox.append({"kind": m.kind, "to": list(m.recipients), "status": m.status, "body": body})
    folders = {name: len([p for sub in ("new", "cur") for p in (inbox / name / sub).iterdir()])
               for name in ("", ".processed", ".needs-attention")}
    rt.close()
    store.dispose()
    print(json.dumps({"ledger": ledger, "outbox": outbox, "folders": folders, "seconds": seconds,
                      "passes": passes, "rss_mb": peak_rss_mb()}))


def peak_rss_mb() -> float:
    """This process's own peak memory.

    ``ru_maxrss`` is no use here: it keeps the high-water mark of the process
    that forked us (pytest, hundreds of MB by then) across ``exec``. Linux's
    ``VmHWM`` belongs to the address space, which ``exec`` replaced.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    limit = int(sys.argv[2]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    main(sys.argv[1])
