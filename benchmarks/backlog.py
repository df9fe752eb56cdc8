"""Throughput and peak memory draining a backlog of referral emails.

``--count`` referral emails (default 1,000), each with a referral form
attached (the West Sussex .docx samples in turn, each made unique so every
one opens its own case), are APPENDed to a real Dovecot first; then the
daemon (``benchmarks/agent.py`` = ``mailbot run``, a subprocess) is
started and the clock runs until the SMTP server (aiosmtpd on loopback)
has accepted every acknowledgement and every scoping request
(1 + 8 per referral). Prints the time to empty the inbox, the time to
drain (last request accepted), what was sent by kind, and the daemon's
peak RSS (``VmHWM``) and RSS at the end.

    python benchmarks/backlog.py [--count 1000] [--timeout 3600] [--pdf]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (SAMPLES, Agent, Mailserver, SmtpSink, finish, print_machine,  # noqa: E402
                     referral_email, temp_root, unique)

AGENCIES = 8
TARGET_SECONDS = 120.0
TARGET_MB = 200.0
#: Issue 16's figures for the PDF backlog (``--pdf``): the shared pool keeps every core busy.
PDF_TARGET_SECONDS = 50.0
PDF_TARGET_MB = 300.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--timeout", type=float, default=3600.0)
    ap.add_argument("--pdf", action="store_true", help="every fourth referral is the 5-page PDF")
    ap.add_argument("--database-url", help="default: SQLite in the temp dir")
    args = ap.parse_args()
    print_machine(args.database_url)
    forms = [SAMPLES / f"forms/west-sussex/referral/referral-0{n}.docx" for n in (1, 2, 3)]
    if args.pdf:
        forms.append(SAMPLES / "forms/west-sussex/referral/referral-03.pdf")
    blobs = [(f.name, f.read_bytes()) for f in forms]
    root = temp_root("mailbot-bench-backlog-")
    mail = Mailserver(root)
    smtp = SmtpSink()
    smtp.start()
    agent = Agent(root, mail, smtp, database_url=args.database_url)
    try:
        t = time.perf_counter()
        size = 0
        for i in range(args.count):
            name, data = blobs[i % len(blobs)]
            raw = referral_email(unique(data, name, i), name, i)
            size += len(raw)
            mail.append(raw)
        print(f"backlog: {args.count} referral emails ({', '.join(n for n, _ in blobs)} in turn), "
              f"{size / 2**20:.1f} MB, APPENDed in {time.perf_counter() - t:.1f} s")
        start = agent.start()
        want_requests, want_acks = AGENCIES * args.count, args.count
        inbox_empty = None
        first_sent = None
        peak_sampled = 0
        peak_pss = child_hwm = child_cpu = 0.0
        last_report = start
        while True:
            time.sleep(0.5)
            now = time.perf_counter()
            if agent.proc is not None and agent.proc.poll() is not None:
                raise SystemExit(f"daemon exited; see {agent.root}/daemon.log")
            st = agent.status()
            peak_sampled = max(peak_sampled, st.get("VmRSS", 0))
            fam = agent.family()
            peak_pss = max(peak_pss, fam["pss"])
            child_hwm = max(child_hwm, fam["children_hwm"])
            child_cpu = max(child_cpu, fam["children_cpu"])
            if first_sent is None and smtp.count():
                first_sent = min(a.at for a in smtp.arrivals)
            if inbox_empty is None and mail.status().get("messages", 1) == 0:
                inbox_empty = now
            requests, acks = smtp.count("scoping_request"), smtp.count("acknowledgement")
            if now - last_report >= 30:
                print(f"  {now - start:5.0f} s: inbox {'empty' if inbox_empty else 'not empty'}, "
                      f"{acks} acknowledgements, {requests} scoping requests, RSS {st.get('VmRSS', 0) / 1024:.0f} MB",
                      flush=True)
                last_report = now
            if requests >= want_requests and acks >= want_acks:
                break
            if now - start > args.timeout:
                print(f"TIMED OUT after {args.timeout:.0f} s")
                break
        drained_cpu = agent.cpu_seconds()
        child_cpu = max(child_cpu, agent.family()["children_cpu"])
        time.sleep(2.0)  # stragglers (notices) before counting
        final = agent.status()
        last_request = max((a.at for a in smtp.arrivals if a.kind == "scoping_request"), default=float("nan"))
        kinds = Counter(a.kind for a in smtp.arrivals)
        held = mail.status("needs-attention").get("messages", 0)
        processed = mail.status("processed").get("messages", 0)
    finally:
        agent.stop()
        smtp.stop()
        mail.stop()
    drain = last_request - start
    print()
    print(f"time to empty the inbox (all {args.count} handled): "
          f"{(inbox_empty - start) if inbox_empty else float('nan'):.1f} s")
    print(f"time to the first email sent: {(first_sent - start) if first_sent else float('nan'):.1f} s")
    print(f"time to drain (daemon start -> last scoping request accepted): {drain:.1f} s "
          f"({args.count / drain:.1f} referrals/s, {sum(kinds.values()) / drain:.1f} emails/s)")
    print(f"daemon CPU (all threads) until drained: {drained_cpu:.1f} s, {drained_cpu / args.count * 1000:.0f} ms "
          f"per referral; load average at the end {os.getloadavg()[0]:.2f}")
    print(f"daemon's children (the read-ahead workers): CPU {child_cpu:.1f} s until drained, "
          f"{child_cpu / args.count * 1000:.0f} ms per referral")
    total_cpu = drained_cpu + child_cpu
    print(f"daemon and workers: CPU {total_cpu:.1f} s ({total_cpu / args.count * 1000:.0f} ms per referral, "
          f"the figure load does not change much), {total_cpu / drain:.2f} of {os.cpu_count()} cores used; "
          f"on {os.cpu_count()} idle cores that CPU takes at least {total_cpu / (os.cpu_count() or 1):.1f} s")
    print(f"sent: {sum(kinds.values())} emails: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    print(f"mailbox after: processed {processed}, needs-attention {held}")
    print(f"daemon memory: peak RSS (VmHWM) {final.get('VmHWM', 0) / 1024:.0f} MB, "
          f"RSS at the end {final.get('VmRSS', 0) / 1024:.0f} MB")
    print(f"daemon with its children: peak PSS (sampled every 0.5 s; shared pages counted once) "
          f"{peak_pss / 1024:.0f} MB; children's peak RSS (VmHWM) {child_hwm / 1024:.0f} MB")
    memory = (final.get("VmHWM", 0) + child_hwm) / 1024  # each at its own peak: an upper bound
    if args.pdf:
        print(f"target (issue 16, on a quiet 2-core machine): drained in < {PDF_TARGET_SECONDS:.0f} s -> "
              f"{'MET' if drain < PDF_TARGET_SECONDS else 'MISSED'}; daemon with its workers, peak PSS "
              f"{peak_pss / 1024:.0f} MB < {PDF_TARGET_MB:.0f} MB -> {'MET' if peak_pss / 1024 < PDF_TARGET_MB else 'MISSED'}")
        finish(root)
        return
    print(f"target: drained in < {TARGET_SECONDS:.0f} s -> {'MET' if drain < TARGET_SECONDS else 'MISSED'}; "
          f"peak memory (daemon's VmHWM + its worker's VmHWM = {memory:.0f} MB) < {TARGET_MB:.0f} MB -> "
          f"{'MET' if memory < TARGET_MB else 'MISSED'}")
    finish(root)


if __name__ == "__main__":
    main()
