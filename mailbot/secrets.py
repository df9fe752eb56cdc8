"""Secrets named in config, never written in it.

A secret in a YAML file is a reference: ``{env: NAME}`` (an environment
variable) or ``{file: PATH}`` (a file, relative to the config file, whose
trimmed content is the secret). A literal string where a secret belongs is a
configuration error, so a password can never be committed by accident.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, model_validator

from mailbot.errors import ConfigError


class SecretRef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    env: str | None = None
    file: str | None = None
    #: The directory ``file`` is relative to (set by the loader, not by YAML).
    base_dir: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_literals(cls, value: object) -> object:
        if isinstance(value, str):
            raise ValueError(
                "secrets are not written in config: use {env: VARIABLE} or {file: PATH}"
            )
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> "SecretRef":
        if (self.env is None) == (self.file is None):
            raise ValueError("give exactly one of 'env' or 'file'")
        return self

    def describe(self) -> str:
        return f"environment variable {self.env}" if self.env else f"file {self.file}"

    @staticmethod
    def resolve_present(refs: Iterable[SecretRef]) -> list[str]:
        """The values of those of ``refs`` that are set (the others left out, no error)."""
        return [v for v in (ref.resolve(required=False) for ref in refs) if v]

    def resolve(self, required: bool = True) -> str | None:
        """The secret's value; ``None`` when absent and not ``required``."""
        if self.env:
            value = os.environ.get(self.env)
        else:
            path = Path(self.file or "")
            if not path.is_absolute() and self.base_dir:
                path = Path(self.base_dir) / path
            value = path.read_text(encoding="utf-8").strip() if path.is_file() else None
        if value:
            return value
        if required:
            raise ConfigError(f"secret not available: {self.describe()} is not set")
        return None


KEY_ENV = "MAILBOT_ENCRYPTION_KEY"
KEY_FILE_ENV = "MAILBOT_ENCRYPTION_KEY_FILE"


def encryption_key_ref() -> SecretRef | None:
    """Where the encryption key is, from the environment (the file wins), or None."""
    path = os.environ.get(KEY_FILE_ENV)
    if path:
        return SecretRef(file=path)
    if os.environ.get(KEY_ENV):
        return SecretRef(env=KEY_ENV)
    return None
