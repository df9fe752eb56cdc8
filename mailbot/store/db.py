"""Opening the database, upgrading its schema, and the one transaction helper.

SQLite (a file in the data folder) by default; any SQLAlchemy URL, such as
PostgreSQL, by setting. The schema is managed by Alembic and upgraded when
the daemon starts, so a new release never needs a manual step.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from mailbot.errors import MailbotError

log = logging.getLogger("mailbot.store")
_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class StoreError(MailbotError):
    """The database could not be opened or upgraded."""


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def make_engine(url: str) -> Engine:
    """An engine with the settings mailbot relies on.

    SQLite gets WAL (readers never block the daemon), a busy timeout and
    foreign keys; the file is created owner-only.
    """
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            old = os.umask(0o077)
            try:
                path.touch()
            finally:
                os.umask(old)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=FULL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (safe to call every start)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.attributes["connection"] = None
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except SQLAlchemyError as err:
        raise StoreError(f"cannot upgrade the database schema: {type(err).__name__}") from err


class Store:
    """The database handle passed around: sessions and transactions."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def upgrade(self) -> None:
        upgrade(self.engine)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commits whole on success, rolls back whole on error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def session(self) -> Session:
        """A session for reading (the caller closes it)."""
        return self._sessions()

    def dispose(self) -> None:
        self.engine.dispose()


def open_store(url: str, upgrade_schema: bool = True) -> Store:
    store = Store(url)
    if upgrade_schema:
        store.upgrade()
    return store
