"""SIGHUP: boards added to ``config/boards/`` start, boards removed stop (their leases released).

A real ``mailbot run`` process on the shipped boards (Maildir mailboxes in
its data folder, SQLite), its configuration edited while it runs.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.pool import NullPool

from mailbot.store.db import sqlite_url
from mailbot.store.models import BoardLease
from tests.conftest import REPO

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def _holders(engine) -> dict[str, str | None]:  # noqa: ANN001
    try:
        with engine.connect() as conn:
            return dict(conn.execute(select(BoardLease.board, BoardLease.holder)).all())
    except Exception:  # noqa: BLE001 - not created yet
        return {}


def _wait(engine, done, timeout: float = 60.0) -> dict:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        holders = _holders(engine)
        if done(holders):
            return holders
        time.sleep(0.1)
    raise AssertionError(f"not reached in {timeout:.0f}s: {_holders(engine)}")


def test_sighup_starts_added_boards_and_stops_removed_ones(tmp_path: Path):
    config = tmp_path / "config"
    shutil.copytree(REPO / "config", config)
    (tmp_path / "templates").symlink_to(REPO / "templates")  # the boards name files under ../../templates
    parked = tmp_path / "bathnes.yaml"
    shutil.move(config / "boards" / "bathnes.yaml", parked)
    env = {**os.environ, "MAILBOT_PARSE_AHEAD": "off"}
    env.pop("MAILBOT_DATABASE_URL", None)
    log = (tmp_path / "daemon.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "mailbot.cli", "--data-dir", str(tmp_path / "data"),
                             "--config-dir", str(config), "run"], cwd=REPO, env=env,
                            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    engine = create_engine(sqlite_url(tmp_path / "data" / "mailbot.db"), poolclass=NullPool)
    try:
        _wait(engine, lambda h: h.get("west-sussex") and h.get("swindon"))
        shutil.move(parked, config / "boards" / "bathnes.yaml")
        (config / "boards" / "swindon.yaml").unlink()
        proc.send_signal(signal.SIGHUP)
        holders = _wait(engine, lambda h: h.get("bathnes") and h.get("swindon", "x") is None)
        assert holders["west-sussex"] is not None  # the board left alone went on
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        assert all(holder is None for holder in _holders(engine).values())
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        engine.dispose()
        log.close()
    text = (tmp_path / "daemon.log").read_text("utf-8", errors="replace")
    assert "swindon: removed from the configuration; stopped" in text
    assert "bathnes: added to the configuration; started" in text
    assert " ERROR " not in text
