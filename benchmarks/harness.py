"""What the benchmarks share: the machine line, real servers, sample mail, a daemon subprocess.

Every benchmark runs mailbot against the same real parts the flow tests
use — a Dovecot started as our child in a temp dir and an SMTP server on
aiosmtpd — and prints the machine it ran on, because a latency figure
means nothing without it. The SMTP side here is a *sink*: it keeps the
time, the ``X-Mailbot-Kind`` and the case reference of every message and
drops the body, so a backlog of thousands of emails costs this process
almost nothing.

The daemon under test runs as a subprocess (``benchmarks/agent.py``, which
is ``mailbot run`` with two optional benchmark switches), so its memory
high-water mark is its own and the benchmark's bookkeeping never shares its
interpreter lock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import imaplib
import io
import json
import os
import platform
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Callable, Iterable

import yaml

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.plugins.mailservers import DOVECOT_GID, DOVECOT_UID, DovecotAccount, DovecotServer, free_port  # noqa: E402

SAMPLES = Path(os.environ.get("MAILBOT_SAMPLES", REPO.parent / "shared" / "samples"))
BOARD = "west-sussex"
SENDER = "Harvey Radcliffe <harvey.radcliffe@childrens.westsussex-cc.example>"
BOARD_ADDRESS = "WSSCB Mailbox <lscb@westsussex-scb.example>"
DOCX_TYPE = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")


# ------------------------------------------------------------------ machine


def _first_line(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "not installed"


def _pg_version() -> str:
    found = re.search(r"\d+(\.\d+)+", _first_line(["postgres", "--version"]))
    return found.group() if found else "not installed"


def machine(database_url: str | None = None) -> list[str]:
    """One line per fact about where the figures came from."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "?"
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
        ram = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):
        pass
    os_name = platform.platform()
    try:
        pretty = re.search(r'PRETTY_NAME="([^"]+)"', Path("/etc/os-release").read_text())
        if pretty:
            os_name = f"{pretty.group(1)}, kernel {platform.release()}"
    except OSError:
        pass
    dovecot = shutil.which("dovecot") or "/usr/sbin/dovecot"
    db = "SQLite " + sqlite3.sqlite_version
    if database_url and database_url.startswith("postgresql"):
        db = "PostgreSQL (" + database_url.split("@")[-1] + ")"
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0, 0, 0)
    return [
        f"CPU: {cpu}, {os.cpu_count()} cores; RAM {ram}",
        f"OS: {os_name}",
        f"Python {platform.python_version()} ({platform.python_implementation()})",
        f"Dovecot {_first_line([dovecot, '--version'])}; "
        f"PostgreSQL {_pg_version()} installed; "
        f"database used: {db}",
        f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
    ]


def print_machine(database_url: str | None = None) -> None:
    print("machine:")
    for line in machine(database_url):
        print(f"  {line}")


# ------------------------------------------------------------------ figures


