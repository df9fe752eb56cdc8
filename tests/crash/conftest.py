"""Fixtures for the crash harness: fresh mailboxes, SMTP servers and databases per run."""

from __future__ import annotations

import itertools
import uuid
from pathlib import Path
from typing import Callable, Iterator

import pytest
from sqlalchemy import create_engine, text

from mailbot.store.db import sqlite_url
from tests.crash import corpus, harness
from tests.crash.processes import ForkServer
from tests.crash.smtp_sink import SmtpSink
from tests.plugins.database import POSTGRES, PostgresCluster, backend_name
from tests.plugins.mailservers import DovecotServer

#: The short version's stream: the fourteen samples and generated mail after them.
SHORT_MESSAGES = 30
SHORT_SEED = 20260216

_numbers = itertools.count(1)

Factory = Callable[..., harness.Target]


@pytest.fixture(scope="session")
def crash_mails() -> list[corpus.Mail]:
    return corpus.build(SHORT_MESSAGES, seed=SHORT_SEED, light=True)


@pytest.fixture(scope="session")
def crash_targets(dovecot_server: DovecotServer, tmp_path_factory: pytest.TempPathFactory
                  ) -> Iterator[Factory]:
    """Makes a fresh target: an IMAP user, its own SMTP server (a process), a new database.

    ``cluster`` puts the database on that PostgreSQL server (which the run may
    stop and start); otherwise it is the suite's backend (SQLite, or the
    server ``MAILBOT_TEST_POSTGRES`` names). ``smtp_delay``: seconds the SMTP
    server takes per email.
    """
    servers: list[SmtpSink] = []
    drops: list[tuple[str, str]] = []

    def make(name: str, cluster: PostgresCluster | None = None, smtp_delay: float = 0.0) -> harness.Target:
        dovecot_server.start()
        n = next(_numbers)
        user, password = f"crash{n}@lscb.example", f"crash-secret-{n}"
        dovecot_server.add_user(user, password)
        workdir = tmp_path_factory.mktemp(f"crash-{name}")
        smtp = SmtpSink(Path(workdir) / "smtp", smtp_delay)
        smtp.start()
        servers.append(smtp)
        if cluster is not None:
            url = cluster.create_database(f"crash_{uuid.uuid4().hex[:12]}")
        elif POSTGRES:
            db = f"t_{uuid.uuid4().hex[:16]}"
            _admin(POSTGRES, f'CREATE DATABASE "{db}"')
            drops.append((POSTGRES, db))
            url = f"{POSTGRES.rpartition('/')[0]}/{db}"
        else:
            url = sqlite_url(workdir / "mailbot.db")
        return harness.Target(imap=harness.Imap(dovecot_server.host, dovecot_server.port, user, password),
                              smtp=smtp, database_url=url, workdir=Path(workdir), database=cluster)

    yield make
    ForkServer.close_shared()
    for smtp in servers:
        smtp.stop()
    for server, db in drops:
        _admin(server, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def _admin(server: str, statement: str) -> None:
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def crash_reference(crash_targets: Factory, crash_mails: list[corpus.Mail]) -> harness.Outcome:
    """The stream run once without faults, on the suite's backend: what every faulted run must match."""
    figures, outcome = harness.run(crash_targets(f"reference-{backend_name()}"), crash_mails,
                                   harness.Plan(faults={}, fault_count=0))
    assert not figures.problems, figures.problems
    assert outcome.unsent_rows == outcome.same_id_resends == outcome.phantoms == 0
    assert not outcome.folder_problems, outcome.folder_problems
    return outcome
