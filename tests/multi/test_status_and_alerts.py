"""Who holds each board (``mailbot status``), and the alert when nobody has for too long."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from mailbot.cli import main
from mailbot.store.leases import Leases
from mailbot.store.models import BoardLease, OutboxMail
from mailbot.workflow.unheld import ALERT_ENV, alert_unheld


def test_status_names_the_holder_and_its_heartbeat_or_since_when_nobody(store, tmp_path, capsys, monkeypatch):
    Leases(store, ttl=30, name="mailbot-a:41:123.abc").acquire(["west-sussex"])
    gone = Leases(store, ttl=30, name="mailbot-b:7:123.def")
    [hold] = gone.acquire(["swindon"])
    gone.release(hold)
    code = main(["--data-dir", str(tmp_path / "data"), "--database-url", store.url, "status"])
    out = capsys.readouterr().out
    assert code == 0
    assert "  held by mailbot-a pid 41, last heartbeat" in out
    assert "  held by nobody since" in out and "(last: released)" in out
    assert "  held by nobody yet (no instance has run it)" in out  # the third shipped board


def test_a_board_unheld_too_long_alerts_the_admins_once_from_an_instance_that_sees_it(
        store, maildir_runtime, monkeypatch):
    monkeypatch.setenv(ALERT_ENV, "60")
    mine = Leases(store, ttl=30, name="mailbot-a:41:123.abc")
    mine.acquire([maildir_runtime.slug])
    dead = Leases(store, ttl=30, name="mailbot-b:7:123.def")
    dead.acquire(["swindon"])
    assert alert_unheld(mine, [maildir_runtime]) == 0  # held, by a process that may still be alive
    with store.transaction() as s:  # its last heartbeat was ten minutes ago
        s.execute(update(BoardLease).where(BoardLease.board == "swindon").values(
            expires_at=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(minutes=10)))
    assert alert_unheld(mine, [maildir_runtime]) == 1
    assert alert_unheld(mine, [maildir_runtime]) == 0  # once per stretch, whichever instance looks
    with store.session() as s:
        [alert] = s.scalars(select(OutboxMail).where(OutboxMail.kind == "alert")).all()
    cfg = maildir_runtime.board.config
    assert set(alert.recipients) == {p.email for p in [*cfg.admins, *cfg.business_managers]}
    assert "swindon" in alert.subject and alert.board == maildir_runtime.slug
    [again] = Leases(store, ttl=30, name="mailbot-c:9:123.fff").acquire(["swindon"])  # taken again
    with store.session() as s:
        assert s.get(BoardLease, "swindon").alerted_at is None
