"""Arrival-to-scoping-request latency: IMAP IDLE beside a 60-second polling agent.

Both agents are the same daemon (``benchmarks/agent.py`` = ``mailbot run``
for the west-sussex board, as a subprocess) on a real Dovecot, sending to
a real SMTP server (aiosmtpd) on loopback; the polling one differs only in
its mailbox, which sleeps the poll interval instead of idling (the branch
``ImapMailbox.wait`` takes on a server without IDLE).

One run: APPEND a fresh referral (``referral-02.docx`` made unique) to the
board's INBOX over a signed-in connection and time from just before the
APPEND until the last of the case's scoping requests has been accepted by
the SMTP server (the acknowledgement names the case; one request per
directory agency).

- IDLE: ``--runs`` runs (default 50), 0.5 s apart, after two warm-up runs.
- Polling: arrivals at a random phase of the poll cycle (uniform over
  ``--poll-seconds``, default 60), ``--poll-runs`` real runs (default 10:
  each costs a poll cycle of wall time), plus the analytic expectation
  U·T + p (U uniform on 0..1, T the interval, p the processing time after
  the poll, measured in the same runs from the agent's wake-up times).

    python benchmarks/intake_latency.py [--runs 50] [--poll-runs 10] [--poll-seconds 60] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (SAMPLES, Agent, Mailserver, SmtpSink, finish, message_id_of, ms,  # noqa: E402
                     percentile, print_machine, referral_email, temp_root, unique_docx)

FORM = SAMPLES / "forms/west-sussex/referral/referral-02.docx"
AGENCIES = 8  # west-sussex directory: every agency is asked on every case
TARGET_P95 = 1.0


class Setup:
    def __init__(self, root: Path, name: str, poll: float | None, database_url: str | None) -> None:
        self.mail = Mailserver(root / name)
        self.smtp = SmtpSink()
        self.smtp.start()
        self.agent = Agent(root, self.mail, self.smtp, name=name, poll=poll, database_url=database_url)
        self.form = FORM.read_bytes()
        self.n = 0

    def referral(self) -> tuple[bytes, str]:
        self.n += 1
        raw = referral_email(unique_docx(self.form, self.n), "referral.docx", self.n)
        return raw, message_id_of(raw)

    def run_once(self, timeout: float) -> tuple[float, float]:
        """(t0, latency) of one referral."""
        raw, mid = self.referral()
        t0 = self.mail.append(raw)
        t1 = self.smtp.requests_for(mid, AGENCIES, timeout)
        if t1 is None:
            raise SystemExit(f"no scoping requests within {timeout:.0f}s; see {self.agent.root}/daemon.log")
        return t0, t1 - t0

    def close(self) -> None:
        self.agent.stop()
        self.smtp.stop()
        self.mail.stop()


def idle_phase(root: Path, runs: int, database_url: str | None) -> list[float]:
    s = Setup(root, "idle", None, database_url)
    try:
        s.agent.start()
        s.agent.wait_ready()
        for _ in range(2):  # warm-up: first use of the parsers, templates and connections
            s.run_once(60)
            time.sleep(0.5)
        latencies = []
        for _ in range(runs):
            latencies.append(s.run_once(30)[1])
            time.sleep(0.5)
        return latencies
    finally:
        s.close()


def poll_phase(root: Path, runs: int, interval: float, rng: random.Random,
               database_url: str | None) -> tuple[list[float], list[float]]:
    """(latencies, processing times after the poll that found the message)."""
    s = Setup(root, "poll", interval, database_url)
    try:
        raw, mid = s.referral()  # warm-up: waiting when the agent starts, handled by its first pass
        s.mail.append(raw)
        s.agent.start()
        if s.smtp.requests_for(mid, AGENCIES, 120) is None:
            raise SystemExit(f"warm-up referral not handled; see {s.agent.root}/daemon.log")
        latencies, processing = [], []
        for i in range(runs):
            time.sleep(rng.uniform(0, interval))
            t0, latency = s.run_once(2 * interval + 60)
            polls = [p for p in s.agent.polls() if p >= t0]
            latencies.append(latency)
            if polls:
                processing.append(t0 + latency - polls[0])
            print(f"  poll run {i + 1}/{runs}: {ms(latency)}", flush=True)
        return latencies, processing
    finally:
        s.close()


def summary(name: str, values: list[float]) -> str:
    return (f"{name}: median {ms(statistics.median(values))}, p95 {ms(percentile(values, 95))}, "
            f"min {ms(min(values))}, max {ms(max(values))} ({len(values)} runs)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--poll-runs", type=int, default=10)
    ap.add_argument("--poll-seconds", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--database-url", help="default: SQLite in the temp dir")
    args = ap.parse_args()
    print_machine(args.database_url)
    root = temp_root("mailbot-bench-latency-")
    print(f"arrival in Dovecot (APPEND) -> {AGENCIES} scoping requests accepted by the SMTP server")
    started = time.perf_counter()
    idle = idle_phase(root, args.runs, args.database_url)
    print(summary("IMAP IDLE", idle), flush=True)
    polled, processing = ([], []) if args.poll_runs <= 0 else poll_phase(
        root, args.poll_runs, args.poll_seconds, random.Random(args.seed), args.database_url)
    print()
    print(summary("IMAP IDLE", idle))
    if polled:
        t = args.poll_seconds
        print(summary(f"polling every {t:.0f} s, measured", polled))
        p_med, p_95 = statistics.median(processing), percentile(processing, 95)
        print(f"polling every {t:.0f} s, expected (U*T + p, p measured: median {ms(p_med)}, p95 {ms(p_95)}): "
              f"median {ms(t / 2 + p_med)}, mean {ms(t / 2 + statistics.mean(processing))}, "
              f"p95 {ms(0.95 * t + p_95)}")
        print(f"IDLE is {statistics.median(polled) / statistics.median(idle):.0f}x faster at the median")
    p95 = percentile(idle, 95)
    print(f"target: IDLE p95 < {TARGET_P95 * 1000:.0f} ms -> {'MET' if p95 < TARGET_P95 else 'MISSED'} "
          f"({ms(p95)})")
    print(f"wall time {time.perf_counter() - started:.0f} s")
    finish(root)


if __name__ == "__main__":
    main()
