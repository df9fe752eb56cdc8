"""IMAP under several instances and quick stops: a wait interrupted at once, a message gone before its move."""

from __future__ import annotations

import threading
import time

import pytest

from mailbot.mailbox.base import Folder
from mailbot.mailbox.imap import ImapMailbox
from tests.mail.helpers import raw_message

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def make_box(dovecot):
    boxes: list[ImapMailbox] = []

    def make() -> ImapMailbox:
        box = ImapMailbox("board", dovecot.host, dovecot.port, username=dovecot.user, password=dovecot.password,
                          security="plain", timeout=10)
        boxes.append(box)
        return box

    yield make
    for box in boxes:
        box.close()


def test_interrupt_ends_an_idle_wait_at_once(dovecot, make_box):
    box = make_box()
    list(box.fetch_new())
    result: list[bool] = []
    waiter = threading.Thread(target=lambda: result.append(box.wait(60.0)))
    waiter.start()
    time.sleep(0.5)  # in IDLE by now
    asked = time.monotonic()
    box.interrupt()
    waiter.join(30)
    assert not waiter.is_alive() and result == [False]
    assert time.monotonic() - asked < 10.0  # not the 60 s timeout
    dovecot.deliver(raw_message(1))
    assert box.wait(30.0) is True  # the interruption was used up: the next wait waits for mail


def test_moving_messages_another_session_moved_first_is_quiet(dovecot, make_box):
    for n in (1, 2, 3):
        dovecot.deliver(raw_message(n))
    ours, theirs = make_box(), make_box()
    got = list(ours.fetch_new())
    [second] = [m for m in list(theirs.fetch_new()) if m.ref.uid == got[1].ref.uid]
    theirs.move(second.ref, Folder.PROCESSED)  # a person, or an instance that lost the board
    ours.move_many([(m.ref, Folder.PROCESSED) for m in got])  # raises nothing
    ours.move(got[1].ref, Folder.PROCESSED)  # one at a time too
    assert dovecot.folder_uids("INBOX") == []
    assert len(dovecot.folder_uids(Folder.PROCESSED.value)) == 3


def test_a_graph_poll_sleep_ends_at_once_on_interrupt():
    from mailbot.mailbox.graph import GraphMailbox

    box = GraphMailbox("graph:test", object(), poll_interval=60.0)  # the wait needs no client
    waiter = threading.Thread(target=box.wait, args=(60.0,))
    waiter.start()
    time.sleep(0.2)
    box.interrupt()
    waiter.join(10)
    assert not waiter.is_alive()  # not the 60 s poll


def test_an_exchange_poll_sleep_ends_at_once_on_interrupt():
    from mailbot.mailbox.exchange import ExchangeMailbox

    box = ExchangeMailbox("board", object(), poll_interval=60.0)
    waiter = threading.Thread(target=box.wait, args=(60.0,))
    waiter.start()
    time.sleep(0.2)
    box.interrupt()
    waiter.join(10)
    assert not waiter.is_alive()  # not the 60 s poll
