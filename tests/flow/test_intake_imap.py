"""Stage 1 over a real Dovecot (IMAP) and a real SMTP server (aiosmtpd).

The same sample mail as the Maildir flow, but through the transports a
board really uses: the daemon reads the board mailbox over IMAP, moves each
message to its folder there, and sends through SMTP.
"""

from __future__ import annotations

import email
import threading
import time
from email import policy

import pytest
from sqlalchemy import func, select

from mailbot.config import ImapMailbox, SmtpSending
from mailbot.daemon import drain, run_board
from mailbot.errors import MailboxError
from mailbot.inbound.pipeline import handle_message
from mailbot.runtime import build_runtime
from mailbot.demo.seed import load_state
from mailbot.store.models import Case, MessageSeen, ScopingRequest
from tests.conftest import SAMPLES
from tests.flow.conftest import sample_emails


@pytest.fixture
def imap_board(ws_board, dovecot, smtp_server, monkeypatch):
    monkeypatch.setenv("MAILBOT_TEST_IMAP_PASSWORD", dovecot.password)
    cfg = ws_board.config.model_copy(update={
        "mailbox": ImapMailbox(kind="imap", host=dovecot.host, port=dovecot.port, username=dovecot.user,
                               password={"env": "MAILBOT_TEST_IMAP_PASSWORD"}, security="plain"),
        "sending": SmtpSending(kind="smtp", host=smtp_server.host, port=smtp_server.port, security="plain"),
    })
    ws_board.config = cfg
    return ws_board


@pytest.fixture
def imap_runtime(imap_board, store, tmp_path, clock):
    rt = build_runtime(imap_board, store, tmp_path / "data", clock)
    yield rt
    rt.close()


def _received(smtp_server):
    return [(m.rcpt_tos, email.message_from_bytes(m.raw, policy=policy.default)) for m in smtp_server.received()]


def _wait_for(predicate, timeout=30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_samples_through_dovecot_and_smtp(imap_runtime, dovecot, smtp_server):
    rt = imap_runtime
    load_state(rt, SAMPLES / "emails" / "bot-state.json", SAMPLES)
    for _name, _meta, raw in sample_emails():
        dovecot.deliver(raw)
    while drain(rt).handled:
        pass
    assert dovecot.folder_uids("INBOX") == []
    with rt.store.session() as s:
        held = s.scalar(select(func.count()).select_from(MessageSeen).where(MessageSeen.outcome == "needs-attention"))
        assert s.scalar(select(func.count()).select_from(MessageSeen)) == 14
        new_case = s.scalar(select(Case).where(Case.reference == "WS-2026-0002"))
        police = s.scalar(select(ScopingRequest).where(ScopingRequest.case_id == 1, ScopingRequest.agency == "Sussex Police"))
        assert police.status == "returned"
    assert len(dovecot.folder_uids("needs-attention")) == held
    assert len(dovecot.folder_uids("processed")) == 14 - held

    sent = _received(smtp_server)
    by_kind: dict[str, list] = {}
    for rcpts, msg in sent:
        by_kind.setdefault(msg["X-Mailbot-Kind"], []).append((rcpts, msg))
    assert all(m["From"] == "WSSCB Mailbox <lscb@westsussex-scb.example>" for _r, m in sent)
    assert all(m["Auto-Submitted"] == "auto-generated" for _r, m in sent)
    assert all(r == [] or "[WS-2026-" in m["Subject"] or m["X-Mailbot-Kind"] == "notice" for r, m in sent)
    acks = by_kind["acknowledgement"]
    assert [r for r, _m in acks] == [["harvey.radcliffe@childrens.westsussex-cc.example"],
                                     ["liam.farrant@childrens.westsussex-cc.example"]]
    requests = by_kind["scoping_request"]
    assert len(requests) == 16  # eight agencies for each of the two new cases
    first_case = [m for _r, m in requests if "[WS-2026-0002]" in m["Subject"]]
    assert sorted(r[0] for r, m in requests if "[WS-2026-0002]" in m["Subject"]) == sorted(
        a.scoping_contacts[0].email for a in rt.board.config.agencies)
    assert all(m["Message-ID"].endswith(".ws-2026-0002@westsussex-scb.example>") for m in first_case)
    assert {tuple(r) for r, _m in by_kind["thanks"]} == {
        ("dsl@downland-academy.example",), ("public.protection.reviews@police.sussex.example",),
        ("safeguarding.children@coastalsussex-nhs.example",)}
    for _r, m in by_kind["thanks"]:
        assert m["In-Reply-To"] and m["In-Reply-To"] in m["References"]
    every = {a for r, _m in sent for a in r}
    assert "manager@tidemill-nursery.example" not in every
    assert "yjs.reviews@yjs.westsussex-cc.example" not in {a for r, _m in by_kind["thanks"] for a in r}
    assert all(r == ["businessmanager@westsussex-scb.example"] for r, _m in by_kind["notice"])
    # The Chair's replies (09 approves D1, 10 approves D2; 08 rejects, 11/12/13 are refused):
    # exactly two notifications, each once, to exactly their recipients, the Chair copied.
    notes = by_kind["notification"]
    assert len(notes) == 2
    statutory = [r for r, m in notes if "panel@nationalpanel.example" in r]
    assert statutory == [["notifications@ofsted.example", "scr.notifications@dfe.example",
                          "panel@nationalpanel.example", "chair@westsussex-scb.example"]]
    [letter] = [r for r, m in notes if "panel@nationalpanel.example" not in r]
    expected = {a.scoping_contacts[0].email for a in rt.board.config.agencies} | {
        a.senior_manager.email for a in rt.board.config.agencies} | {"chair@westsussex-scb.example"}
    assert set(letter) == expected and len(letter) == len(expected)
    assert all(m["Cc"] and "chair@westsussex-scb.example" in m["Cc"] for _r, m in notes)
    assert all(any(p.get_filename() for p in m.iter_attachments()) for _r, m in notes)
    # Nothing twice: run again, the same mail delivered again.
    for _name, _meta, raw in sample_emails():
        dovecot.deliver(raw)
    while drain(rt).handled:
        pass
    assert len(_received(smtp_server)) == len(sent)


def test_daemon_reconnects_after_imap_restart_mid_idle(imap_board, store, tmp_path, clock, dovecot, smtp_server):
    rt = build_runtime(imap_board, store, tmp_path / "data", clock)
    load_state(rt, SAMPLES / "emails" / "bot-state.json", SAMPLES)
    stop = threading.Event()
    worker = threading.Thread(target=run_board, args=(rt, stop, 2.0), daemon=True)
    worker.start()
    try:
        emails = {name: raw for name, _m, raw in sample_emails()}
        dovecot.deliver(emails["06-referral-outlook.eml"])
        assert _wait_for(lambda: sum("Scoping request" in str(m["Subject"]) for _r, m in _received(smtp_server)) == 8)
        dovecot.stop()  # the server goes away while the daemon idles
        dovecot.deliver_offline(emails["03-scoping-return-police.eml"])
        time.sleep(1.0)
        dovecot.start()
        assert _wait_for(lambda: any(m["X-Mailbot-Kind"] == "thanks" for _r, m in _received(smtp_server)), 60)
    finally:
        stop.set()
        worker.join(timeout=30)
        rt.close()
    kinds = [m["X-Mailbot-Kind"] for _r, m in _received(smtp_server)]
    assert kinds.count("thanks") == 1 and kinds.count("acknowledgement") == 1
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(MessageSeen)) == 2


