"""Loopback ports for the servers the tests start: a free one, and waiting for one to open or close."""

from __future__ import annotations

import socket
import time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, up: bool, timeout: float = 15.0, what: str = "port") -> None:
    """Return once 127.0.0.1:``port`` accepts connections (``up``) or refuses them."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                is_up = True
        except OSError:
            is_up = False
        if is_up == up:
            return
        time.sleep(0.02)
    raise RuntimeError(f"{what} {port} did not come {'up' if up else 'down'} in {timeout:.0f}s")
