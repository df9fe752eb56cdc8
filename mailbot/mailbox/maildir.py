"""A Maildir on local disk as the board mailbox (demo, tests, local MTA delivery).

The inbox is the Maildir root (``new/`` and ``cur/``); handled mail moves to
the Maildir++ subfolders ``.processed`` and ``.needs-attention`` by renaming
the file, which is atomic on one filesystem and keeps the message bytes and
flags exactly as they were. Messages are read without touching their flags.

The mail holds children's details, so the Maildir is owner-only: its
directories are made 0700 when opened (those mailbot's user owns) and a
message moved to a folder is made 0600.
"""

from __future__ import annotations

import logging
import mailbox
import os
import time
from pathlib import Path
from typing import Callable, Iterator

from mailbot.errors import MailboxError
from mailbot.mailbox.base import Folder, IncomingMessage, MailRef

log = logging.getLogger("mailbot.inbound")

INBOX = "INBOX"
_SUBDIRS = ("new", "cur")


class MaildirMailbox:
    """``Mailbox`` over a Maildir directory; the key of each message is its UID."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        name: str = "maildir",
        poll_interval: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.path = Path(path)
        self.poll_interval = poll_interval
        self._sleep = sleep
        self._monotonic = monotonic
        try:
            md = mailbox.Maildir(self.path, factory=None, create=True)
            existing = set(md.list_folders())
            for folder in Folder:
                if folder.value not in existing:
                    md.add_folder(folder.value)
            self._owner_only()
        except OSError as err:
            raise MailboxError(f"cannot open Maildir {self.path}: {err.strerror}") from err

    def _owner_only(self) -> None:
        """Drop group and other access from the Maildir's directories (ours only)."""
        roots = [self.path, *(self.path / f".{f.value}" for f in Folder)]
        for root in roots:
            for d in (root, *(root / sub for sub in ("tmp", "new", "cur"))):
                try:
                    st = d.stat()
                except FileNotFoundError:
                    continue
                if st.st_uid == os.getuid() and st.st_mode & 0o077:
                    os.chmod(d, st.st_mode & 0o700)

    def _files(self, root: Path) -> dict[str, Path]:
        """Key → file for every message in ``root``'s new/ and cur/."""
        found: dict[str, Path] = {}
        for sub in _SUBDIRS:
            try:
                entries = list(os.scandir(root / sub))
            except FileNotFoundError:
                continue
            for entry in entries:
                if entry.name.startswith(".") or not entry.is_file():
                    continue
                found[entry.name.split(":", 1)[0]] = Path(entry.path)
        return found

    @staticmethod
    def _age(key: str, path: Path) -> tuple[float, str]:
        """Delivery time from the key (``<seconds>.<unique>``), else the file's mtime."""
        head = key.split(".", 1)[0]
        try:
            return (float(head), key)
        except ValueError:
            try:
                return (path.stat().st_mtime, key)
            except FileNotFoundError:
                return (0.0, key)

    def fetch_new(self, limit: int | None = None) -> Iterator[IncomingMessage]:
        try:
            files = self._files(self.path)
        except OSError as err:
            raise MailboxError(f"cannot list Maildir {self.path}: {err.strerror}") from err
        keys = sorted(files, key=lambda k: self._age(k, files[k]))
        if limit is not None:
            keys = keys[:limit]
        log.debug("maildir %s: %d message(s) waiting", self.name, len(keys))
        for key in keys:
            try:
                raw = files[key].read_bytes()
            except FileNotFoundError:
                continue  # moved away by someone else since we listed it
            except OSError as err:
                raise MailboxError(f"cannot read Maildir message {key}: {err.strerror}") from err
            yield IncomingMessage(MailRef(self.name, INBOX, key), raw)

    def move(self, ref: MailRef, folder: Folder) -> None:
        target = self.path / f".{Folder(folder).value}"
        source = self._files(self.path).get(ref.uid)
        if source is None:
            log.debug("maildir %s: %s already gone from inbox", self.name, ref.uid)
            return
        destination = target / source.parent.name / source.name
        try:
            os.rename(source, destination)
            if destination.stat().st_uid == os.getuid():
                os.chmod(destination, 0o600)
        except FileNotFoundError:
            if ref.uid in self._files(target):
                return  # a concurrent move won
            raise MailboxError(f"cannot move Maildir message {ref.uid} to {folder.value}") from None
        except OSError as err:
            raise MailboxError(f"cannot move Maildir message {ref.uid}: {err.strerror}") from err
        log.info("maildir %s: moved %s to %s", self.name, ref.uid, folder.value)

    def _stamp(self) -> tuple[float, ...]:
        stamps = []
        for sub in _SUBDIRS:
            try:
                stamps.append((self.path / sub).stat().st_mtime_ns)
            except FileNotFoundError:
                stamps.append(0)
        return tuple(stamps)

    def wait(self, timeout: float) -> bool:
        """Poll the directory mtimes; True as soon as new/ or cur/ changed."""
        start = self._stamp()
        deadline = self._monotonic() + timeout
        while True:
            remaining = deadline - self._monotonic()
            if remaining <= 0:
                return False
            self._sleep(min(self.poll_interval, remaining))
            if self._stamp() != start:
                return True

    def close(self) -> None:
        """Nothing to release: every call opens what it needs."""
