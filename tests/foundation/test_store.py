"""The store: migrations reach the models, transactions commit or roll back whole."""

from __future__ import annotations

import datetime as dt
import os
import stat

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from mailbot.store.db import open_store
from mailbot.store.models import AuditEntry, Base, Case, OutboxMail
import mailbot.store.approvals_models  # noqa: F401  (the drafts table)


def test_migrations_create_exactly_the_models(store):
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_upgrade_is_idempotent(database_url):
    open_store(database_url).dispose()
    s = open_store(database_url)  # a restart upgrades again: nothing to do, nothing lost
    with s.transaction() as t:
        t.add(AuditEntry(board="b", at=dt.datetime(2026, 1, 1), actor="test", action="x"))
    s.dispose()
    s = open_store(database_url)
    with s.session() as t:
        assert t.scalar(select(AuditEntry.action)) == "x"
    s.dispose()


def test_transaction_rolls_back_whole(store):
    now = dt.datetime(2026, 1, 1)
    with pytest.raises(RuntimeError):
        with store.transaction() as s:
            s.add(Case(board="b", reference="B-2026-0001", year=2026, seq=1, stage="scoping", opened_at=now))
            s.flush()
            raise RuntimeError("boom")
    with store.session() as s:
        assert s.scalars(select(Case)).all() == []


def test_outbox_dedupe_key_is_unique(store):
    row = dict(board="b", kind="k", recipients=["a@x.example"], subject="s", raw=b"x",
               created_at=dt.datetime(2026, 1, 1))
    with store.transaction() as s:
        s.add(OutboxMail(dedupe_key="same", message_id="<1@x.example>", **row))
    with pytest.raises(IntegrityError):
        with store.transaction() as s:
            s.add(OutboxMail(dedupe_key="same", message_id="<2@x.example>", **row))


def test_sqlite_file_is_owner_only(tmp_path):
    s = open_store(f"sqlite:///{tmp_path / 'db' / 'm.db'}")
    s.dispose()
    mode = stat.S_IMODE(os.stat(tmp_path / "db" / "m.db").st_mode)
    assert mode & 0o077 == 0
