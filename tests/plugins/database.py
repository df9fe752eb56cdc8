"""Database fixtures: SQLite by default, PostgreSQL when the test command started one.

``scripts/test`` runs the suite twice: once as it is (SQLite files in temp
folders) and once with ``MAILBOT_TEST_POSTGRES`` set to a server URL, when
every test gets its own fresh PostgreSQL database.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import create_engine, text

from mailbot.store.db import Store, open_store, sqlite_url
from tests.plugins.ports import free_port

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


# ------------------------------------------------- a PostgreSQL server a test controls


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL server binaries (Debian layout), if any."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: [int(x) for x in p.parent.parent.name.split(".") if x.isdigit()])
    return found[-1].parent if found else None


class PostgresCluster:
    """A throwaway PostgreSQL cluster in a temp dir, on a loopback port, as ``scripts/test`` starts one.

    ``stop`` and ``start`` keep the port and the data, so a test can take the
    database away under a running daemon and bring it back. As root, the
    server runs as the ``postgres`` user (it refuses to run as root).
    """

    def __init__(self, root: Path) -> None:
        bindir = postgres_bin()
        if bindir is None:
            raise RuntimeError("PostgreSQL server binaries not found under /usr/lib/postgresql: run "
                               "`apt-get install -y postgresql` (scripts/test installs it)")
        self.bindir = bindir
        self.root = root
        self.data = root / "data"
        self.port = free_port()
        self.host = "127.0.0.1"
        root.mkdir(parents=True, exist_ok=True)
        root.chmod(0o755)
        if os.geteuid() == 0:
            shutil.chown(root, "postgres")
        # UTF-8 whatever the machine's locale (a bare machine has none: initdb would pick SQL_ASCII).
        self._as_postgres([str(bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                           "--no-sync", "-E", "UTF8", "--locale=C"])

    def _as_postgres(self, cmd: list[str]) -> None:
        tool = Path(cmd[0]).name
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, timeout=120, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed: {done.stderr.decode(errors='replace')[-500:]}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@{self.host}:{self.port}/{database}"

    def start(self) -> None:
        """Start the server (nothing to do if it runs)."""
        if self.running:
            return
        options = (f"-c listen_addresses={self.host} -p {self.port} -k {self.root} -c fsync=off "
                   "-c full_page_writes=off -c max_connections=200")
        self._as_postgres([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"),
                           "-w", "start", "-o", options])

    def stop(self, mode: str = "fast") -> None:
        """``fast`` ends sessions and shuts down cleanly; ``immediate`` is a crash (recovery on start)."""
        if not self.running:
            return
        self._as_postgres([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"])

    @property
    def running(self) -> bool:
        cmd = [str(self.bindir / "pg_ctl"), "-D", str(self.data), "status"]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, timeout=60, check=False).returncode == 0

    def create_database(self, name: str) -> str:
        admin = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()
        return self.url(name)

    def destroy(self) -> None:
        try:
            if self.running:
                self.stop("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)




@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    """A PostgreSQL server of the session's own, which tests may stop and start (never skipped)."""
    import tempfile

    try:
        cluster = PostgresCluster(Path(tempfile.mkdtemp(prefix="mailbot-pgc-")))
    except RuntimeError as err:
        pytest.fail(str(err), pytrace=False)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.destroy()
