"""Opening the database, upgrading its schema, and the one transaction helper.

SQLite (a file in the data folder) by default; any SQLAlchemy URL, such as
PostgreSQL, by setting. The schema is managed by Alembic and upgraded when
the daemon starts, so a new release never needs a manual step.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from pathlib import Path
from typing import Callable, Iterator

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from mailbot.errors import MailbotError

log = logging.getLogger("mailbot.store")
_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class StoreError(MailbotError):
    """The database could not be opened or upgraded."""


class StoreUnavailable(StoreError):
    """The database did not answer (stopped, restarting, unreachable, locked).

    Nothing was committed; the same step can simply be tried again later.
    The daemon waits and retries; it never treats this as a fault of the
    message or the email it was working on.
    """


def is_outage(err: BaseException) -> bool:
    """True for errors that say the database is away rather than the request wrong."""
    if isinstance(err, StoreUnavailable):
        return True
    if isinstance(err, DBAPIError) and err.connection_invalidated:
        return True
    return isinstance(err, (OperationalError, InterfaceError))


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
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=FULL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


#: The newest migration (``migrations/versions``; a test checks they agree).
HEAD = "0007"

#: The PostgreSQL advisory lock that serialises schema changes (any 64-bit key of our own).
SCHEMA_LOCK_KEY = 0x6D61696C626F74  # "mailbot"


def schema_lock(conn: Connection) -> None:
    """Hold the schema lock until ``conn``'s transaction ends (PostgreSQL; SQLite has one writer).

    Several instances started together on one database (``docker compose
    up``) would otherwise all see a table missing and all create it, and
    all but one fail on PostgreSQL's catalogue.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})


def schema_version(engine: Engine) -> str | None:
    """The migration the database is at; None if it has none yet."""
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        return None


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (safe to call every start).

    A database at ``HEAD`` is left as it is. An empty one gets the models'
    tables and is stamped at ``HEAD``, in one transaction: what the
    migrations would make (a test compares the two). Only an older database
    is handed to alembic, which with mako and pygments would cost the daemon
    some 15 MB it keeps for good.
    """
    version = schema_version(engine)
    if version == HEAD:
        return
    try:
        if version is None and _create_empty(engine):
            return
    except SQLAlchemyError as err:
        raise StoreError(f"cannot create the database schema: {type(err).__name__}") from err
    migrate(engine)


def _create_empty(engine: Engine) -> bool:
    """The schema at ``HEAD`` in a database with no tables at all; False if it has some."""
    from sqlalchemy import inspect

    import mailbot.store.approvals_models  # noqa: F401  (registers the drafts table on Base)
    import mailbot.store.review_models  # noqa: F401  (registers the stage-2 tables on Base)
    from mailbot.store.models import Base

    with engine.begin() as conn:
        schema_lock(conn)
        if inspect(conn).get_table_names():
            return False
        Base.metadata.create_all(conn)
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
                          "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"))  # alembic's own
        conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:head)"), {"head": HEAD})
    return True


def migrate(engine: Engine) -> None:
    """Alembic's upgrade to the newest migration, whatever the database holds."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.attributes["connection"] = None
    try:
        with engine.begin() as conn:
            schema_lock(conn)
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
        self._local = threading.local()

    @contextlib.contextmanager
    def fail_fast(self) -> Iterator[None]:
        """Within this block, on this thread, a database failure sticks until the block ends.

        The daemon runs each pass inside one: once a step has seen the
        database fail, every later transaction of the pass raises
        ``StoreUnavailable`` at once instead of trying again, so nothing
        acts on a half-seen failure — in particular a message is never
        set aside as unreadable because the database came back a moment
        after its step failed. The pass ends; the next one starts afresh.
        """
        self._local.scoped, self._local.down = True, False
        try:
            yield
        finally:
            self._local.scoped, self._local.down = False, False

    @contextlib.contextmanager
    def fenced(self, check: Callable[[Session], None]) -> Iterator[None]:
        """Within this block, on this thread, ``check`` runs in every transaction just before it commits.

        ``check`` raises to roll the transaction back: the board's lease
        (``leases.fence``) is checked, and held until the commit, in the
        same transaction as the work it guards.
        """
        self._local.fence = check
        try:
            yield
        finally:
            self._local.fence = None

    def upgrade(self) -> None:
        upgrade(self.engine)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commits whole on success, rolls back whole on error.

        A database that does not answer raises ``StoreUnavailable``.
        """
        if getattr(self._local, "down", False):
            raise StoreUnavailable("database unavailable earlier in this pass")
        session = self._sessions()
        try:
            yield session
            fence = getattr(self._local, "fence", None)
            if fence is not None:
                fence(session)
            session.commit()
        except BaseException as err:
            with contextlib.suppress(SQLAlchemyError):  # a dead connection cannot roll back: it is dropped
                session.rollback()
            if isinstance(err, SQLAlchemyError) and is_outage(err):
                if getattr(self._local, "scoped", False):
                    self._local.down = True
                raise StoreUnavailable(f"database unavailable ({_short(err)})") from err
            raise
        finally:
            with contextlib.suppress(SQLAlchemyError):
                session.close()

    def ping(self) -> bool:
        """Whether the database answers now."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError:
            return False

    def session(self) -> Session:
        """A session for reading (the caller closes it)."""
        return self._sessions()

    def dispose(self) -> None:
        self.engine.dispose()


def _short(err: SQLAlchemyError) -> str:
    """The driver's error class only: SQL texts and parameters may quote personal data."""
    orig = getattr(err, "orig", None)
    return type(orig).__name__ if orig is not None else type(err).__name__


def open_store(url: str, upgrade_schema: bool = True) -> Store:
    store = Store(url)
    if upgrade_schema:
        store.upgrade()
    return store
