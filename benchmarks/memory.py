"""Peak memory of the daemon while it reads the largest sample forms.

The daemon (``benchmarks/agent.py`` = ``mailbot run``, a subprocess) runs
against a real Dovecot and SMTP server. After it has started and idled,
emails are APPENDed one at a time, each carrying one of the largest sample
forms (every type: .docx, PDF, legacy .doc, password-protected .docx), then
one email carrying the four largest together; after each is handled (the
inbox is empty again) the daemon's peak RSS so far (``VmHWM`` from
``/proc``) is read. Mail that arrives one message at a time is read in the
daemon itself; last, the same forms arrive as emails all at once, and the
daemon's read-ahead worker (``mailbot.inbound.parse_ahead``) reads all but
the first. The figure against the target is the daemon's peak plus the
worker's peak (each ``VmHWM``: an upper bound, as the two peaks need not
coincide). ``backlog.py`` gives the peaks while draining 1,000 referrals.
A legacy .doc is converted by a LibreOffice child process of whichever
reads it, whose memory is its own and not counted here.

    python benchmarks/memory.py [--largest 8]
"""

from __future__ import annotations

import argparse
import sys
import time
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (BOARD_ADDRESS, SAMPLES, SENDER, Agent, Mailserver, SmtpSink, finish,  # noqa: E402
                     print_machine, referral_email, temp_root, unique)

TARGET_MB = 200.0


def several(files: list[Path]) -> bytes:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = SENDER, BOARD_ADDRESS, "Forms for the review"
    m["Message-ID"] = f"<bench-several-{time.time_ns()}@childrens.westsussex-cc.example>"
    m.set_content("Please find the forms attached.")
    for i, f in enumerate(files):
        data = unique(f.read_bytes(), f.name, 1000 + i)
        m.add_attachment(data, maintype="application", subtype="octet-stream", filename=f.name)
    return bytes(m)


def handled(mail: Mailserver, timeout: float = 300) -> float:
    t = time.perf_counter()
    while mail.status().get("messages", 1):
        if time.perf_counter() - t > timeout:
            raise SystemExit("message not handled in time")
        time.sleep(0.1)
    time.sleep(1.0)  # the sends it caused
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--largest", type=int, default=8)
    args = ap.parse_args()
    print_machine()
    forms = sorted((f for f in (SAMPLES / "forms").rglob("*") if f.suffix in (".docx", ".pdf", ".doc")),
                   key=lambda f: f.stat().st_size, reverse=True)[:args.largest]
    root = temp_root("mailbot-bench-memory-")
    mail = Mailserver(root)
    smtp = SmtpSink()
    smtp.start()
    agent = Agent(root, mail, smtp)
    rows = []
    try:
        agent.start()
        agent.wait_ready()
        time.sleep(2.0)
        base = agent.status()
        print(f"daemon started and idle: RSS {base['VmRSS'] / 1024:.0f} MB, peak {base['VmHWM'] / 1024:.0f} MB")
        for i, f in enumerate(forms):
            data = unique(f.read_bytes(), f.name, i)
            mail.append(referral_email(data, f.name, i, subject="Form attached"))
            took = handled(mail)
            st = agent.status()
            rows.append((f"{f.parent.name}/{f.name}", f.stat().st_size, took, st))
            print(f"  {rows[-1][0]:52} {f.stat().st_size / 1024:5.0f} KB  handled in {took:4.1f} s  "
                  f"RSS {st['VmRSS'] / 1024:4.0f} MB  peak {st['VmHWM'] / 1024:4.0f} MB", flush=True)
        mail.append(several(forms[:4]))
        took = handled(mail)
        st = agent.status()
        print(f"  {'the four largest in one email':52} {'':8}  handled in {took:4.1f} s  "
              f"RSS {st['VmRSS'] / 1024:4.0f} MB  peak {st['VmHWM'] / 1024:4.0f} MB")
        for i, f in enumerate(forms):
            data = unique(f.read_bytes(), f.name, 2000 + i)
            mail.append(referral_email(data, f.name, 2000 + i, subject="Form attached"))
        took = handled(mail)
        st, worker = agent.status(), agent.family()["children_hwm"]
        print(f"  {f'the {len(forms)} again, all at once (read ahead)':52} {'':8}  handled in {took:4.1f} s  "
              f"RSS {st['VmRSS'] / 1024:4.0f} MB  peak {st['VmHWM'] / 1024:4.0f} MB  "
              f"worker peak {worker / 1024:4.0f} MB")
        peak = st["VmHWM"] / 1024
        worker_peak = worker / 1024
    finally:
        agent.stop()
        smtp.stop()
        mail.stop()
    print(f"\ndaemon peak RSS while parsing the largest samples: {peak:.0f} MB "
          f"(idle after start {base['VmHWM'] / 1024:.0f} MB); its read-ahead worker's peak {worker_peak:.0f} MB")
    total = peak + worker_peak
    print(f"target: daemon + worker {total:.0f} MB < {TARGET_MB:.0f} MB -> {'MET' if total < TARGET_MB else 'MISSED'}")
    finish(root)


if __name__ == "__main__":
    main()
