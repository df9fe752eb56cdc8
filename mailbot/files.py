"""Files mailbot writes for people to open (packs, front sheets, sent copies).

They hold children's data, so they are owner-only whatever the umask: the
folders 0700, the files 0600, created that way rather than tightened after.
"""

from __future__ import annotations

import os
from pathlib import Path


def private_dir(path: Path) -> Path:
    """``path`` and any missing parents, created 0700 (an existing one is tightened)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


def write_private(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` as an owner-only file, replacing any earlier copy."""
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        os.fchmod(fd, 0o600)  # O_CREAT's mode does not apply to a file that already existed
        os.write(fd, data)
    finally:
        os.close(fd)
    return path