def percentile(values: Iterable[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100): a value that was really measured."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


# ------------------------------------------------------------------ mail


def unique_docx(data: bytes, i: int) -> bytes:
    """The same form with a different zip comment: new bytes, same record."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.comment = f"benchmark {i} {time.time_ns()}".encode()
    return out.getvalue()


def unique_pdf(data: bytes, i: int) -> bytes:
    """A PDF comment after the end marker: new bytes, same pages."""
    return data + f"\n% benchmark {i} {time.time_ns()}\n".encode()


def unique(data: bytes, name: str, i: int) -> bytes:
    """New bytes for the same form where the format allows it (PDF, zip); other files as they are."""
    if name.lower().endswith(".pdf"):
        return unique_pdf(data, i)
    return unique_docx(data, i) if data.startswith(b"PK") else data


def referral_email(attachment: bytes, filename: str, i: int, subject: str = "Referral for consideration") -> bytes:
    """A referral as an agency sends it: short text, the form attached."""
    m = EmailMessage()
    m["From"] = SENDER
    m["To"] = BOARD_ADDRESS
    m["Subject"] = f"{subject} ({i})"
    m["Message-ID"] = f"<bench-{i}-{time.time_ns()}@childrens.westsussex-cc.example>"
    m["Date"] = dt.datetime.now(dt.timezone.utc).strftime("%a, %d %b %Y %H:%M:%S +0000")
    m.set_content("Please find attached a referral.")
    if filename.lower().endswith(".pdf"):
        maintype, subtype = "application", "pdf"
    elif filename.lower().endswith(".doc"):
        maintype, subtype = "application", "msword"
    else:
        maintype, subtype = DOCX_TYPE
    m.add_attachment(attachment, maintype=maintype, subtype=subtype, filename=filename)
    return bytes(m)


def form_password() -> str:
    """The password the sample board issues for protected forms (recorded beside the sample)."""
    meta = SAMPLES / "forms/west-sussex/referral/referral-01-protected.docx.expected.json"
    try:
        return str(json.loads(meta.read_text())["_password"])
    except (OSError, KeyError, ValueError):
        return "unset"


def message_id_of(raw: bytes) -> str:
    found = re.search(rb"^Message-ID: (<[^>]+>)", raw, re.M | re.I)
    return found.group(1).decode() if found else ""


# ------------------------------------------------------------------ SMTP sink


@dataclass(frozen=True)
class Arrival:
    at: float  # time.perf_counter() when DATA completed
    kind: str
    case: str | None
    in_reply_to: str | None
    size: int


_KIND = re.compile(rb"^X-Mailbot-Kind: *(\S+)", re.M | re.I)
_CASE = re.compile(rb"^Subject:.*?\[([A-Z]+-\d{4}-\d{4})\]", re.M | re.I)
_IRT = re.compile(rb"^In-Reply-To: *(<[^>]+>)", re.M | re.I)


class SmtpSink:
    """aiosmtpd on loopback that records when each message came and what it was."""

    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = free_port()
        self.arrivals: list[Arrival] = []
        self.cond = threading.Condition()
        self._controller = None

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001
        now = time.perf_counter()
        raw = bytes(envelope.content)
        head = re.sub(rb"\r\n[ \t]+", b" ", raw.split(b"\r\n\r\n", 1)[0])  # unfolded
        kind, case, irt = _KIND.search(head), _CASE.search(head), _IRT.search(head)
        arrival = Arrival(now, kind.group(1).decode() if kind else "?", case.group(1).decode() if case else None,
                          irt.group(1).decode() if irt else None, len(raw))
        with self.cond:
            self.arrivals.append(arrival)
            self.cond.notify_all()
        return "250 Message accepted"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname=self.host, port=self.port, data_size_limit=64 * 2**20)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def count(self, kind: str | None = None) -> int:
        with self.cond:
            return sum(1 for a in self.arrivals if kind is None or a.kind == kind)

    def wait_for(self, done: Callable[[list[Arrival]], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self.cond:
            while not done(self.arrivals):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(min(left, 1.0))
        return True

    def requests_for(self, message_id: str, agencies: int, timeout: float) -> float | None:
        """When the last scoping request of the case opened by ``message_id`` arrived."""
        found: dict[str, float] = {}

        def done(arrivals: list[Arrival]) -> bool:
            if "case" not in found:
                for a in arrivals:
                    if a.kind == "acknowledgement" and a.in_reply_to == message_id and a.case:
                        found["case"] = a.case  # type: ignore[assignment]
                        break
                else:
                    return False
            times = [a.at for a in arrivals if a.kind == "scoping_request" and a.case == found["case"]]
            if len(times) >= agencies:
                found["at"] = max(times)
                return True
            return False

        return found["at"] if self.wait_for(done, timeout) else None


# ------------------------------------------------------------------ Dovecot


class Mailserver:
    """A Dovecot of our own in a temp dir, and one IMAP user on it."""

    def __init__(self, root: Path, user: str = "board@lscb.example", password: str = "bench-secret") -> None:
        (root / "dovecot").mkdir(parents=True, exist_ok=True)
        self.server = DovecotServer(root / "dovecot")
        self.server.start()
        self.user, self.password = user, password
        self.server.add_user(user, password)
        self.account = DovecotAccount(server=self.server, user=user, password=password,
                                      host=self.server.host, port=self.server.port)
        self._conn: imaplib.IMAP4 | None = None

    @property
    def maildir(self) -> Path:
        return self.server.homes / self.user / "Maildir"

    def connection(self) -> imaplib.IMAP4:
        if self._conn is None:
            self._conn = imaplib.IMAP4(self.server.host, self.server.port, timeout=60)
            self._conn.login(self.user, self.password)
        return self._conn

    def append(self, raw: bytes, folder: str = "INBOX") -> float:
        """APPEND over a signed-in connection; returns perf_counter() just before the command."""
        conn = self.connection()
        t0 = time.perf_counter()
        typ, data = conn.append(folder, None, None, raw)
        if typ != "OK":
            raise RuntimeError(f"APPEND refused: {data!r}")
        return t0

    def status(self, folder: str = "INBOX") -> dict[str, int]:
        typ, data = self.connection().status(folder, "(MESSAGES UIDNEXT UIDVALIDITY)")
        if typ != "OK":
            return {}
        return {k.decode().lower(): int(v) for k, v in
                re.findall(rb"(MESSAGES|UIDNEXT|UIDVALIDITY) (\d+)", data[0])}

    def doveadm(self, *args: str, timeout: float = 3600) -> str:
        doveadm = shutil.which("doveadm") or "/usr/bin/doveadm"
        out = subprocess.run([doveadm, "-c", str(self.server.conf), *args], check=True,
                             capture_output=True, text=True, timeout=timeout)
        return out.stdout

    def write_maildir(self, folder: str, messages: Iterable[bytes]) -> int:
        """Messages straight into ``cur/`` (as already seen), for Dovecot to index later."""
        base = self.maildir if folder.upper() == "INBOX" else self.maildir / f".{folder}"
        for sub in ("tmp", "new", "cur"):
            (base / sub).mkdir(parents=True, exist_ok=True)
        for d in (self.maildir, base, *(base / s for s in ("tmp", "new", "cur"))):
            os.chown(d, DOVECOT_UID, DOVECOT_GID)
        if folder.upper() != "INBOX":
            (base / "maildirfolder").touch()
            os.chown(base / "maildirfolder", DOVECOT_UID, DOVECOT_GID)
        n = 0
        stamp = int(time.time()) - 86400
        for n, raw in enumerate(messages, 1):
            path = base / "cur" / f"{stamp + n}.M{n}P{os.getpid()}.bench,S={len(raw)}:2,S"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, raw)
                os.fchown(fd, DOVECOT_UID, DOVECOT_GID)
            finally:
                os.close(fd)
        return n

    def stop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.logout()
            except (OSError, imaplib.IMAP4.error):
                pass
            self._conn = None
        self.server.stop()


# ------------------------------------------------------------------ the daemon


def board_config(root: Path, mail: Mailserver, smtp: SmtpSink) -> Path:
    """A copy of ``config/`` whose west-sussex board reads ``mail`` and sends to ``smtp``."""
    target = root / "config"
    shutil.copytree(REPO / "config", target)
    board_file = target / "boards" / f"{BOARD}.yaml"
    for other in (target / "boards").glob("*.yaml"):
        if other != board_file:
            other.unlink()
    data = yaml.safe_load(board_file.read_text())
    blank = data.get("scoping", {}).get("blank_form")
    if blank:
        data["scoping"]["blank_form"] = str(((REPO / "config" / "boards") / blank).resolve())
    data["mailbox"] = {"kind": "imap", "host": mail.server.host, "port": mail.server.port,
                       "username": mail.user, "password": {"env": "MAILBOT_BENCH_IMAP_PASSWORD"},
                       "security": "plain"}
    data["sending"] = {"kind": "smtp", "host": smtp.host, "port": smtp.port, "security": "plain"}
    board_file.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return target


class Agent:
    """``benchmarks/agent.py`` (``mailbot run`` for one board) as a subprocess."""

    def __init__(self, root: Path, mail: Mailserver, smtp: SmtpSink, *, name: str = "agent",
                 poll: float | None = None, checkpoint: str | None = None,
                 database_url: str | None = None) -> None:
        self.root = root / name
        self.root.mkdir(parents=True, exist_ok=True)
        self.config = board_config(self.root, mail, smtp)
        self.poll_log = self.root / "polls.log"
        self.args = [sys.executable, str(REPO / "benchmarks" / "agent.py")]
        if poll is not None:
            self.args += ["--poll", str(poll), "--poll-log", str(self.poll_log)]
        if checkpoint:
            self.args += ["--checkpoint", checkpoint]
        self.args += ["--", "--config-dir", str(self.config), "--data-dir", str(self.root / "data")]
        if database_url:
            self.args += ["--database-url", database_url]
        self.args += ["run", "--board", BOARD]
        self.env = {**os.environ, "MAILBOT_BENCH_IMAP_PASSWORD": mail.password,
                    "MAILBOT_WEST_SUSSEX_FORM_PASSWORD": form_password()}
        self.proc: subprocess.Popen[bytes] | None = None
        self.started = 0.0

    def start(self) -> float:
        log = open(self.root / "daemon.log", "ab")
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(self.args, stdout=log, stderr=log, env=self.env, cwd=self.root)
        log.close()
        return self.started

    def wait_ready(self, timeout: float = 60) -> None:
        """Until the daemon has signed in and entered its first wait (IDLE or poll sleep)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = (self.root / "daemon.log").read_text(errors="replace")
            if "connected to" in text:
                time.sleep(1.0)  # the first pass and the step into IDLE
                return
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"daemon exited: see {self.root / 'daemon.log'}")
            time.sleep(0.05)
        raise RuntimeError(f"daemon not ready in {timeout}s: see {self.root / 'daemon.log'}")

    def status(self) -> dict[str, int]:
        """VmRSS and VmHWM (peak RSS) of the daemon process, in kB."""
        assert self.proc is not None
        text = Path(f"/proc/{self.proc.pid}/status").read_text()
        return {k: int(v) for k, v in re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB", text, re.M)}

    def cpu_seconds(self) -> float:
        """User + system CPU time the daemon process has used (all its threads)."""
        assert self.proc is not None
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def children(self) -> list[int]:
        """Processes the daemon forked and still has (its read-ahead workers, a LibreOffice)."""
        assert self.proc is not None
        pids: list[int] = []
        for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
            with contextlib.suppress(OSError):  # the thread ended meanwhile
                pids += [int(p) for p in (task / "children").read_text().split()]
        return pids

    def family(self) -> dict[str, float]:
        """The daemon with its children: summed PSS (shared pages counted once), the
        children's largest VmHWM, both in kB, and the children's CPU seconds so far."""
        assert self.proc is not None
        out = {"pss": 0.0, "children_hwm": 0.0, "children_cpu": 0.0}
        for pid in [self.proc.pid, *self.children()]:
            with contextlib.suppress(OSError, AttributeError):  # it exited meanwhile
                rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
                out["pss"] += int(re.search(r"^Pss:\s+(\d+) kB", rollup, re.M).group(1))
                if pid != self.proc.pid:
                    hwm = re.search(r"^VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.M)
                    out["children_hwm"] = max(out["children_hwm"], int(hwm.group(1)))
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    out["children_cpu"] += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return out

    def polls(self) -> list[float]:
        if not self.poll_log.exists():
            return []
        return [float(x) for x in self.poll_log.read_text().split()]

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # a poll sleep is not interruptible: nothing to keep
            self.proc.kill()
            self.proc.wait()


def temp_root(prefix: str) -> Path:
    root = Path(tempfile.mkdtemp(prefix=prefix))
    root.chmod(0o755)
    return root


def finish(root: Path) -> None:
    """Remove a finished run's temp dir; ``MAILBOT_BENCH_KEEP=1`` keeps it (daemon logs).

    A run that fails leaves its dir, whose daemon log the error names.
    """
    if os.environ.get("MAILBOT_BENCH_KEEP"):
        print(f"kept {root}")
    else:
        shutil.rmtree(root, ignore_errors=True)
