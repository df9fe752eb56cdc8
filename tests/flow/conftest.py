"""Fixtures for flows: the sample board wired to real embedded parts."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from mailbot.config import load_board
from mailbot.runtime import FixedClock, build_runtime
from tests.conftest import REPO, SAMPLES

START = dt.datetime(2026, 2, 16, 9, 0, tzinfo=dt.timezone.utc)


def sample_emails() -> list[tuple[str, dict, bytes]]:
    index = json.loads((SAMPLES / "emails" / "index.json").read_text("utf-8"))
    return [(e["file"], e, (SAMPLES / "emails" / e["file"]).read_bytes()) for e in index["emails"]]


@pytest.fixture
def ws_board():
    return load_board("west-sussex", REPO / "config")


@pytest.fixture
def clock():
    return FixedClock(START)


@pytest.fixture
def maildir_runtime(ws_board, store, tmp_path: Path, clock):
    rt = build_runtime(ws_board, store, tmp_path / "data", clock)
    yield rt
    rt.close()
