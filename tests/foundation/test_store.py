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
import mailbot.store.review_models  # noqa: F401  (the stage-2 tables)


def test_migrations_create_exactly_the_models(database_url):
    """The migrations, run from nothing, make the models' schema: so an empty database
    may be given the models' tables and stamped at HEAD instead (``db.upgrade``)."""
    from mailbot.store.db import HEAD, make_engine, migrate, schema_version

    engine = make_engine(database_url)
    migrate(engine)
    assert schema_version(engine) == HEAD
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []


def test_an_empty_database_is_created_at_head(store):
    from mailbot.store.db import HEAD, schema_version

    assert schema_version(store.engine) == HEAD
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_an_older_database_is_migrated(database_url):
    """A database at an earlier migration (a board upgrading mailbot) goes through alembic."""
    from alembic import command
    from alembic.config import Config

    from mailbot.store import db

    engine = db.make_engine(database_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(db._MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")
    assert db.schema_version(engine) == "0002"
    engine.dispose()
    s = open_store(database_url)
    assert db.schema_version(s.engine) == db.HEAD
    with s.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    s.dispose()


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


def test_head_is_the_newest_migration():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from mailbot.store import db

    cfg = Config()
    cfg.set_main_option("script_location", str(db._MIGRATIONS))
    assert ScriptDirectory.from_config(cfg).get_heads() == [db.HEAD]


def test_a_new_or_current_database_is_opened_without_alembic(database_url):
    """Creating a database, and restarting on a current one, do not load alembic (memory)."""
    import subprocess
    import sys

    from mailbot.store.db import HEAD, schema_version

    code = ("import sys; from mailbot.store.db import open_store; "
            f"open_store({database_url!r}).dispose(); print('alembic' in sys.modules)")
    repo = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
    for _first_then_again in range(2):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=repo)
        assert out.stdout.strip() == "False"
    s = open_store(database_url)
    assert schema_version(s.engine) == HEAD
    s.dispose()
