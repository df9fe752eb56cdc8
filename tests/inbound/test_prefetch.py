"""Reading ahead in a worker process (``parse_ahead``) changes nothing but the speed.

The same message and form records, the same refusals, the same outcome of a
whole drain, with and without the worker; a worker that dies or hangs only
sends the message back to the board's thread; a killed daemon takes its
worker with it; the worker writes nothing to the log itself.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from mailbot.demo.mailbox import deliver
from mailbot.config import load_board
from mailbot.daemon import drain
from mailbot.inbound import parse_ahead
from mailbot.inbound.message import MailProblem, read_message
from mailbot.inbound.parse_ahead import ParseAhead
from mailbot.inbound.pipeline import read_forms
from mailbot.logs import setup_logging
from mailbot.runtime import build_runtime
from mailbot.demo.seed import load_state
from mailbot.store.db import open_store, sqlite_url
from mailbot.store.models import Case, MessageSeen, OutboxMail, Record
from tests.conftest import REPO, SAMPLES
from tests.flow.conftest import sample_emails

BAD = SAMPLES / "bad"
#: A job that never answers (the worker imports it by name).
HANG = "tests.inbound.prefetch_jobs:hang"
REFERRER = "harvey.radcliffe@childrens.westsussex-cc.example"


def _with_attachment(name: str, data: bytes, n: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Harvey Radcliffe <{REFERRER}>"
    msg["To"] = "West Sussex SCB <lscb@westsussexscb.example>"
    msg["Subject"] = f"New referral {n}"
    msg["Message-ID"] = f"<prefetch-{n}@childrens.westsussex-cc.example>"
    msg.set_content("Please find the referral attached.")
    msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return msg.as_bytes()


@functools.cache
def _bad_emails() -> list[tuple[str, bytes]]:
    files = json.loads((BAD / "manifest.json").read_text("utf-8"))["files"]
    return [(f["file"], _with_attachment(f["file"], (BAD / f["file"]).read_bytes(), n))
            for n, f in enumerate(files)]  # once: the MIME boundaries are random


def _all_emails() -> list[tuple[str, bytes]]:
    return [(name, raw) for name, _e, raw in sample_emails()] + _bad_emails()


@pytest.fixture(scope="module")
def shared():
    """One worker for the tests that only read (it starts in about a second)."""
    board = load_board("west-sussex", REPO / "config")
    ahead = ParseAhead(board).start()
    yield board, ahead
    ahead.stop()


@pytest.fixture
def reader(maildir_runtime):
    ahead = ParseAhead(maildir_runtime.board).start()
    yield ahead
    ahead.stop()


def _read_in_thread(board, raw: bytes):
    try:
        msg = read_message(raw)
    except MailProblem as err:
        return None, str(err)
    return msg, read_forms(board, msg, [])


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")  # a zombie has exited: only its parent's wait is missing


def _wait_gone(pid: int, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _gone(pid):
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("name,raw", _all_emails(), ids=[n for n, _ in _all_emails()])
def test_worker_reads_every_sample_as_the_thread_does(shared, name, raw):
    board, reader = shared
    sha = hashlib.sha256(raw).hexdigest()
    reader.submit(raw)
    parsed = reader.take(sha)
    msg, forms = _read_in_thread(board, raw)
    if parsed is None:  # only what the worker must leave to the thread
        assert msg is None, name
        return
    assert parsed.sha256 == sha
    assert parsed.msg == dataclasses.replace(msg, email=None)
    assert parsed.forms == forms  # records, error reasons and kinds, bytes
    assert [f.error for f in parsed.forms] == [f.error for f in forms]


def test_most_samples_are_read_ahead(maildir_runtime, reader):
    emails = _all_emails()
    for _name, raw in emails:
        reader.submit(raw)
        reader.take(hashlib.sha256(raw).hexdigest())
    assert reader.failed == 0
    assert reader.used + reader.declined == len(emails)
    assert reader.declined <= 3  # delivery reports (and unreadable mail) are read in-thread


def test_bad_attachments_keep_their_reasons(shared):
    board, reader = shared
    for name, raw in _bad_emails():
        reader.submit(raw)
        parsed = reader.take(hashlib.sha256(raw).hexdigest())
        assert parsed is not None, name
        _msg, forms = _read_in_thread(board, raw)
        assert [(f.error, f.error_kind) for f in parsed.forms] == [(f.error, f.error_kind) for f in forms]
        assert all(f.record is None for f in parsed.forms), name


def _outcome(store) -> dict:
    with store.session() as s:
        seen = [(r.sha256, r.kind, r.outcome, r.reason, r.sender, r.message_id)
                for r in s.scalars(select(MessageSeen).order_by(MessageSeen.id))]
        cases = [(c.reference, c.status, sorted(r.agency for r in c.requests))
                 for c in s.scalars(select(Case).order_by(Case.id))]
        records = [(r.form_type, r.form_id, r.agency, r.case_id, r.data) for r in s.scalars(select(Record).order_by(Record.id))]
        outbox = [(o.kind, o.recipients, o.subject, o.dedupe_key)
                  for o in s.scalars(select(OutboxMail).order_by(OutboxMail.id))]
    return {"seen": seen, "cases": cases, "records": records, "outbox": outbox}


def _drain_all(board, tmp_path: Path, clock, name: str, with_worker: bool, kill_after: int | None = None):
    store = open_store(sqlite_url(tmp_path / f"{name}.db"))
    rt = build_runtime(board, store, tmp_path / name, clock)
    try:
        load_state(rt, SAMPLES / "emails" / "bot-state.json", SAMPLES)
        deliver(rt.data_dir / "mail" / rt.slug / "inbox", [raw for _n, raw in _all_emails()], start=1_700_000_000)
        if with_worker:
            rt.parse_ahead = ParseAhead(rt.board).start()
            if kill_after is not None:
                _kill_worker_after(rt.parse_ahead, kill_after)
        while drain(rt).handled:
            pass
        return _outcome(store), rt.parse_ahead
    finally:
        rt.close()
        store.dispose()


def _kill_worker_after(reader: ParseAhead, submissions: int) -> None:
    """SIGKILL the worker right after it is handed its ``submissions``-th message."""
    submit = reader.submit
    count = [0]

    def killing_submit(raw: bytes) -> None:
        submit(raw)
        count[0] += 1
        if count[0] == submissions and reader.pid is not None:
            os.kill(reader.pid, signal.SIGKILL)

    reader.submit = killing_submit  # type: ignore[method-assign]


def test_drain_has_the_same_outcome_with_and_without_the_worker(ws_board, tmp_path, clock):
    without, _ = _drain_all(ws_board, tmp_path, clock, "thread", with_worker=False)
    with_it, reader = _drain_all(ws_board, tmp_path, clock, "worker", with_worker=True)
    assert with_it == without
    assert len(without["seen"]) == len(_all_emails())
    assert reader.used >= len(_all_emails()) - 4  # the first of a pass and those left to the thread
    assert reader.failed == 0 and reader.pid is None  # rt.close() ended the worker


def test_worker_killed_mid_drain_falls_back_and_is_replaced(ws_board, tmp_path, clock, caplog):
    without, _ = _drain_all(ws_board, tmp_path, clock, "thread", with_worker=False)
    with caplog.at_level(logging.WARNING, "mailbot.inbound"):
        with_it, reader = _drain_all(ws_board, tmp_path, clock, "killed", with_worker=True, kill_after=5)
    assert with_it == without
    assert reader.failed == 1 and reader.used > 5  # and the new worker went on
    assert "the read-ahead worker died; reading in-thread" in caplog.text


def test_worker_killed_then_replaced(maildir_runtime, reader):
    emails = _all_emails()
    first = reader.pid
    raw = emails[5][1]
    reader.submit(raw)
    os.kill(first, signal.SIGKILL)
    assert reader.take(hashlib.sha256(raw).hexdigest()) is None
    assert reader.failed == 1 and reader.pid is None and _wait_gone(first)
    raw = emails[6][1]
    reader.submit(raw)  # a new worker
    assert reader.pid not in (None, first)
    assert reader.take(hashlib.sha256(raw).hexdigest()) is not None


def test_hung_worker_is_stopped_after_the_timeout(maildir_runtime):
    reader = ParseAhead(maildir_runtime.board, timeout=0.5, job=HANG).start()
    try:
        pid = reader.pid
        raw = _all_emails()[5][1]
        reader.submit(raw)
        started = time.monotonic()
        assert reader.take(hashlib.sha256(raw).hexdigest()) is None
        assert time.monotonic() - started < 60  # SIGTERM ends the hour's sleep at once
        assert reader.pid is None and _wait_gone(pid)
    finally:
        reader.stop()


def test_busy_worker_does_not_block_the_next_submit(maildir_runtime):
    reader = ParseAhead(maildir_runtime.board, timeout=300, job=HANG).start()
    try:
        emails = _all_emails()
        reader.submit(emails[5][1])
        started = time.monotonic()
        reader.submit(emails[6][1])  # still busy: not sent, read in-thread later
        assert reader.take(hashlib.sha256(emails[6][1]).hexdigest()) is None
        assert time.monotonic() - started < 60  # not the busy worker's 300 s
    finally:
        reader.stop()


def test_messages_queued_on_a_busy_worker_are_sent_without_waiting(maildir_runtime):
    reader = ParseAhead(maildir_runtime.board, timeout=300, job=HANG, queue=3).start()
    try:
        big = [b"From: a@b.example\r\nSubject: %d\r\n\r\n" % n + os.urandom(3 << 20).hex().encode()
               for n in range(3)]  # 6 MB each: far more than a socket holds
        started = time.monotonic()
        assert all(reader.submit(raw) for raw in big)  # the worker takes them off its socket while busy
        assert time.monotonic() - started < 30
        assert reader.in_flight == 3
        assert reader.submit(_all_emails()[5][1]) is False  # its queue is full: read in-thread
    finally:
        reader.stop()


DAEMON = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {repo!r})
    from mailbot.config import load_board
    from mailbot.inbound import parse_ahead
    from pathlib import Path
    board = load_board("west-sussex", Path({config!r}))
    reader = parse_ahead.ParseAhead(board, job={job!r}).start()
    if {busy!r}:
        reader.submit(b"From: a@b.example\\r\\n\\r\\nhello\\r\\n")
    print(reader.pid, flush=True)
    time.sleep(3600)
""")


