"""Jobs a read-ahead worker runs in the tests, named as ``module:function`` (the worker imports them)."""

from __future__ import annotations

import time


def hang(board: object, raw: bytes) -> None:
    """A worker that never answers."""
    time.sleep(3600)
