"""MaildirMailbox and MaildirOutbox on a temp directory."""

from __future__ import annotations

import mailbox
import os
import threading
import time

import pytest

from mailbot.errors import SendError
from mailbot.mailbox.base import Folder, Mailbox
from mailbot.mailbox.maildir import MaildirMailbox
from mailbot.outbound.base import Sender
from mailbot.outbound.maildir_outbox import ENVELOPE_HEADER, MaildirOutbox

from .helpers import outgoing, raw_message


def _deliver(path, n: int, when: float, subdir: str = "new") -> str:
    """Drop a message into the Maildir as an MTA would, with a given delivery time."""
    key = f"{int(when)}.M{n}P1.host"
    name = key if subdir == "new" else key + ":2,S"
    target = path / subdir / name
    target.write_bytes(raw_message(n))
    os.utime(target, (when, when))
    return key


def test_fetch_oldest_first_move_and_idempotent(tmp_path):
    box = MaildirMailbox(tmp_path / "mb", name="board")
    assert isinstance(box, Mailbox)
    root = tmp_path / "mb"
    k3 = _deliver(root, 3, 1_700_000_300)
    k1 = _deliver(root, 1, 1_700_000_100, subdir="cur")
    k2 = _deliver(root, 2, 1_700_000_200)

    got = list(box.fetch_new())
    assert [m.ref.uid for m in got] == [k1, k2, k3]
    assert b"number 1" in got[0].raw
    assert all(m.ref.mailbox == "board" for m in got)
    # reading changed nothing on disk: still in new/, no flags added
    assert sorted(os.listdir(root / "new")) == sorted([k2, k3])

    assert [m.ref.uid for m in box.fetch_new(limit=2)] == [k1, k2]

    box.move(got[0].ref, Folder.PROCESSED)
    box.move(got[1].ref, Folder.NEEDS_ATTENTION)
    box.move(got[2].ref, Folder.PROCESSED)
    box.move(got[2].ref, Folder.PROCESSED)  # again: nothing happens
    assert list(box.fetch_new()) == []

    md = mailbox.Maildir(root, factory=None, create=False)
    assert sorted(md.list_folders()) == ["needs-attention", "processed"]
    assert len(md.get_folder("processed")) == 2
    assert len(md.get_folder("needs-attention")) == 1
    # the flags of the message that was in cur/ travelled with it
    assert os.listdir(root / ".processed" / "cur") == [k1 + ":2,S"]


def test_wait_sees_a_delivery_and_times_out(tmp_path):
    box = MaildirMailbox(tmp_path / "mb", poll_interval=0.05)
    assert box.wait(0.2) is False

    def later() -> None:
        time.sleep(0.2)
        _deliver(tmp_path / "mb", 9, time.time())

    t = threading.Thread(target=later)
    t.start()
    try:
        assert box.wait(30) is True
    finally:
        t.join()
    assert len(list(box.fetch_new())) == 1


def test_outbox_writes_message_with_envelope(tmp_path):
    outbox = MaildirOutbox(tmp_path / "out")
    assert isinstance(outbox, Sender)
    msg = outgoing()
    msg[ENVELOPE_HEADER] = "stale@old.example"  # must be replaced, not kept
    outbox.send(msg, ["scoping@health.example", "dsm@health.example"])
    outbox.close()

    md = mailbox.Maildir(tmp_path / "out", create=False)
    [stored] = list(md)
    assert stored.get_all(ENVELOPE_HEADER) == ["scoping@health.example, dsm@health.example"]
    assert stored["Subject"] == "Scoping request WS-2026-0007"
    assert stored["Message-ID"] == msg["Message-ID"]
    assert msg.get_all(ENVELOPE_HEADER) == ["stale@old.example"]  # caller's object untouched


def test_outbox_refuses_no_recipients(tmp_path):
    with pytest.raises(SendError) as info:
        MaildirOutbox(tmp_path / "out").send(outgoing(), [])
    assert info.value.permanent
