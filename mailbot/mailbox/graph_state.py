"""Where the Graph mailbox keeps its delta link between runs.

The delta link is Graph's bookmark in the inbox's history: given back, it
answers with what changed since. It is written only once every message the
bookmark passes has been handled and moved (``GraphMailbox`` sees to that),
so after a restart we resume from it and nothing is lost; what it reports
again the ledger recognises. A missing, damaged or expired link costs one
full listing of the inbox, never a message handled twice.

The file sits in the daemon's data folder, owner-only like the token cache;
it holds an opaque URL for one mailbox and nothing about any message.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Protocol

log = logging.getLogger("mailbot.inbound")


class DeltaState(Protocol):
    def load(self) -> str | None: ...

    def save(self, link: str | None) -> None: ...


class MemoryDeltaState:
    """No persistence (tests, a dry run): every start lists the inbox afresh."""

    def __init__(self, link: str | None = None) -> None:
        self.link = link

    def load(self) -> str | None:
        return self.link

    def save(self, link: str | None) -> None:
        self.link = link


class FileDeltaState:
    """The link in a small JSON file, replaced atomically, mode 0600."""

    def __init__(self, path: str | os.PathLike[str], mailbox: str) -> None:
        self.path = Path(path)
        self.mailbox = mailbox  # a file copied from another mailbox's set-up is ignored

    def load(self) -> str | None:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as err:
            log.warning("graph: delta state %s unreadable (%s); listing the inbox afresh",
                        self.path.name, type(err).__name__)
            return None
        if not isinstance(data, dict) or data.get("mailbox") != self.mailbox:
            return None
        link = data.get("delta_link")
        return link if isinstance(link, str) and link else None

    def save(self, link: str | None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"mailbox": self.mailbox, "delta_link": link}, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
