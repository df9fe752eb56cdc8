"""Application settings: where data lives and which database to use.

From the command line first, then environment variables, then defaults:
``MAILBOT_DATA_DIR`` (default ``./mailbot-data``), ``MAILBOT_DATABASE_URL``
(default a SQLite file in the data folder), ``MAILBOT_CONFIG_DIR`` (default
the shipped ``config/``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from mailbot.resources import config_dir


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    config_dir: Path

    @classmethod
    def load(cls, data_dir: str | None = None, database_url: str | None = None,
             config: str | None = None) -> "Settings":
        data = Path(data_dir or os.environ.get("MAILBOT_DATA_DIR") or "mailbot-data").resolve()
        url = database_url or os.environ.get("MAILBOT_DATABASE_URL") or f"sqlite:///{data / 'mailbot.db'}"
        cfg = Path(config).resolve() if config else config_dir()
        return cls(data_dir=data, database_url=url, config_dir=cfg)

    def prepare(self) -> None:
        """Create the data folder, owner-only."""
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.data_dir, 0o700)
