"""``mailbot rekey``: plain data sealed, old-key data re-sealed, nothing else touched.

Runs on the suite's store (SQLite, or PostgreSQL under ``MAILBOT_TEST_POSTGRES``)
and the board's data folder, through the command line as an admin runs it.
All data here is made up.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import select

from mailbot.cli import main
from mailbot import files
from mailbot.commands import rekey
from mailbot.settings import KEY_ENV, KEY_FILE_ENV
from mailbot.store import crypto
from mailbot.store.approvals_models import Draft
from mailbot.store.crypto import DecryptError, Keyring
from mailbot.store.models import Attachment, Case, OutboxMail, Record
from mailbot.workflow.common import read_stored, store_attachment

NAME = "Amelia Thornbury"
CHILD = {"child": {"full_name": NAME, "address": "42 Larkspur Close", "dob": "2015-03-09"}}
MAIL = f"Subject: Scoping\r\nTo: a@agency.example\r\n\r\nAbout {NAME}".encode()
FILES = {"referral.docx": f"PK\x03\x04 referral about {NAME}".encode(),
         "sin.pdf": f"%PDF-1.7 notification about {NAME}".encode()}
OLD, NEW, STRANGER = Keyring.generate(), Keyring.generate(), Keyring.generate()
SEALED = {"records.data", "outbox.raw", "drafts.context", "drafts.reason"}


def seed(rt, ring: Keyring | None, records: int = 1) -> None:  # noqa: ANN001
    """A case with records, an outgoing email, a draft and two stored files, written under ``ring``."""
    crypto.bind(rt.store.engine, ring)
    now = dt.datetime(2026, 2, 16, 9, 0)
    with rt.store.transaction() as s:
        case = Case(board=rt.slug, reference="WS-2026-0101", year=2026, seq=101, stage="scoping", opened_at=now)
        s.add(case)
        s.flush()
        for n in range(records):
            s.add(Record(board=rt.slug, case_id=case.id, form_type="referral", form_id=f"f{n}", data=CHILD,
                         created_at=now))
        s.add(OutboxMail(board=rt.slug, kind="k", dedupe_key="k1", message_id="<1@bot.example>",
                         recipients=["a@agency.example"], subject="s", raw=MAIL, created_at=now))
        s.add(Draft(board=rt.slug, case_id=case.id, kind="k", title="t", token="#QWERTY",
                    chair_email="chair@board.example", created_at=now, expires_at=now,
                    context={"child_line": NAME}, reason=f"wait for {NAME}'s review"))
        for name, data in FILES.items():
            store_attachment(s, rt, name, data, hashlib.sha256(data).hexdigest(), "application/octet-stream")


def stored_files(rt) -> list[Path]:  # noqa: ANN001
    return sorted(p for p in (rt.data_dir / "attachments").rglob("*") if p.is_file())


def snapshot(rt) -> dict[str, object]:  # noqa: ANN001
    """Every sealed column's stored value and every stored file's bytes, as they are on disk."""
    out: dict[str, object] = {}
    with rt.store.engine.connect() as conn:
        for table, columns in rekey.sealed_tables():
            pk = next(iter(table.primary_key.columns))
            for row in conn.execute(select(pk, *[rekey._stored(c) for c in columns])):
                for column, value in zip(columns, row[1:]):
                    out[f"{table.name}.{column.name}#{row[0]}"] = value
    for path in stored_files(rt):
        out[str(path)] = path.read_bytes()
    return out


def run(rt, monkeypatch, capsys, key: str | None, *extra: str) -> tuple[int, str, str]:  # noqa: ANN001
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    if key is None:
        monkeypatch.delenv(KEY_ENV, raising=False)
    else:
        monkeypatch.setenv(KEY_ENV, key)
    code = main(["--database-url", rt.store.url, "--data-dir", str(rt.data_dir), "rekey", *extra])
    out, err = capsys.readouterr()
    assert NAME not in out + err and "Larkspur" not in out + err
    return code, out, err


def reads_back(rt, ring: Keyring) -> None:  # noqa: ANN001
    """mailbot, given only ``ring``, reads every value and file as it was written."""
    crypto.bind(rt.store.engine, ring)
    with rt.store.session() as s:
        assert all(r.data == CHILD for r in s.scalars(select(Record)))
        assert s.scalar(select(OutboxMail.raw)) == MAIL
        d = s.scalar(select(Draft))
        assert (d.context, d.reason) == ({"child_line": NAME}, f"wait for {NAME}'s review")
        atts = list(s.scalars(select(Attachment)))
    assert sorted(read_stored(rt, a) for a in atts) == sorted(FILES.values())


def all_sealed_with(rt, ring: Keyring) -> None:  # noqa: ANN001
    for where, value in snapshot(rt).items():
        if value is None or value == "null":
            continue
        blob = bytes(value) if isinstance(value, (bytes, memoryview)) else None
        if blob is None:
            text = value.strip('"')
            assert text.startswith(crypto.TEXT_PREFIX), where
            blob = crypto._unb64(text)
        assert ring.is_current(blob) and NAME.encode() not in blob, where


def test_the_sealed_columns_come_from_the_models():
    found = {f"{t.name}.{c.name}" for t, cols in rekey.sealed_tables() for c in cols}
    assert SEALED <= found


def test_plain_data_is_sealed_and_still_reads(maildir_runtime, monkeypatch, capsys):
    rt = maildir_runtime
    seed(rt, None)
    assert any(NAME.encode() in p.read_bytes() for p in stored_files(rt))
    code, out, _err = run(rt, monkeypatch, capsys, NEW)
    assert code == 0
    assert "records.data: 1 plain, 0 under an old key, 0 under the current key" in out
    assert "files (west-sussex): 2 plain" in out
    assert out.strip().endswith("re-sealed 4 values in 4 columns and 2 files; 0 left under old keys")
    all_sealed_with(rt, Keyring.from_secret(NEW))
    reads_back(rt, Keyring.from_secret(NEW))


def test_after_a_rotation_the_old_key_can_be_dropped(maildir_runtime, monkeypatch, capsys):
    rt = maildir_runtime
    seed(rt, Keyring.from_secret(OLD))
    with pytest.raises(DecryptError):  # before: the new key alone cannot read the old data
        reads_back(rt, Keyring.from_secret(NEW))
    code, out, _err = run(rt, monkeypatch, capsys, f"{NEW},{OLD}")
    assert code == 0
    assert "outbox.raw: 0 plain, 1 under an old key" in out
    assert out.strip().endswith("re-sealed 4 values in 4 columns and 2 files; 0 left under old keys; "
                                "the old key(s) can now be removed")
    all_sealed_with(rt, Keyring.from_secret(NEW))
    reads_back(rt, Keyring.from_secret(NEW))


def test_a_second_run_changes_nothing_and_says_so(maildir_runtime, monkeypatch, capsys):
    rt = maildir_runtime
    seed(rt, Keyring.from_secret(OLD))
    assert run(rt, monkeypatch, capsys, f"{NEW} {OLD}")[0] == 0
    before = snapshot(rt)
    inodes = {p: p.stat().st_ino for p in stored_files(rt)}
    code, out, _err = run(rt, monkeypatch, capsys, f"{NEW} {OLD}")
    assert code == 0 and snapshot(rt) == before
    assert {p: p.stat().st_ino for p in stored_files(rt)} == inodes
    assert "nothing to re-seal: 4 values and 2 files are already sealed with the current key" in out


def test_a_dry_run_counts_and_writes_nothing(maildir_runtime, monkeypatch, capsys):
    rt = maildir_runtime
    seed(rt, None, records=3)
    before = snapshot(rt)
    code, out, _err = run(rt, monkeypatch, capsys, NEW, "--dry-run")
    assert code == 0 and snapshot(rt) == before
    assert "records.data: 3 plain" in out
    assert "dry run: would re-seal 6 values in 4 columns and 2 files; nothing was written" in out


def test_many_rows_go_in_batches(maildir_runtime, monkeypatch, capsys):
    rt = maildir_runtime
    seed(rt, None, records=7)
    monkeypatch.setattr(rekey, "BATCH", 3)
    code, out, _err = run(rt, monkeypatch, capsys, NEW)
    assert code == 0
    assert "  records: 3 rows done" in out and "  records: 6 rows done" in out
    assert "re-sealed 10 values in 4 columns and 2 files" in out
    all_sealed_with(rt, Keyring.from_secret(NEW))
    reads_back(rt, Keyring.from_secret(NEW))


def test_a_value_no_key_opens_is_named_and_nothing_changes(maildir_runtime, monkeypatch, capsys):
    rt = maildir_runtime
    seed(rt, None, records=2)
    crypto.bind(rt.store.engine, Keyring.from_secret(STRANGER))
    with rt.store.transaction() as s:
        rec = s.scalar(select(Record).order_by(Record.id.desc()))
        rec.data = {"child": {"full_name": NAME, "note": "sealed with a key nobody listed"}}
        bad_id = rec.id
    before = snapshot(rt)
    code, out, err = run(rt, monkeypatch, capsys, f"{NEW},{OLD}")
    assert code == 2 and snapshot(rt) == before
    assert err == (f"mailbot: records.data row {bad_id} does not open with any configured key; "
                   "it was left as it is and the run stopped\n")
    assert "Traceback" not in err and "re-sealed" not in out


def test_a_file_no_key_opens_is_named_by_its_place_in_the_data_folder(maildir_runtime, monkeypatch, capsys):
    rt = maildir_runtime
    seed(rt, None)
    path = stored_files(rt)[0]
    path.write_bytes(Keyring.from_secret(STRANGER).seal(b"other", "attachment"))
    before = snapshot(rt)
    code, _out, err = run(rt, monkeypatch, capsys, NEW)
    assert code == 2 and snapshot(rt) == before
    assert err.startswith(f"mailbot: {path.relative_to(rt.data_dir)} does not open")
    assert err.count("\n") == 1


def test_files_are_replaced_atomically_and_owner_only(maildir_runtime, monkeypatch, capsys):
    rt = maildir_runtime
    seed(rt, Keyring.from_secret(OLD))
    first, second = stored_files(rt)
    real_replace = os.replace

    def crash_on_the_second(src, dst):  # noqa: ANN001, ANN202
        if Path(dst) == second:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(files.os, "replace", crash_on_the_second)
    code, _out, err = run(rt, monkeypatch, capsys, f"{NEW},{OLD}")
    assert code == 2 and "cannot be replaced (No space left on device); it is unchanged" in err
    both = Keyring.from_secret(f"{NEW},{OLD}")  # mid-way: every file opens with a listed key
    assert both.is_current(first.read_bytes()) and not both.is_current(second.read_bytes())
    reads_back(rt, both)
    assert stored_files(rt) == [first, second]  # no temp file left behind

    monkeypatch.setattr(files.os, "replace", real_replace)
    inode = second.stat().st_ino
    assert run(rt, monkeypatch, capsys, f"{NEW},{OLD}")[0] == 0  # running again finishes the job
    assert second.stat().st_ino != inode  # a new file renamed over the old, not rewritten in place
    for path in stored_files(rt):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    all_sealed_with(rt, Keyring.from_secret(NEW))
    reads_back(rt, Keyring.from_secret(NEW))


def test_without_a_key_it_refuses(maildir_runtime, monkeypatch, capsys):
    rt = maildir_runtime
    seed(rt, None)
    before = snapshot(rt)
    code, _out, err = run(rt, monkeypatch, capsys, None)
    assert code == 2 and snapshot(rt) == before
    assert err.startswith("mailbot: rekey needs an encryption key") and err.count("\n") == 1


def test_one_board_only(maildir_runtime, monkeypatch, capsys):
    rt = maildir_runtime
    seed(rt, None)
    code, out, _err = run(rt, monkeypatch, capsys, NEW, "--board", "swindon")
    assert code == 0 and "nothing to re-seal: 0 values and 0 files" in out
    code, out, _err = run(rt, monkeypatch, capsys, NEW, "--board", "west-sussex")
    assert code == 0 and "other boards were not checked" in out
    all_sealed_with(rt, Keyring.from_secret(NEW))
    assert run(rt, monkeypatch, capsys, NEW, "--board", "../etc")[0] == 2


def test_a_value_the_daemon_changes_meanwhile_is_not_overwritten(maildir_runtime, monkeypatch, capsys):
    rt = maildir_runtime
    seed(rt, Keyring.from_secret(OLD))
    real = crypto.SealedText.reseal_stored
    calls = []

    def daemon_writes_meanwhile(self, stored, keyring):  # noqa: ANN001, ANN202
        calls.append(1)
        if len(calls) == 2:  # the writing pass read drafts.reason; the daemon (new key) answers first
            crypto.bind(rt.store.engine, Keyring.from_secret(f"{NEW},{OLD}"))
            with rt.store.transaction() as s:
                s.scalar(select(Draft)).reason = "the Chair's newer words"
        return real(self, stored, keyring)

    monkeypatch.setattr(crypto.SealedText, "reseal_stored", daemon_writes_meanwhile)
    code, out, err = run(rt, monkeypatch, capsys, f"{NEW},{OLD}")
    assert code == 1, err
    assert "re-sealed 3 values in 4 columns and 2 files; 1 left under old keys (they changed while " \
           "rekey ran: run it again)" in out
    crypto.bind(rt.store.engine, Keyring.from_secret(NEW))
    with rt.store.session() as s:
        assert s.scalar(select(Draft.reason)) == "the Chair's newer words"
    monkeypatch.setattr(crypto.SealedText, "reseal_stored", real)
    code, out, _err = run(rt, monkeypatch, capsys, f"{NEW},{OLD}")
    assert code == 0 and "nothing to re-seal" in out
