"""Where the shipped config, templates and demo data live.

In a source checkout they are the top-level ``config/`` and ``templates/``
folders; in an installed wheel they are bundled under
``mailbot/_bundled/``. ``MAILBOT_CONFIG_DIR`` / ``MAILBOT_TEMPLATES_DIR``
point elsewhere (a deployment's own volume).
"""

from __future__ import annotations

import os
from pathlib import Path

_PKG = Path(__file__).resolve().parent
_REPO = _PKG.parent


def _first(env: str, *candidates: Path) -> Path:
    if os.environ.get(env):
        return Path(os.environ[env]).resolve()
    for c in candidates:
        if c.is_dir():
            return c
    return candidates[0]


def config_dir() -> Path:
    return _first("MAILBOT_CONFIG_DIR", _REPO / "config", _PKG / "_bundled" / "config")


def templates_dir() -> Path:
    return _first("MAILBOT_TEMPLATES_DIR", _REPO / "templates", _PKG / "_bundled" / "templates")


def resolve_config_path(relative: str, next_to: Path) -> Path:
    """A path a config file names: absolute as written, else relative to that file.

    A shipped config copied on its own (a container's ``/config`` volume,
    say) still names the shipped templates as ``../../templates/…``; where
    that path does not exist, the part after ``templates/`` is looked up in
    :func:`templates_dir`. The path next to the file is returned when
    neither exists, so an error names what the admin wrote.
    """
    path = Path(relative)
    if path.is_absolute():
        return path
    beside = (next_to.parent / path).resolve()
    if beside.exists() or "templates" not in path.parts:
        return beside
    parts = path.parts
    shipped = templates_dir().joinpath(*parts[len(parts) - parts[::-1].index("templates"):])
    return shipped if shipped.exists() else beside


def demo_dir() -> Path:
    """Sample mail and forms for ``mailbot demo`` (shipped inside the package)."""
    return _PKG / "demo" / "data"
