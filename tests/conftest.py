"""Shared fixtures: where the samples are, plugins for real servers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

REPO = Path(__file__).resolve().parents[1]

pytest_plugins = ["tests.plugins.mailservers", "tests.plugins.database"]

# Property tests run the same examples every time, so a run fails only for a change in the code;
# ``HYPOTHESIS_PROFILE=explore`` draws new examples on each run to hunt for new failures.
settings.register_profile("suite", derandomize=True, database=None)
settings.register_profile("explore", database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))


def _samples_dir() -> Path:
    env = os.environ.get("MAILBOT_SAMPLES")
    candidates = [Path(env)] if env else []
    candidates += [REPO.parent / "shared" / "samples"]
    for c in candidates:
        if (c / "forms").is_dir():
            return c
    raise RuntimeError("sample corpus not found: set MAILBOT_SAMPLES to shared/samples")


SAMPLES = _samples_dir()


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    return SAMPLES


@pytest.fixture(scope="session")
def repo_dir() -> Path:
    return REPO
