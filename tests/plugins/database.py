"""Database fixtures: SQLite by default, PostgreSQL when the test command started one.

``scripts/test`` runs the suite twice: once as it is (SQLite files in temp
folders) and once with ``MAILBOT_TEST_POSTGRES`` set to a server URL, when
every test gets its own fresh PostgreSQL database.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import create_engine, text

from mailbot.store.db import Store, open_store, sqlite_url

POSTGRES = os.environ.get("MAILBOT_TEST_POSTGRES")


def backend_name() -> str:
    return "postgresql" if POSTGRES else "sqlite"


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    if not POSTGRES:
        yield sqlite_url(tmp_path / "mailbot.db")
        return
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _db = POSTGRES.rpartition("/")
    yield f"{base}/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    s = open_store(database_url)
    yield s
    s.dispose()


def pytest_report_header(config) -> str:  # noqa: ANN001
    return f"mailbot database backend: {backend_name()}"