@pytest.mark.parametrize("busy", [False, True], ids=["idle", "busy"])
def test_worker_exits_when_the_daemon_is_killed(busy):
    code = DAEMON.format(repo=str(REPO), config=str(REPO / "config"), busy=busy,
                         job=HANG if busy else parse_ahead.JOB)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=REPO, text=True)
    try:
        worker = int(proc.stdout.readline())
        assert not _gone(worker)
        time.sleep(0.3)
        proc.kill()  # SIGKILL: no clean-up in the daemon at all
        proc.wait(10)
        assert _wait_gone(worker), "the worker outlived its daemon"
        assert proc.stderr.read() == ""  # and wrote nothing on the way out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        proc.stdout.close()
        proc.stderr.close()


def test_no_personal_data_in_the_log(maildir_runtime):
    stream = io.StringIO()
    setup_logging("DEBUG", stream)  # before the worker starts, as in the daemon: it keeps these levels
    reader = ParseAhead(maildir_runtime.board).start()
    try:
        emails = _all_emails()
        records = []
        for _name, raw in emails:
            reader.submit(raw)
            parsed = reader.take(hashlib.sha256(raw).hexdigest())
            if parsed is not None:
                parsed.replay()  # as handle_message does
                records += [f.record for f in parsed.forms if f.record is not None]
    finally:
        reader.stop()
        logging.getLogger().handlers[:] = []
        logging.getLogger("mailbot").setLevel(logging.NOTSET)
    text = stream.getvalue()
    assert "parsed docx as" in text  # the worker's records reach the daemon's log
    assert records
    for record in records:
        for person in _people(record.model_dump()):
            assert person not in text
    assert "@" not in text.replace("<address>", "")


