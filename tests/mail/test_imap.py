"""ImapMailbox against a real Dovecot on loopback."""

from __future__ import annotations

import email
import threading
import time
from email import policy

import pytest

from mailbot.errors import MailboxAuthError, MailboxError
from mailbot.mailbox.base import Folder, Mailbox
from mailbot.mailbox.imap import ImapMailbox
from mailbot.mailbox.oauth import StaticTokenProvider

from .helpers import raw_message

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def make_box(dovecot):
    boxes: list[ImapMailbox] = []

    def make(**kw) -> ImapMailbox:
        kw.setdefault("password", None if "token_provider" in kw else dovecot.password)
        box = ImapMailbox("board", dovecot.host, dovecot.port, username=dovecot.user,
                          security="plain", timeout=10, **kw)
        boxes.append(box)
        return box

    yield make
    for box in boxes:
        box.close()


def _subjects(messages) -> list[str]:
    return [email.message_from_bytes(m.raw, policy=policy.default)["Subject"] for m in messages]


def test_fetch_oldest_first_unseen_then_move(dovecot, make_box):
    for n in (1, 2, 3):
        dovecot.deliver(raw_message(n))
    box = make_box(batch_size=2)  # two FETCH batches
    assert isinstance(box, Mailbox)

    got = list(box.fetch_new())
    assert _subjects(got) == ["Referral form 1", "Referral form 2", "Referral form 3"]
    assert [m.ref.uid for m in got] == ["1", "2", "3"]
    assert {m.ref.uidvalidity for m in got} == {str(box.uidvalidity)}
    assert box.last_success is not None
    for uid in (1, 2, 3):
        assert "\\Seen" not in dovecot.flags("INBOX", uid)

    box.move(got[0].ref, Folder.PROCESSED)
    box.move(got[1].ref, Folder.NEEDS_ATTENTION)
    box.move(got[2].ref, Folder.PROCESSED)
    box.move(got[2].ref, Folder.PROCESSED)  # idempotent
    assert list(box.fetch_new()) == []
    assert dovecot.folder_uids("INBOX") == []
    assert len(dovecot.folder_uids("processed")) == 2
    assert len(dovecot.folder_uids("needs-attention")) == 1


def test_limit_and_resume_from_checkpoint(dovecot, make_box):
    for n in (1, 2, 3, 4):
        dovecot.deliver(raw_message(n))
    box = make_box()
    first = list(box.fetch_new(limit=2))
    assert _subjects(first) == ["Referral form 1", "Referral form 2"]
    rest = list(box.fetch_new(after=first[-1].ref))
    assert _subjects(rest) == ["Referral form 3", "Referral form 4"]
    assert list(box.fetch_new(after=rest[-1].ref)) == []  # "5:*" would match UID 4 on the wire


def test_uidvalidity_change_rescans_and_refuses_stale_moves(dovecot, make_box):
    for n in (1, 2):
        dovecot.deliver(raw_message(n))
    box = make_box()
    got = list(box.fetch_new())
    old_validity = box.uidvalidity
    box.close()

    dovecot.set_uidvalidity(old_validity + 1000)
    box = make_box()
    again = list(box.fetch_new(after=got[-1].ref))  # checkpoint from the old UIDVALIDITY
    assert box.uidvalidity == old_validity + 1000
    assert _subjects(again) == ["Referral form 1", "Referral form 2"]
    box.move(got[0].ref, Folder.PROCESSED)  # stale ref: must not move whatever has UID 1 now
    assert len(dovecot.folder_uids("INBOX")) == 2
    box.move_many([(m.ref, Folder.PROCESSED) for m in got])  # nor in a batch
    assert len(dovecot.folder_uids("INBOX")) == 2


def test_polling_pass_sees_mail_delivered_since_the_last_command(dovecot, make_box):
    """Without IDLE (a polling server) the next pass must find new mail, not the one after."""
    box = make_box()
    assert list(box.fetch_new()) == []  # the inbox is selected and searched
    dovecot.deliver(raw_message(8))  # by another session, as the MTA does
    got = list(box.fetch_new())
    assert _subjects(got) == ["Referral form 8"]
    dovecot.deliver(raw_message(9))
    assert _subjects(box.fetch_new(after=got[-1].ref)) == ["Referral form 9"]


def test_idle_wakes_on_delivery(dovecot, make_box):
    box = make_box()
    assert list(box.fetch_new()) == []
    assert box.wait(0.5) is False
    timer = threading.Timer(0.5, dovecot.deliver, args=(raw_message(7),))
    timer.start()
    try:
        assert box.wait(60) is True
    finally:
        timer.join()
    assert _subjects(box.fetch_new()) == ["Referral form 7"]


def test_idle_sees_mail_that_arrived_just_before_it(dovecot, make_box):
    """Dovecot may send the EXISTS in the same packet as "+ idling": it sits in
    imaplib's read buffer, where polling the socket never sees it."""
    box = make_box()
    assert list(box.fetch_new()) == []
    for n in range(5):
        dovecot.deliver(raw_message(20 + n))
        assert box.wait(10) is True
        (got,) = box.fetch_new()
        box.move(got.ref, Folder.PROCESSED)


