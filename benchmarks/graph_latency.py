"""The Graph backend: arrival-to-scoping-request latency and the requests an idle board costs.

The daemon (``tests/graph/graph_child.py``: ``mailbot run`` for the
west-sussex board, its mailbox and sender set to ``kind: graph``) runs as a
process of its own against the fake Graph (``tests/graph/fake_graph.py``)
in this process, on loopback: delta query every ``--poll-seconds``, MIME
by ``$value``, moves, ``sendMail``; msal signs in against the fake's token
endpoint. No network latency is added: the figures are our own cost plus
the poll interval, and a real tenant adds its round trips (tens of ms each)
to every request.

One run: a fresh referral (``referral-02.docx`` made unique) arrives in the
Inbox at a random phase of the poll cycle; time from the arrival until
Graph has accepted (202) the last of the case's scoping requests (one per
directory agency). Then the board sits idle for ``--idle-seconds`` and
every request it makes is counted.

    python benchmarks/graph_latency.py [--runs 20] [--poll-seconds 5] [--idle-seconds 60]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import (REPO, SAMPLES, finish, ms, percentile, print_machine, referral_email,  # noqa: E402
                     temp_root, unique_docx)
from tests.graph.fake_graph import FakeGraph  # noqa: E402
from tests.graph.fake_server import GraphServer  # noqa: E402

FORM = SAMPLES / "forms/west-sussex/referral/referral-02.docx"
AGENCIES = 8
_CASE = re.compile(rb"^Subject:.*?\[([A-Z]+-\d{4}-\d{4})\]", re.M | re.I)
_KIND = re.compile(rb"^X-Mailbot-Kind: *(\S+)", re.M | re.I)
_IRT = re.compile(rb"^In-Reply-To: *(<[^>]+>)", re.M | re.I)


def _done_at(g: FakeGraph, referral_id: str) -> float | None:
    """When Graph accepted the last scoping request of the case the referral opened, if it has."""
    case = next((_CASE.search(raw)[1] for _r, raw in g.sent
                 if (_IRT.search(raw) or [b"", b""])[1].decode() == referral_id and _CASE.search(raw)), None)
    if case is None:
        return None
    times = [at for (_r, raw), at in zip(g.sent, g.sent_at)
             if (_KIND.search(raw) or [b"", b""])[1] == b"scoping_request" and _CASE.search(raw)
             and _CASE.search(raw)[1] == case]
    return max(times) if len(times) >= AGENCIES else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--poll-seconds", type=float, default=5.0)
    ap.add_argument("--idle-seconds", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--database-url")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    root = temp_root("mailbot-graph-bench-")
    server = GraphServer(FakeGraph(user="lscb@westsussex-scb.example"))
    server.start()
    g = server.graph
    spec = root / "spec.json"
    spec.write_text(json.dumps({
        "graph_url": server.url, "user": g.user, "data_dir": str(root / "data"), "epoch": time.time(),
        "database_url": args.database_url or f"sqlite:///{root / 'mailbot.db'}", "grace": 120.0,
        "log": str(root / "daemon.log"), "poll": args.poll_seconds, "idle_timeout": 60.0, "read_ahead": True}))
    child = subprocess.Popen([sys.executable, "-m", "tests.graph.graph_child", str(spec)], cwd=REPO,
                             env={**os.environ, "PYTHONPATH": str(REPO)})
    form = FORM.read_bytes()
    latencies: list[float] = []
    try:
        for i in range(args.runs + 2):  # two warm-up runs
            time.sleep(rng.uniform(0, args.poll_seconds))
            raw = referral_email(unique_docx(form, i), "referral.docx", i)
            referral_id = re.search(rb"^Message-ID: (<[^>]+>)", raw, re.M)[1].decode()
            t0 = time.perf_counter()
            g.deliver(raw)
            end = time.monotonic() + 120
            while (done := _done_at(g, referral_id)) is None:
                if time.monotonic() > end or child.poll() is not None:
                    raise SystemExit(f"no scoping requests for run {i}; see {root / 'daemon.log'}")
                time.sleep(0.01)
            if i >= 2:
                latencies.append(done - t0)
        time.sleep(2.0)  # let the last run's moves and digest settle
        before = len(g.log)
        time.sleep(args.idle_seconds)
        idle = g.log[before:]
    finally:
        child.terminate()
        child.wait(timeout=30)
        server.stop()
    print_machine(args.database_url)
    print(f"graph backend, poll every {args.poll_seconds:g} s, {args.runs} referrals "
          f"({AGENCIES} scoping requests each):")
    print(f"  arrival -> last scoping request accepted: median {ms(statistics.median(latencies))}, "
          f"p95 {ms(percentile(latencies, 95))}, max {ms(max(latencies))}")
    per_minute = len(idle) * 60.0 / args.idle_seconds
    kinds = sorted({f"{m} {p.rsplit('/', 2)[-2]}/{p.rsplit('/', 1)[-1]}" for m, p, _s in idle})
    print(f"  idle: {per_minute:.1f} requests per minute ({', '.join(kinds) or 'none'})")
    finish(root)


if __name__ == "__main__":
    main()