def _people(data: object) -> list[str]:
    """Names, addresses and dates of birth in a record (strings under those keys)."""
    out: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, str) and len(value) > 3 and any(
                    w in key for w in ("name", "address", "dob", "birth", "email", "phone")):
                out.append(value)
            else:
                out += _people(value)
    elif isinstance(data, list):
        for item in data:
            out += _people(item)
    return out


def test_on_for_the_daemon_unless_the_environment_turns_it_off(maildir_runtime, monkeypatch):
    assert maildir_runtime.parse_ahead is None  # drain (demo, tests) reads in-thread
    monkeypatch.delenv(parse_ahead.ENV, raising=False)
    assert parse_ahead.enabled_by_env()  # daemon.run's default
    for value in ("off", "0", "false", "No"):
        monkeypatch.setenv(parse_ahead.ENV, value)
        assert not parse_ahead.enabled_by_env()
    monkeypatch.setenv(parse_ahead.ENV, "on")
    assert parse_ahead.enabled_by_env()


def test_worker_is_a_fresh_process_holding_nothing_of_the_daemons(maildir_runtime, reader):
    """Not a fork of the threaded daemon: a new interpreter whose only open files are
    /dev/null (its stdin, stdout, stderr) and its socket; no database, mailbox or log."""
    rt = maildir_runtime
    with rt.store.session() as s:  # the daemon has its database open
        s.scalar(select(MessageSeen.id).limit(1))
    raw = _all_emails()[5][1]
    reader.submit(raw)
    assert reader.take(hashlib.sha256(raw).hexdigest()) is not None  # it has read forms by now
    pid = reader.pid
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    assert argv[0] == sys.executable.encode() and argv[1:3] == [b"-P", b"-c"]
    targets = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
    assert targets.count("/dev/null") == 3
    assert [t for t in targets if t != "/dev/null" and not t.startswith("socket:")] == []