def test_idle_off_polls_at_the_configured_interval(dovecot, make_box):
    slept: list[float] = []
    box = make_box(use_idle=False, poll_interval=42.0, sleep=slept.append)
    assert list(box.fetch_new()) == []
    dovecot.deliver(raw_message(30))
    assert box.wait(600) is False  # no IDLE: it sleeps one poll interval, then the pass fetches
    assert slept == [42.0]
    assert _subjects(box.fetch_new()) == ["Referral form 30"]


def test_reconnects_after_server_restart_mid_idle(dovecot, make_box):
    delays: list[float] = []

    def sleep(seconds: float) -> None:
        delays.append(seconds)
        if len(delays) == 2:  # down for two attempts, then back
            dovecot.start()

    box = make_box(sleep=sleep, backoff_initial=1.0, backoff_max=8.0)
    dovecot.deliver(raw_message(1))
    [first] = box.fetch_new()
    box.move(first.ref, Folder.PROCESSED)

    result: list[bool] = []
    idler = threading.Thread(target=lambda: result.append(box.wait(60)))
    idler.start()
    dovecot.stop()  # kills the IDLE connection
    idler.join(timeout=60)
    assert result == [True]  # a drop wakes the caller

    dovecot.deliver_offline(raw_message(2))
    got = list(box.fetch_new())  # down: backs off, reconnects when it is back
    assert _subjects(got) == ["Referral form 2"]
    assert len(delays) == 2
    assert 0.5 <= delays[0] <= 1.0 and 1.0 <= delays[1] <= 2.0  # exponential, jittered
    box.move(got[0].ref, Folder.PROCESSED)
    assert list(box.fetch_new()) == []


def test_gives_up_with_mailbox_error_when_server_stays_down(dovecot, make_box):
    box = make_box(sleep=lambda s: None, max_attempts=3)
    dovecot.stop()
    with pytest.raises(MailboxError) as info:
        list(box.fetch_new())
    assert not isinstance(info.value, MailboxAuthError)


def test_wrong_password_raises_auth_error_without_retry(dovecot, make_box):
    slept: list[float] = []
    box = make_box(password="wrong", sleep=slept.append)
    with pytest.raises(MailboxAuthError):
        list(box.fetch_new())
    assert slept == []


def test_xoauth2_sign_in(dovecot, make_box):
    # The test Dovecot checks an XOAUTH2 bearer token like a password.
    box = make_box(token_provider=StaticTokenProvider(dovecot.password))
    dovecot.deliver(raw_message(1))
    assert _subjects(box.fetch_new()) == ["Referral form 1"]
    bad = make_box(token_provider=StaticTokenProvider("expired-token"))
    with pytest.raises(MailboxAuthError):
        list(bad.fetch_new())


def test_insecure_settings_refused_off_loopback():
    with pytest.raises(MailboxError):
        ImapMailbox("board", "imap.lscb.example", username="u", password="p", security="plain")
    with pytest.raises(MailboxError):
        ImapMailbox("board", "imap.lscb.example", username="u", password="p", security="starttls")
    ImapMailbox("board", "imap.lscb.example", username="u", password="p")  # tls: fine, no I/O yet
    ImapMailbox("board", "imap.lscb.example", username="u", password="p", security="plain",
                allow_insecure=True)


def test_move_many_moves_each_folder_in_one_command(dovecot, make_box, monkeypatch):
    for n in (1, 2, 3, 4):
        dovecot.deliver(raw_message(n))
    box = make_box()
    got = list(box.fetch_new())
    client = box._run(lambda c: c)
    commands: list[tuple[list[int], str]] = []
    real_move = client.move
    monkeypatch.setattr(client, "move", lambda uids, folder: (commands.append((list(uids), folder)),
                                                              real_move(uids, folder))[1])
    box.move_many([(got[0].ref, Folder.PROCESSED), (got[1].ref, Folder.NEEDS_ATTENTION),
                   (got[2].ref, Folder.PROCESSED), (got[3].ref, Folder.PROCESSED)])
    assert commands == [([1, 3, 4], "processed"), ([2], "needs-attention")]
    assert dovecot.folder_uids("INBOX") == []
    assert len(dovecot.folder_uids("processed")) == 3
    assert len(dovecot.folder_uids("needs-attention")) == 1
    box.move_many([(got[0].ref, Folder.PROCESSED)])  # already moved: nothing happens, no error
    assert len(dovecot.folder_uids("processed")) == 3



@pytest.mark.parametrize("mover", ["move", "move_many"])
def test_idle_sees_mail_reported_during_a_move(dovecot, make_box, mover):
    """Mail that arrives while the daemon moves the last message is announced in the MOVE's
    own response, and IDLE never announces it again: the wait must see it was reported."""
    dovecot.deliver(raw_message(1))
    box = make_box()
    (first,) = box.fetch_new()
    dovecot.deliver(raw_message(2))  # lands before the MOVE: the server reports it there
    if mover == "move":
        box.move(first.ref, Folder.PROCESSED)
    else:
        box.move_many([(first.ref, Folder.PROCESSED)])
    started = time.monotonic()
    assert box.wait(60) is True
    assert time.monotonic() - started < 30  # seen as reported, not left to the wait's end
    assert _subjects(box.fetch_new(after=first.ref)) == ["Referral form 2"]
    assert box.wait(0.5) is False  # reported once, not again
