"""The outbox under crashes and outages: claims, resends, leftovers, backoff.

Real SMTP (aiosmtpd) and the suite's database; the outage tests stop and
start a PostgreSQL server of their own.
"""

from __future__ import annotations

import datetime as dt
import email
import uuid
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from sqlalchemy import event, select

from mailbot.outbound import outbox
from mailbot.outbound.smtp import SmtpSender
from mailbot.store.db import StoreUnavailable, open_store
from mailbot.store.models import AuditEntry, OutboxMail

pytestmark = pytest.mark.timeout(120)
NOW = dt.datetime(2026, 2, 16, 9, 0, tzinfo=dt.timezone.utc)
BOARD = "west-sussex"


def _email(n: int, bcc: str | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "WSSCB Mailbox <lscb@westsussex-scb.example>"
    msg["To"] = f"agency{n}@police.example"
    if bcc:
        msg["Bcc"] = bcc
    msg["Subject"] = f"Scoping request {n} [WS-2026-0007]"
    msg["Message-ID"] = make_msgid(idstring=f"out{n}", domain="westsussex-scb.example")
    msg.set_content(f"Fictional outgoing email {n}.\n")
    return msg


def _queue(store, count: int, **kw) -> list[EmailMessage]:  # noqa: ANN001
    messages = [_email(n, **kw) for n in range(count)]
    with store.transaction() as s:
        for n, msg in enumerate(messages):
            outbox.queue(s, board=BOARD, kind="scoping_request", dedupe_key=f"t:{uuid.uuid4()}:{n}",
                         message=msg, now=NOW)
    return messages


def _statuses(store) -> list[str]:  # noqa: ANN001
    with store.session() as s:
        return list(s.scalars(select(OutboxMail.status).order_by(OutboxMail.id)))


def _ids(smtp_server) -> list[str]:  # noqa: ANN001
    return [email.message_from_bytes(m.raw, policy=policy.default)["Message-ID"].strip() for m in smtp_server.received()]


@pytest.fixture
def sender(smtp_server):
    s = SmtpSender(smtp_server.host, smtp_server.port, security="plain", timeout=10)
    yield s
    s.close()


def test_a_batch_is_claimed_in_one_commit_and_sent_as_stored(store, smtp_server, sender):
    messages = _queue(store, 3, bcc="hidden@lscb.example")
    with store.session() as s:
        stored = list(s.scalars(select(OutboxMail.raw).order_by(OutboxMail.id)))
    updates: list[str] = []
    event.listen(store.engine, "before_cursor_execute",
                 lambda _c, _cur, sql, *_a: updates.append(sql) if sql.startswith("UPDATE outbox") else None)
    assert outbox.deliver_pending(store, sender, BOARD, NOW) == (3, 0)
    # One claim for the batch, then the "sent" marks: with the sent journal noting each email
    # as the server takes it, in one commit; without one, a commit per email.
    from mailbot.outbound.journal import journal_for

    assert len(updates) == 1 + (1 if journal_for(store.url) is not None else 3)
    got = smtp_server.received()
    assert [m.raw.rstrip(b"\r\n") for m in got] == [raw.rstrip(b"\r\n") for raw in stored]  # not re-parsed
    assert all(b"hidden@" not in raw for raw in stored)  # Bcc is an envelope matter only
    assert got[0].rcpt_tos == ["agency0@police.example", "hidden@lscb.example"]
    assert _ids(smtp_server) == [m["Message-ID"] for m in messages]
    assert _statuses(store) == ["sent"] * 3
    if store.engine.dialect.name == "sqlite":  # the quick "sent" commits stay in deliver_pending
        conns = [store.engine.connect() for _ in range(4)]
        assert [c.exec_driver_sql("PRAGMA synchronous").scalar() for c in conns] == [2] * 4  # FULL
        for c in conns:
            c.close()


def test_two_deliverers_never_send_the_same_row(store, smtp_server, sender):
    _queue(store, 3)
    seen: list[tuple[int, int]] = []

    class Racing:
        """Hands over, but first lets a second deliverer (the scheduler's tick) try its luck."""

        def send_raw(self, raw: bytes, recipients: list[str]) -> None:
            if not seen:
                seen.append(outbox.deliver_pending(store, sender, BOARD, NOW))
            sender.send_raw(raw, recipients)

        def close(self) -> None:
            pass

    assert outbox.deliver_pending(store, Racing(), BOARD, NOW) == (3, 0)
    assert seen == [(0, 0)]  # every row was claimed by the first
    assert len(smtp_server.received()) == 3


def test_a_crash_after_the_server_accepted_resends_with_the_same_message_id(store, smtp_server, sender):
    [msg] = _queue(store, 1)
    [claimed] = outbox._claim(store, BOARD, NOW.replace(tzinfo=None), 10)
    sender.send_raw(claimed.raw, claimed.recipients)  # accepted ... and the daemon dies before its commit
    assert _statuses(store) == ["sending"]

    assert outbox.recover_interrupted(store, BOARD, NOW) == 1  # the next start
    assert outbox.deliver_pending(store, sender, BOARD, NOW) == (1, 0)
    assert _ids(smtp_server) == [msg["Message-ID"]] * 2  # at least once, one Message-ID
    with store.session() as s:
        assert s.scalar(select(AuditEntry.action).where(AuditEntry.action == "send_retry_after_crash"))



def test_a_crash_while_the_sent_mark_waits_does_not_send_again(store, smtp_server, sender, monkeypatch,
                                                              tmp_path):
    """The server took the email and the process died before its "sent" mark was committed
    (on SQLite it waits for the board loop's commit; on PostgreSQL it is a synchronous round
    trip). The sent journal noted it the moment the server took it, so the next start marks
    it sent instead of sending it again."""
    from sqlalchemy.engine import Connection

    from mailbot.outbound import journal

    journal.register(store.url, tmp_path)  # as build_runtime does (used by PostgreSQL)
    [msg] = _queue(store, 1)

    class Killed(BaseException):
        pass

    original = Connection.execute

    def dies_at_the_mark(self, statement, *args, **kwargs):  # noqa: ANN001, ANN202
        text = str(statement)
        if text.startswith("UPDATE outbox") and "sent_at" in text:
            raise Killed
        return original(self, statement, *args, **kwargs)

    monkeypatch.setattr(Connection, "execute", dies_at_the_mark)
    with pytest.raises(Killed):
        outbox.deliver_pending(store, sender, BOARD, NOW)
    monkeypatch.undo()
    outbox._STATE.clear()  # the process is gone, and what it knew with it
    assert _statuses(store) == ["sending"]

    assert outbox.recover_interrupted(store, BOARD, NOW) == 0  # the next start: nothing to send again
    assert outbox.deliver_pending(store, sender, BOARD, NOW) == (0, 0)
    assert _statuses(store) == ["sent"]
    assert _ids(smtp_server) == [msg["Message-ID"]]  # once
    with store.session() as s:
        assert s.scalar(select(AuditEntry.action).where(AuditEntry.action == "sent_confirmed_after_crash"))
    assert journal.journal_for(store.url).taken(BOARD) == {}


def test_a_transient_failure_holds_the_rest_of_the_batch_in_order(store, smtp_server, sender):
    _queue(store, 3)
    smtp_server.defer = {"agency0@police.example"}
    assert outbox.deliver_pending(store, sender, BOARD, NOW) == (0, 0)
    with store.session() as s:
        rows = s.execute(select(OutboxMail.status, OutboxMail.attempts, OutboxMail.next_attempt_at)
                         .order_by(OutboxMail.id)).all()
    assert [r.status for r in rows] == ["pending"] * 3
    assert [r.attempts for r in rows] == [1, 0, 0]  # the others were never tried
    assert rows[0].next_attempt_at is not None and {r.next_attempt_at for r in rows} == {rows[0].next_attempt_at}
    assert outbox.server_unwell(store, BOARD, NOW)
    wait = outbox.seconds_to_next_retry(store, BOARD, NOW)
    assert wait == pytest.approx(outbox.RETRY_BASE_SECONDS * 2)

    smtp_server.defer = set()
    assert outbox.deliver_pending(store, sender, BOARD, NOW) == (0, 0)  # not due yet
    later = NOW + dt.timedelta(seconds=wait + 1)
    assert outbox.deliver_pending(store, sender, BOARD, later) == (3, 0)
    assert [m.rcpt_tos for m in smtp_server.received()] == [[f"agency{n}@police.example"] for n in range(3)]
    assert not outbox.server_unwell(store, BOARD, later)
    assert outbox.seconds_to_next_retry(store, BOARD, later) is None


def test_a_restarted_smtp_server_costs_no_retry(smtp_server, sender):
    """A connection that died while idle is found dead at MAIL, before DATA: replaced at once."""
    sender.send(_email(1), ["agency1@police.example"])
    smtp_server.stop()
    smtp_server.start()
    sender.send_raw(bytes(_email(2)).replace(b"\n", b"\r\n"), ["agency2@police.example"])
    assert len(smtp_server.received()) == 2


# ----------------------------------------------------------- the database going away


@pytest.fixture
def pg_store(pg_cluster):
    pg_cluster.start()
    store = open_store(pg_cluster.create_database(f"outbox_{uuid.uuid4().hex[:12]}"))
    yield store
    store.dispose()
    pg_cluster.start()  # a test may leave it stopped


def test_a_database_outage_mid_batch_loses_nothing_and_resends_nothing(pg_store, pg_cluster, smtp_server, sender):
    messages = _queue(pg_store, 3)

    class DatabaseDiesAfterSecond:
        def __init__(self) -> None:
            self.calls = 0

        def send_raw(self, raw: bytes, recipients: list[str]) -> None:
            sender.send_raw(raw, recipients)
            self.calls += 1
            if self.calls == 2:
                pg_cluster.stop("immediate")  # the server took it; our commit cannot follow

        def close(self) -> None:
            pass

    with pytest.raises(StoreUnavailable):
        outbox.deliver_pending(pg_store, DatabaseDiesAfterSecond(), BOARD, NOW)
    pg_cluster.start()
    assert outbox.deliver_pending(pg_store, sender, BOARD, NOW) == (1, 0)  # only the third goes now
    assert _ids(smtp_server) == [m["Message-ID"] for m in messages]  # each exactly once
    assert _statuses(pg_store) == ["sent"] * 3


def test_within_a_pass_a_database_failure_sticks(pg_store, pg_cluster):
    with pg_store.transaction() as s:
        s.add(AuditEntry(board=BOARD, at=NOW.replace(tzinfo=None), actor="test", action="before"))
    with pg_store.fail_fast():
        pg_cluster.stop("fast")
        assert not pg_store.ping()
        with pytest.raises(StoreUnavailable), pg_store.transaction() as s:
            s.scalar(select(AuditEntry.id))
        pg_cluster.start()
        with pytest.raises(StoreUnavailable, match="earlier in this pass"), pg_store.transaction() as s:
            s.scalar(select(AuditEntry.id))  # back already, but not for this pass
    with pg_store.transaction() as s:  # the next pass
        assert s.scalar(select(AuditEntry.action)) == "before"
    assert pg_store.ping()


def test_an_outage_of_our_own_server_never_fails_an_email(store, smtp_server, sender):
    """However often the sending server is unreachable, the email waits (with a growing
    backoff) and goes when the server is back: only the email's own rejections count."""
    from tests.plugins.ports import free_port

    [msg] = _queue(store, 1)
    down = SmtpSender("127.0.0.1", free_port(), security="plain", timeout=2)  # nothing listens there
    t, waits = NOW, []
    try:
        for _ in range(outbox.MAX_ATTEMPTS + 5):
            assert outbox.deliver_pending(store, down, BOARD, t) == (0, 0)
            waits.append(outbox.seconds_to_next_retry(store, BOARD, t))
            t += dt.timedelta(seconds=waits[-1] + 1)
    finally:
        down.close()
    with store.session() as s:
        row = s.scalar(select(OutboxMail))
        assert (row.status, row.attempts) == ("pending", 0) and "unreachable" in row.last_error
    assert waits[0] == pytest.approx(outbox.RETRY_BASE_SECONDS * 2)
    assert waits == sorted(waits) and waits[-1] == pytest.approx(3600.0)  # backs off to an hour, no further
    assert outbox.deliver_pending(store, sender, BOARD, t) == (1, 0)
    assert _ids(smtp_server) == [msg["Message-ID"]]
    # The next outage starts its backoff afresh.
    _queue(store, 1)
    assert outbox.deliver_pending(store, down, BOARD, t) == (0, 0)
    assert outbox.seconds_to_next_retry(store, BOARD, t) == pytest.approx(outbox.RETRY_BASE_SECONDS * 2)


def test_an_email_the_server_keeps_deferring_fails_after_its_attempts(store, smtp_server, sender):
    _queue(store, 1)
    smtp_server.defer = {"agency0@police.example"}
    t = NOW
    for _ in range(outbox.MAX_ATTEMPTS):
        sent, failed = outbox.deliver_pending(store, sender, BOARD, t)
        t += dt.timedelta(hours=2)
    assert (sent, failed) == (0, 1)
    assert _statuses(store) == ["failed"]
