"""Encryption at rest and owner-only files.

With a key configured, the bytes mailbot keeps (the database file, stored
attachments and draft documents) hold none of the samples' personal data,
and everything still works end to end: the demo's whole flow runs with the
key given the way an operator gives it (``MAILBOT_ENCRYPTION_KEY``). Without
a key nothing changes. Keys rotate: the newest seals, older ones still open.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import email
import hashlib
import io
import os
import sqlite3
import stat
from email import policy
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import select, text

from mailbot.errors import ConfigError
from mailbot.settings import KEY_ENV, KEY_FILE_ENV, Settings
from mailbot.store import crypto
from mailbot.store.approvals_models import Draft
from mailbot.store.crypto import DecryptError, Keyring
from mailbot.store.db import open_store, sqlite_url
from mailbot.store.models import Attachment, Case, OutboxMail, Record
from tests.conftest import SAMPLES
from tests.security.personal import found_in, personal_values


def _db_bytes(folder: Path, name: str = "mailbot.db") -> str:
    """The SQLite database file with its write-ahead log and shared-memory file."""
    parts = [p.read_bytes() for p in sorted(folder.glob(f"{name}*"))]
    assert parts
    return b"\n".join(parts).decode("latin-1")


def _unsealed_cells(path: Path) -> list[str]:
    """Every value in every table of the database that is not sealed, as text.

    Sealed values are binary (``MBE1``…) or base64 text (``mbe1:``…, inside quotes in a JSON column).
    """
    out: list[str] = []
    with contextlib.closing(sqlite3.connect(path)) as db:
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):  # noqa: S608 - names from sqlite_master
                for cell in row:
                    if isinstance(cell, bytes) and not crypto.is_sealed(cell):
                        out.append(cell.decode("latin-1"))
                    elif isinstance(cell, str) and not cell.lstrip('"').startswith(crypto.TEXT_PREFIX):
                        out.append(cell)
    return out


# --- the keyring ----------------------------------------------------------------------


def test_sealing_round_trips_and_never_repeats():
    ring = Keyring.from_secret(Keyring.generate())
    a, b = ring.seal(b"Olivia Jessop", "records.data"), ring.seal(b"Olivia Jessop", "records.data")
    assert a != b and b"Olivia" not in a  # a fresh nonce every time
    assert crypto.is_sealed(a) and a[4:8].hex() == ring.current_id
    assert ring.open(a, "records.data") == b"Olivia Jessop"


def test_keys_rotate_newest_first_and_old_data_still_opens():
    old, new = Keyring.generate(), Keyring.generate()
    sealed_old = Keyring.from_secret(old).seal(b"x", "attachment")
    rotated = Keyring.from_secret(f"{new}, {old}")
    assert rotated.open(sealed_old, "attachment") == b"x"
    sealed_new = rotated.seal(b"y", "attachment")
    assert sealed_new[4:8].hex() == Keyring.from_secret(new).current_id
    with pytest.raises(DecryptError, match="not configured"):
        Keyring.from_secret(old).open(sealed_new, "attachment")  # the old key alone cannot read new data


def test_altered_or_moved_data_does_not_open():
    ring = Keyring.from_secret(Keyring.generate())
    sealed = bytearray(ring.seal(b"data", "records.data"))
    with pytest.raises(DecryptError):
        ring.open(bytes(sealed), "outbox.raw")  # sealed for another column
    sealed[-1] ^= 1
    with pytest.raises(DecryptError, match="altered"):
        ring.open(bytes(sealed), "records.data")
    with pytest.raises(DecryptError, match="no encryption key"):
        crypto.unseal(None, ring.seal(b"data", "attachment"), "attachment")
    assert crypto.unseal(ring, b"PK\x03\x04 written before the key", "attachment").startswith(b"PK")


@pytest.mark.parametrize("value", ["short", "x" * 44, "", "not base64 at all!!"])
def test_an_unusable_key_fails_at_start(monkeypatch, tmp_path, value):
    key_file = tmp_path / "key"
    key_file.write_text(value)
    monkeypatch.setenv(KEY_FILE_ENV, str(key_file))
    with pytest.raises(ConfigError):
        Settings.load(data_dir=str(tmp_path / "data")).prepare()


def test_the_key_is_named_in_settings_never_written(monkeypatch, tmp_path):
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    monkeypatch.delenv(KEY_ENV, raising=False)
    assert Settings.load(data_dir=str(tmp_path)).keyring() is None
    key = Keyring.generate()
    monkeypatch.setenv(KEY_ENV, key)
    assert Settings.load(data_dir=str(tmp_path)).keyring().current_id == Keyring.from_secret(key).current_id
    missing = tmp_path / "missing-key"
    monkeypatch.setenv(KEY_FILE_ENV, str(missing))  # the file wins, and a missing one is an error
    with pytest.raises(ConfigError, match="missing-key"):
        Settings.load(data_dir=str(tmp_path)).prepare()


# --- the columns ------------------------------------------------------------------------

CHILD = {"child": {"full_name": "Olivia Jessop", "address": "137 Coopers Yard"}}


def _rows(store, ring: Keyring | None) -> None:  # noqa: ANN001
    crypto.bind(store.engine, ring)
    now = dt.datetime(2026, 2, 16, 9, 0)
    with store.transaction() as s:
        case = Case(board="b", reference="B-2026-0001", year=2026, seq=1, stage="scoping", opened_at=now)
        s.add(case)
        s.flush()
        s.add(Record(board="b", case_id=case.id, form_type="referral", form_id="f", data=CHILD, created_at=now))
        s.add(OutboxMail(board="b", kind="k", dedupe_key="k1", message_id="<1@x.example>", recipients=["a@x.example"],
                         subject="s", raw=b"Subject: s\r\n\r\nAbout Olivia Jessop", created_at=now))
        s.add(Draft(board="b", case_id=case.id, kind="k", title="t", token="#ABCDEF", chair_email="c@x.example",
                    created_at=now, expires_at=now, context={"child_line": "Olivia Jessop"},
                    reason="wait for Olivia Jessop's review"))


def _raw_columns(store) -> list[str]:  # noqa: ANN001
    with store.engine.connect() as conn:
        out = [str(conn.execute(text("SELECT data FROM records")).scalar_one())]
        out.append(bytes(conn.execute(text("SELECT raw FROM outbox")).scalar_one()).decode("latin-1"))
        out += [str(v) for v in conn.execute(text("SELECT context, reason FROM drafts")).one()]
    return out


def test_personal_columns_are_sealed_with_a_key_and_unchanged_without(database_url, tmp_path):
    store = open_store(database_url)
    try:
        _rows(store, Keyring.from_secret(Keyring.generate()))
        raw = _raw_columns(store)
        assert not any("Olivia" in v for v in raw)
        assert all(v.startswith(("mbe1:", '"mbe1:', "MBE1")) for v in raw)
        with store.session() as s:  # mailbot itself reads plain values
            assert s.scalar(select(Record.data)) == CHILD
            assert s.scalar(select(OutboxMail.raw)).endswith(b"Olivia Jessop")
            d = s.scalar(select(Draft))
            assert (d.context, d.reason) == ({"child_line": "Olivia Jessop"}, "wait for Olivia Jessop's review")
    finally:
        store.dispose()
    plain = open_store(sqlite_url(tmp_path / "plain.db"))
    try:
        _rows(plain, None)
        assert all("Olivia" in v for v in _raw_columns(plain))  # without a key: exactly as before
        assert found_in(_db_bytes(tmp_path, "plain.db"))  # the disk scan below would see it (WAL included)
    finally:
        plain.dispose()


def test_a_sealed_value_moved_to_another_column_does_not_open(tmp_path):
    store = open_store(sqlite_url(tmp_path / "m.db"))
    try:
        _rows(store, Keyring.from_secret(Keyring.generate()))
        with store.engine.begin() as conn:
            conn.execute(text("UPDATE drafts SET context = (SELECT data FROM records)"))
        with pytest.raises(DecryptError), store.session() as s:
            s.scalar(select(Draft.context))
    finally:
        store.dispose()


# --- the whole flow with a key ----------------------------------------------------------

KEY = Keyring.generate()


@pytest.fixture(scope="module")
def keyed_demo(tmp_path_factory):  # noqa: ANN201
    """``mailbot demo`` (samples, approvals, chasing, digests) with the key set as an operator sets it."""
    from mailbot.commands import demo

    workspace = tmp_path_factory.mktemp("keyed") / "demo"
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(KEY_FILE_ENV, raising=False)
        mp.setenv(KEY_ENV, KEY)
        args = argparse.Namespace(workspace=str(workspace), samples=str(SAMPLES), days=3, config_dir=None,
                                  database_url=None)
        with contextlib.redirect_stdout(out):
            assert demo.run(args) == 0
    store = open_store(sqlite_url(workspace / "mailbot.db"))
    crypto.bind(store.engine, Keyring.from_secret(KEY))  # the test reads with the key given explicitly
    yield workspace, out.getvalue(), store
    store.dispose()




def test_with_a_key_the_demo_still_works_end_to_end(keyed_demo):
    _workspace, printed, store = keyed_demo
    assert "Cases opened: 2" in printed and "Sent 'Notification of a decision to initiate" in printed
    with store.session() as s:
        referral = s.scalar(select(Record).join(Case).where(Case.reference == "WS-2026-0002",
                                                            Record.form_type == "referral"))
        assert referral.data["child"]["full_name"] == "Olivia Jessop"
        # The notification the demo's Chair approved by reply, on the forwarded referral's case.
        # (The demo's stage 2 sends the agencies' letter and the report to the Panel on it too.)
        (notification,) = [m for m in s.scalars(select(OutboxMail).join(Case).where(
            Case.reference == "WS-2026-0003", OutboxMail.kind == "notification"))
            if m.subject.startswith("Notification of a decision to initiate")]
        draft_doc = s.scalar(select(Attachment).join(Draft, Draft.document_id == Attachment.id).join(
            Case, Draft.case_id == Case.id).where(Case.reference == "WS-2026-0003", Draft.status == "sent",
                                                  Draft.kind == "scr_notification"))
        request = s.scalar(select(OutboxMail).join(Case).where(Case.reference == "WS-2026-0002",
                                                               OutboxMail.kind == "scoping_request"))
    sent = email.message_from_bytes(notification.raw, policy=policy.default)
    (doc,) = [p for p in sent.iter_attachments() if p.get_filename().endswith(".docx")]
    stored = crypto.unseal(Keyring.from_secret(KEY), Path(draft_doc.stored_path).read_bytes(), "attachment")
    assert doc.get_content() == stored and hashlib.sha256(stored).hexdigest() == draft_doc.sha256
    assert "WS-2026-0003" in "\n".join(p.text for p in Document(io.BytesIO(stored)).paragraphs)
    # The request to an agency was rendered from the (sealed) referral: it names the child.
    body = email.message_from_bytes(request.raw, policy=policy.default).get_body(("plain",)).get_content()
    assert "Olivia Jessop" in body


def test_with_a_key_no_personal_data_is_in_the_database_or_stored_files(keyed_demo):
    workspace, _printed, store = keyed_demo
    values = personal_values()
    escaped = frozenset(v.encode("unicode_escape").decode("ascii") for v in values)
    # Every value kept in plain form (not sealed) is searched for every personal value.
    plain_cells = "\n".join(_unsealed_cells(workspace / "mailbot.db"))
    assert "WS-2026-0002" in plain_cells  # the case references are kept in plain, so this search sees data
    assert found_in(plain_cells, values) == [] and found_in(plain_cells, escaped) == []
    # The raw bytes (free pages, the write-ahead log) are searched too, for values long enough
    # that random ciphertext cannot spell them: a 4-letter name turns up in a few MB of
    # ciphertext about one run in twenty.
    db = _db_bytes(workspace)
    long_values = frozenset(v for v in values | escaped if len(v) >= 5)
    assert len(long_values) > 300
    assert found_in(db, long_values) == []
    with store.session() as s:
        stored = list(s.scalars(select(Attachment)))
    assert len(stored) >= 8  # forms, drafts, the Chair's approved document
    for att in stored:
        blob = Path(att.stored_path).read_bytes()
        assert crypto.is_sealed(blob) and not blob.startswith((b"PK", b"%PDF"))
        plain = crypto.unseal(Keyring.from_secret(KEY), blob, "attachment")
        assert hashlib.sha256(plain).hexdigest() == att.sha256
        assert not any(plain[i: i + 32] in blob for i in range(0, max(len(plain) - 32, 1), 997))


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_and_folders_mailbot_keeps_are_owner_only(keyed_demo):
    workspace, _printed, _store = keyed_demo
    assert _mode(workspace) == 0o700
    for db in workspace.glob("mailbot.db*"):
        assert _mode(db) == 0o600, db
    attachments = workspace / "attachments" / "west-sussex"
    assert _mode(attachments) == 0o700
    for path in attachments.rglob("*"):
        assert _mode(path) == (0o700 if path.is_dir() else 0o600), path
    inbox = workspace / "mail" / "west-sussex" / "inbox"
    for d in [inbox, *(p for p in inbox.rglob("*") if p.is_dir())]:
        assert _mode(d) == 0o700, d
    handled = [p for p in inbox.rglob("*") if p.is_file() and p.parent.parent != inbox]
    assert handled and all(_mode(p) == 0o600 for p in handled)


def test_a_maildir_made_by_someone_else_is_made_owner_only(tmp_path):
    from mailbot.mailbox.maildir import MaildirMailbox

    root = tmp_path / "inbox"
    for sub in ("tmp", "new", "cur"):
        (root / sub).mkdir(parents=True)
        os.chmod(root / sub, 0o755)
    os.chmod(root, 0o755)
    MaildirMailbox(root)
    assert {_mode(d) for d in [root, *(p for p in root.rglob("*") if p.is_dir())]} == {0o700}


def test_the_data_folder_is_owner_only(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    monkeypatch.delenv(KEY_ENV, raising=False)
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    Settings.load(data_dir=str(data)).prepare()
    assert _mode(data) == 0o700
