"""A region in one service: 1, 50 and 150 generated boards on one Dovecot, one ``mailbot run``.

Each generated board is the West Sussex board under another slug, prefix
and mailbox (an IMAP account of its own, with a uid of its own so that
Dovecot's per-uid inotify limit does not turn IDLE into polling for the
boards past the 128th); all share the same form mapping files. For each
count it measures, with the machine's load beside the figures:

- start-up: from ``mailbot run`` to every board's mailbox connected (the
  log's "connected to" lines);
- memory: the summed PSS of the daemon and its read-ahead workers, after
  the referrals below (so the workers exist);
- arrival -> scoping requests: ``--referrals`` referrals appended one at a
  time to one board in the middle while the rest idle, from APPEND to the
  SMTP server holding all eight scoping requests (p50, p95);
- stop: SIGTERM to exit.

    python benchmarks/region.py [--boards 1,50,150] [--referrals 10]
"""

from __future__ import annotations

import argparse
import os
import signal
import string
import subprocess
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (REPO, SAMPLES, SmtpSink, finish, form_password, message_id_of, percentile,  # noqa: E402
                     print_machine, referral_email, temp_root, unique_docx)
from tests.plugins.mailservers import DovecotServer  # noqa: E402

FORM = SAMPLES / "forms/west-sussex/referral/referral-02.docx"
AGENCIES = 8
PASSWORD = "region-secret"
FIRST_UID = 20000
TARGETS = {"start": 30.0, "pss_mb": 600.0, "p95": 1.0, "stop": 5.0}


def _dovecot(root: Path) -> DovecotServer:
    (root / "dovecot").mkdir()
    server = DovecotServer(root / "dovecot")
    with server.conf.open("a") as conf:  # room for 150 IMAP sessions (the default limit is 100)
        conf.write("default_process_limit = 1000\ndefault_client_limit = 4000\n"
                   "service imap {\n  process_limit = 1000\n}\n")
    server.start()
    return server


def _add_user(server: DovecotServer, user: str, uid: int) -> None:
    home = server.homes / user
    home.mkdir()
    os.chown(home, uid, uid)
    entry = server.users_dir / user
    entry.write_text(f"{user}:{{PLAIN}}{PASSWORD}:{uid}:{uid}::{home}::nodelay=yes\n")
    entry.chmod(0o644)


def _prefix(i: int) -> str:
    letters = string.ascii_uppercase
    return "R" + letters[i // 26 % 26] + letters[i % 26]


def _config(root: Path, server: DovecotServer, smtp: SmtpSink, count: int) -> Path:
    """``count`` boards from the West Sussex file, each reading its own account."""
    config = root / "config"
    (config / "boards").mkdir(parents=True)
    for sub in ("forms", "regimes"):
        os.symlink(REPO / "config" / sub, config / sub)
    base = yaml.safe_load((REPO / "config" / "boards" / "west-sussex.yaml").read_text())
    base["scoping"]["blank_form"] = str((REPO / "config" / "boards" / base["scoping"]["blank_form"]).resolve())
    for i in range(count):
        user = f"board{i:03d}@region.example"
        _add_user(server, user, FIRST_UID + i)
        data = {**base, "slug": f"region-{i:03d}", "reference_prefix": _prefix(i),
                "mailbox_address": {**base["mailbox_address"], "email": f"board{i:03d}@region.example"},
                "mailbox": {"kind": "imap", "host": server.host, "port": server.port, "username": user,
                            "password": {"env": "MAILBOT_BENCH_IMAP_PASSWORD"}, "security": "plain"},
                "sending": {"kind": "smtp", "host": smtp.host, "port": smtp.port, "security": "plain"}}
        (config / "boards" / f"region-{i:03d}.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return config


def _pss_kb(pid: int) -> float:
    total = 0.0
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            pids += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    for p in pids:
        try:
            rollup = Path(f"/proc/{p}/smaps_rollup").read_text()
        except OSError:
            continue
        total += float(next(line.split()[1] for line in rollup.splitlines() if line.startswith("Pss:")))
    return total


def _append(server: DovecotServer, user: str, raw: bytes) -> float:
    import imaplib

    conn = imaplib.IMAP4(server.host, server.port, timeout=60)
    conn.login(user, PASSWORD)
    try:
        t0 = time.perf_counter()
        typ, _ = conn.append("INBOX", None, None, raw)
        assert typ == "OK"
        return t0
    finally:
        conn.logout()


def measure(count: int, referrals: int) -> dict:
    root = temp_root(f"mailbot-region-{count}-")
    server = _dovecot(root)
    smtp = SmtpSink()
    smtp.start()
    proc = None
    try:
        config = _config(root, server, smtp, count)
        env = {**os.environ, "MAILBOT_BENCH_IMAP_PASSWORD": PASSWORD,
               "MAILBOT_WEST_SUSSEX_FORM_PASSWORD": form_password()}
        env.pop("MAILBOT_DATABASE_URL", None)
        log_path = root / "daemon.log"
        with log_path.open("wb") as log:
            started = time.perf_counter()
            proc = subprocess.Popen([sys.executable, "-m", "mailbot.cli", "--config-dir", str(config),
                                     "--data-dir", str(root / "data"), "run"], cwd=REPO, env=env,
                                    stdout=log, stderr=log)
        deadline = time.monotonic() + 300
        while log_path.read_text(errors="replace").count("connected to") < count:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"not all boards connected; see {log_path}")
            time.sleep(0.1)
        startup = time.perf_counter() - started
        time.sleep(2.0)  # every board into IDLE
        user = f"board{count // 2:03d}@region.example"
        form = FORM.read_bytes()
        latencies = []
        for n in range(referrals):
            raw = referral_email(unique_docx(form, n), "referral.docx", n)
            t0 = _append(server, user, raw)
            t1 = smtp.requests_for(message_id_of(raw), AGENCIES, 120)
            if t1 is None:
                raise SystemExit(f"no scoping requests within 120s; see {log_path}")
            latencies.append(t1 - t0)
        pss = _pss_kb(proc.pid) / 1024
        asked = time.perf_counter()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(60)
        stop = time.perf_counter() - asked
        return {"boards": count, "start": startup, "pss_mb": pss, "p50": percentile(latencies, 50),
                "p95": percentile(latencies, 95), "stop": stop, "exit": code, "load": os.getloadavg()[0]}
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        smtp.stop()
        server.stop()
        finish(root)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--boards", default="1,50,150")
    ap.add_argument("--referrals", type=int, default=10)
    args = ap.parse_args()
    print_machine()
    rows = [measure(int(n), args.referrals) for n in args.boards.split(",")]
    print(f"{'boards':>6} {'start-up s':>10} {'PSS MB':>8} {'p50 s':>6} {'p95 s':>6} {'stop s':>6} {'exit':>4} "
          f"{'load':>5}")
    for r in rows:
        print(f"{r['boards']:>6} {r['start']:>10.1f} {r['pss_mb']:>8.0f} {r['p50']:>6.2f} {r['p95']:>6.2f} "
              f"{r['stop']:>6.2f} {r['exit']:>4} {r['load']:>5.1f}")
    print("targets at 150: " + ", ".join(f"{k} < {v:g}" for k, v in TARGETS.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
