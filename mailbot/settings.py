"""Application settings: where data lives, which database to use, the encryption key.

From the command line first, then environment variables, then defaults:
``MAILBOT_DATA_DIR`` (default ``./mailbot-data``), ``MAILBOT_DATABASE_URL``
(default a SQLite file in the data folder), ``MAILBOT_CONFIG_DIR`` (default
the shipped ``config/``).

The key that encrypts stored data at rest is a secret, so it is named, never
written: ``MAILBOT_ENCRYPTION_KEY_FILE`` (a file holding the key; the usual
choice, e.g. a container secret) or ``MAILBOT_ENCRYPTION_KEY`` (the key in
the environment). One key serves the installation: every board shares the
database and the data folder. Neither set: nothing is encrypted.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from mailbot.resources import config_dir
from mailbot.secrets import KEY_ENV, KEY_FILE_ENV, SecretRef, encryption_key_ref
from mailbot.store.crypto import Keyring

__all__ = ["KEY_ENV", "KEY_FILE_ENV", "Settings", "encryption_key_ref"]


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    config_dir: Path
    encryption_key: SecretRef | None = field(default=None)

    @classmethod
    def load(cls, data_dir: str | None = None, database_url: str | None = None,
             config: str | None = None) -> "Settings":
        data = Path(data_dir or os.environ.get("MAILBOT_DATA_DIR") or "mailbot-data").resolve()
        url = database_url or os.environ.get("MAILBOT_DATABASE_URL") or f"sqlite:///{data / 'mailbot.db'}"
        cfg = Path(config).resolve() if config else config_dir()
        return cls(data_dir=data, database_url=url, config_dir=cfg,
                   encryption_key=encryption_key_ref())

    def keyring(self) -> Keyring | None:
        """The keyring the key names; raises ``ConfigError`` when it is set but unusable."""
        if self.encryption_key is None:
            return None
        return Keyring.from_secret(self.encryption_key.resolve(required=True) or "")

    def prepare(self) -> None:
        """Create the data folder, owner-only; a configured key must be usable (fail at start)."""
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.data_dir, 0o700)
        self.keyring()
