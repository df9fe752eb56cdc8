"""Hostile input runs on the sample board wired to the embedded parts."""

from tests.flow.conftest import clock, maildir_runtime, ws_board  # noqa: F401  (shared fixtures)
