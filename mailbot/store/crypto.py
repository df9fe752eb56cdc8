"""Encryption at rest: stored files, parsed records, drafts and outgoing mail.

When a key is configured (``MAILBOT_ENCRYPTION_KEY`` or
``MAILBOT_ENCRYPTION_KEY_FILE``, see :mod:`mailbot.settings`), the columns
that hold a child's or family's details (``records.data``, ``outbox.raw``,
``drafts.context``, ``drafts.reason``) and every stored attachment or draft
document are sealed with AES-256-GCM. Without a key nothing changes.

A sealed value is ``MBE1`` + a 4-byte key id + a 12-byte nonce + the
ciphertext and tag (in text columns: ``mbe1:`` + URL-safe base64 of that).
The key id names the key that sealed it, so keys can be rotated: put the new
key first and keep the old ones after it; new writes use the first, every
listed key still opens what it sealed. Values written before a key was
configured are read as they are. ``mailbot rekey`` (``reseal`` and the
column types' ``reseal_stored``) seals those and re-seals values sealed
with an older key, so an old key can be retired. The associated data
names the column or store, so a sealed value cannot be moved from one
column to another.

The column types keep their underlying database types (JSON, BLOB, TEXT),
so turning encryption on needs no schema migration.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import weakref
from typing import Any, NamedTuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import JSON, LargeBinary, Text
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.types import TypeDecorator

from mailbot.errors import ConfigError, MailbotError
from mailbot.secrets import encryption_key_ref

MAGIC = b"MBE1"
TEXT_PREFIX = "mbe1:"
_KID = 4
_NONCE = 12


class DecryptError(MailbotError):
    """Stored data cannot be opened (no key, an unknown key, or it was altered)."""


def key_id(key: bytes) -> bytes:
    return hashlib.sha256(b"mailbot key id\x00" + key).digest()[:_KID]


def _decode_key(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    try:
        key = base64.urlsafe_b64decode(padded.replace("+", "-").replace("/", "_"))
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise ConfigError("the encryption key must be 32 random bytes, base64-encoded "
                          "(see 'Encryption at rest' in docs/configuration.md)")
    return key


class Keyring:
    """The current key (first) and older keys still accepted for reading."""

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise ConfigError("an encryption keyring needs at least one key")
        self._current = keys[0]
        self._count = len({bytes(k) for k in keys})
        self._by_id: dict[bytes, list[AESGCM]] = {}
        for key in keys:
            self._by_id.setdefault(key_id(key), []).append(AESGCM(key))

    @classmethod
    def from_secret(cls, value: str) -> "Keyring":
        """Keys separated by commas or white space, newest first."""
        parts = [p for p in value.replace(",", " ").split() if p]
        return cls([_decode_key(p) for p in parts])

    @staticmethod
    def generate() -> str:
        """A new key in the form ``from_secret`` reads."""
        return base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")

    @property
    def current_id(self) -> str:
        return key_id(self._current).hex()

    def seal(self, data: bytes, purpose: str) -> bytes:
        nonce = os.urandom(_NONCE)
        sealed = AESGCM(self._current).encrypt(nonce, data, purpose.encode())
        return MAGIC + key_id(self._current) + nonce + sealed

    @property
    def older_keys(self) -> int:
        """How many keys besides the current one are listed (for reading only)."""
        return self._count - 1

    def is_current(self, blob: bytes) -> bool:
        """Whether ``blob`` is sealed with the current key (it is not opened: see ``reseal``)."""
        return is_sealed(blob) and blob[len(MAGIC): len(MAGIC) + _KID] == key_id(self._current)

    def open(self, blob: bytes, purpose: str) -> bytes:
        kid = blob[len(MAGIC): len(MAGIC) + _KID]
        nonce = blob[len(MAGIC) + _KID: len(MAGIC) + _KID + _NONCE]
        body = blob[len(MAGIC) + _KID + _NONCE:]
        for aead in self._by_id.get(kid, []):
            try:
                return aead.decrypt(nonce, body, purpose.encode())
            except InvalidTag:
                continue
        if kid not in self._by_id:
            raise DecryptError(f"stored {purpose} was sealed with key {kid.hex()}, "
                               "which is not configured")
        raise DecryptError(f"stored {purpose} does not open with its key (altered or damaged)")


def is_sealed(blob: bytes) -> bool:
    return blob[: len(MAGIC)] == MAGIC


def seal(keyring: Keyring | None, data: bytes, purpose: str) -> bytes:
    return keyring.seal(data, purpose) if keyring is not None else data


def unseal(keyring: Keyring | None, blob: bytes, purpose: str) -> bytes:
    """Plain bytes of ``blob``; bytes written before encryption was on pass through."""
    if not is_sealed(blob):
        return blob
    if keyring is None:
        raise DecryptError(f"stored {purpose} is encrypted but no encryption key is configured")
    return keyring.open(blob, purpose)


# --- re-sealing with the current key (``mailbot rekey``) ----------------------------

PLAIN = "plain"
OLD_KEY = "old key"
CURRENT_KEY = "current key"


class Resealed(NamedTuple):
    """What a stored value was (``PLAIN``, ``OLD_KEY``, ``CURRENT_KEY``) and what to store instead.

    ``stored`` is None when the value is already sealed with the current key
    and must be left alone.
    """

    was: str
    stored: Any


def reseal(keyring: Keyring, blob: bytes, purpose: str) -> Resealed:
    """``blob`` (plain or sealed) sealed with the current key.

    Every sealed value is opened, the current key's too, so a value no
    listed key opens raises ``DecryptError`` instead of being counted as
    done.
    """
    if not is_sealed(blob):
        return Resealed(PLAIN, keyring.seal(blob, purpose))
    plain = keyring.open(blob, purpose)
    if keyring.is_current(blob):
        return Resealed(CURRENT_KEY, None)
    return Resealed(OLD_KEY, keyring.seal(plain, purpose))


# --- which key a database uses ---------------------------------------------------

_BOUND: "weakref.WeakKeyDictionary[Dialect, Keyring | None]" = weakref.WeakKeyDictionary()
_PARSED: dict[str, Keyring] = {}


def bind(engine: Engine, keyring: Keyring | None) -> None:
    """Use ``keyring`` (or explicitly none) for everything stored through ``engine``."""
    _BOUND[engine.dialect] = keyring


def default_keyring() -> Keyring | None:
    """The key the settings name, or None; a key named but unreadable is an error.

    Read on every use (an environment variable or a small file), so a
    rotated key takes effect without a stale copy surviving in memory.
    """
    ref = encryption_key_ref()
    if ref is None:
        return None
    value = ref.resolve(required=True) or ""
    if value not in _PARSED:
        _PARSED.clear()
        _PARSED[value] = Keyring.from_secret(value)
    return _PARSED[value]


def keyring_for(dialect: Dialect) -> Keyring | None:
    if dialect in _BOUND:
        return _BOUND[dialect]
    return default_keyring()


def engine_keyring(engine: Engine) -> Keyring | None:
    return keyring_for(engine.dialect)


# --- column types ------------------------------------------------------------------


def _b64(blob: bytes) -> str:
    return TEXT_PREFIX + base64.urlsafe_b64encode(blob).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text[len(TEXT_PREFIX):])


def _reseal_text(keyring: Keyring, stored: str, purpose: str) -> Resealed:
    """A ``mbe1:`` text value re-sealed (see ``reseal``)."""
    try:
        blob = _unb64(stored)
    except (binascii.Error, ValueError) as err:
        raise DecryptError(f"stored {purpose} is not valid sealed text") from err
    if not is_sealed(blob):
        raise DecryptError(f"stored {purpose} is not valid sealed text")
    done = reseal(keyring, blob, purpose)
    return done if done.stored is None else Resealed(done.was, _b64(done.stored))


class SealedBytes(TypeDecorator):
    """A BLOB column sealed when a key is configured."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, purpose: str) -> None:
        super().__init__()
        self.purpose = purpose

    def process_bind_param(self, value: bytes | None, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        return seal(keyring_for(dialect), bytes(value), self.purpose)

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        return unseal(keyring_for(dialect), bytes(value), self.purpose)

    def reseal_stored(self, stored: bytes, keyring: Keyring) -> Resealed:
        """The column's stored (database) value sealed with the current key."""
        return reseal(keyring, bytes(stored), self.purpose)


class SealedText(TypeDecorator):
    """A TEXT column sealed when a key is configured."""

    impl = Text
    cache_ok = True

    def __init__(self, purpose: str) -> None:
        super().__init__()
        self.purpose = purpose

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        ring = keyring_for(dialect)
        if value is None or ring is None:
            return value
        return _b64(ring.seal(value.encode("utf-8"), self.purpose))

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or not value.startswith(TEXT_PREFIX):
            return value
        return unseal(keyring_for(dialect), _unb64(value), self.purpose).decode("utf-8")

    def reseal_stored(self, stored: str, keyring: Keyring) -> Resealed:
        """The column's stored (database) value sealed with the current key."""
        if not stored.startswith(TEXT_PREFIX):
            return Resealed(PLAIN, _b64(keyring.seal(stored.encode("utf-8"), self.purpose)))
        return _reseal_text(keyring, stored, self.purpose)


class SealedJSON(TypeDecorator):
    """A JSON column whose document is sealed (as one JSON string) when a key is configured."""

    impl = JSON
    cache_ok = True

    def __init__(self, purpose: str) -> None:
        super().__init__()
        self.purpose = purpose

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        ring = keyring_for(dialect)
        if value is None or ring is None:
            return value
        return _b64(ring.seal(json.dumps(value).encode("utf-8"), self.purpose))

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if not (isinstance(value, str) and value.startswith(TEXT_PREFIX)):
            return value
        return json.loads(unseal(keyring_for(dialect), _unb64(value), self.purpose))

    def reseal_stored(self, stored: Any, keyring: Keyring) -> Resealed:
        """The column's stored document (parsed JSON) sealed with the current key."""
        if not (isinstance(stored, str) and stored.startswith(TEXT_PREFIX)):
            return Resealed(PLAIN, _b64(keyring.seal(json.dumps(stored).encode("utf-8"), self.purpose)))
        return _reseal_text(keyring, stored, self.purpose)


SEALED_TYPES = (SealedBytes, SealedText, SealedJSON)
