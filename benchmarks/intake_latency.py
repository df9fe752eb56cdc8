"""Arrival-to-scoping-request latency over IMAP IDLE.

Starts a real Dovecot and a real SMTP server (aiosmtpd) on loopback, runs
the daemon's board loop (IDLE) against them, then N times: appends a fresh
referral email to the board's INBOX and measures the time until the last of
its scoping requests has reached the SMTP server. Prints the median, p95
and max, and the machine it ran on.

    python benchmarks/intake_latency.py [N]      (default 50)
"""

from __future__ import annotations

import datetime as dt
import io
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
import zipfile
from email.message import EmailMessage
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mailbot.config import ImapMailbox, SmtpSending, load_board  # noqa: E402
from mailbot.daemon import run_board  # noqa: E402
from mailbot.runtime import SystemClock, build_runtime  # noqa: E402
from mailbot.store.db import open_store, sqlite_url  # noqa: E402
from tests.plugins.mailservers import DovecotAccount, DovecotServer, SmtpTestServer  # noqa: E402


def samples_dir() -> Path:
    env = os.environ.get("MAILBOT_SAMPLES")
    return Path(env) if env else REPO.parent / "shared" / "samples"


def unique_docx(data: bytes, i: int) -> bytes:
    """The same form with a different zip comment: new content, same record."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.comment = f"benchmark run {i}".encode()
    return out.getvalue()


def referral_email(docx: bytes, i: int) -> bytes:
    m = EmailMessage()
    m["From"] = "Harvey Radcliffe <harvey.radcliffe@childrens.westsussex-cc.example>"
    m["To"] = "WSSCB Mailbox <lscb@westsussex-scb.example>"
    m["Subject"] = f"Referral for consideration ({i})"
    m["Message-ID"] = f"<bench-{i}-{time.time_ns()}@childrens.westsussex-cc.example>"
    m["Date"] = dt.datetime.now(dt.timezone.utc).strftime("%a, %d %b %Y %H:%M:%S +0000")
    m.set_content("Please find attached a referral.")
    m.add_attachment(docx, maintype="application",
                     subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
                     filename="referral.docx")
    return bytes(m)


def main(n: int = 50) -> None:
    docx = (samples_dir() / "forms/west-sussex/referral/referral-02.docx").read_bytes()
    root = Path(tempfile.mkdtemp(prefix="mailbot-bench-"))
    root.chmod(0o755)
    (root / "dovecot").mkdir()
    dovecot = DovecotServer(root / "dovecot")
    dovecot.start()
    smtp = SmtpTestServer()
    smtp.start()
    user, password = "bench@lscb.example", "bench-secret"
    dovecot.add_user(user, password)
    account = DovecotAccount(server=dovecot, user=user, password=password, host=dovecot.host, port=dovecot.port)
    os.environ["MAILBOT_BENCH_IMAP_PASSWORD"] = password
    board = load_board("west-sussex", REPO / "config")
    board.config = board.config.model_copy(update={
        "mailbox": ImapMailbox(kind="imap", host=dovecot.host, port=dovecot.port, username=user,
                               password={"env": "MAILBOT_BENCH_IMAP_PASSWORD"}, security="plain"),
        "sending": SmtpSending(kind="smtp", host=smtp.host, port=smtp.port, security="plain"),
    })
    store = open_store(sqlite_url(root / "bench.db"))
    rt = build_runtime(board, store, root / "data", SystemClock())
    agencies = len(board.config.agencies)
    stop = threading.Event()
    worker = threading.Thread(target=run_board, args=(rt, stop, 600.0), daemon=True)
    worker.start()
    time.sleep(1.0)  # let the daemon reach IDLE
    latencies: list[float] = []
    try:
        for i in range(n):
            raw = referral_email(unique_docx(docx, i), i)
            before = len(smtp.received())
            t0 = time.perf_counter()
            account.deliver(raw)
            want = before + agencies + 1  # the acknowledgement and one request per agency
            while True:
                got = smtp.received()
                requests = [m for m in got[before:] if b"X-Mailbot-Kind: scoping_request" in m.raw]
                if len(got) >= want and len(requests) == agencies:
                    break
                if time.perf_counter() - t0 > 30:
                    raise SystemExit(f"run {i}: timed out waiting for the scoping requests")
                time.sleep(0.002)
            latencies.append(time.perf_counter() - t0)
            time.sleep(0.2)
    finally:
        stop.set()
        worker.join(timeout=30)
        rt.close()
        smtp.stop()
        dovecot.stop()
    latencies.sort()
    p95 = latencies[min(len(latencies) - 1, int(round(0.95 * len(latencies))) - 1)]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.platform()}")
    print(f"arrival in Dovecot -> {agencies} scoping requests at the SMTP server, IMAP IDLE, {n} runs:")
    print(f"  median {statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
          f"min {latencies[0] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