def test_restart_mid_batch_over_imap(imap_board, store, tmp_path, clock, dovecot, smtp_server):
    first = build_runtime(imap_board, store, tmp_path / "data", clock)
    load_state(first, SAMPLES / "emails" / "bot-state.json", SAMPLES)
    for _name, _meta, raw in sample_emails():
        dovecot.deliver(raw)
    batch = list(first.mailbox.fetch_new())
    for incoming in batch[:4]:
        first.mailbox.move(incoming.ref, handle_message(first, incoming))
    handle_message(first, batch[4])  # committed, then the daemon dies before moving it or sending
    first.close()
    second = build_runtime(imap_board, store, tmp_path / "data", clock)  # the restarted daemon
    while drain(second).handled:
        pass
    second.close()
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(MessageSeen)) == 14
    ids = [m["Message-ID"] for _r, m in _received(smtp_server)]
    assert len(ids) == len(set(ids))
    assert dovecot.folder_uids("INBOX") == []


@pytest.mark.parametrize("idle", [True, False])
def test_board_config_chooses_idle_or_polling(imap_board, store, tmp_path, clock, idle):
    box = imap_board.config.mailbox.model_copy(update={"idle": idle, "poll_seconds": 30})
    imap_board.config = imap_board.config.model_copy(update={"mailbox": box})
    rt = build_runtime(imap_board, store, tmp_path / "data", clock)
    try:
        assert (rt.mailbox.use_idle, rt.mailbox.poll_interval) == (idle, 30.0)
    finally:
        rt.close()


def test_moves_are_batched_and_a_failed_move_leaves_them_for_the_next_pass(
        imap_runtime, dovecot, smtp_server, monkeypatch):
    """A pass moves handled mail in batches; the checkpoint follows only what was moved, so a
    move that fails leaves its messages in the inbox for the next pass, which moves them."""
    import mailbot.daemon as daemon

    rt = imap_runtime
    load_state(rt, SAMPLES / "emails" / "bot-state.json", SAMPLES)
    for _name, _meta, raw in sample_emails():
        dovecot.deliver(raw)
    monkeypatch.setattr(daemon, "MOVE_BATCH", 5)
    batches: list[int] = []
    real_move_many = rt.mailbox.move_many

    def failing_second_batch(moves):
        batches.append(len(moves))
        if len(batches) == 2:
            raise MailboxError("the server went away (test)")
        real_move_many(moves)

    monkeypatch.setattr(rt.mailbox, "move_many", failing_second_batch)
    with pytest.raises(MailboxError):
        drain(rt)
    assert batches == [5, 5]
    assert len(dovecot.folder_uids("INBOX")) == 14 - 5
    first_five = rt.checkpoint
    assert first_five is not None and first_five.uid == "5"
    stats = drain(rt)  # the five not moved are offered again: the ledger knows them
    assert stats.handled == 14 - 5 and batches == [5, 5, 5, 4]
    assert dovecot.folder_uids("INBOX") == []
    with rt.store.session() as s:
        assert s.scalar(select(func.count()).select_from(MessageSeen)) == 14
    ids = [m["Message-ID"] for _r, m in _received(smtp_server) if m["Message-ID"]]
    assert len(ids) == len(set(ids))
