"""Mail into the demo's Maildir, as the board's server would deliver it."""

from __future__ import annotations

import os
from pathlib import Path

from mailbot.runtime import BoardRuntime


def deliver(inbox: Path, raws: list[bytes], start: int) -> None:
    """Put messages into a Maildir inbox in order (names sort by delivery)."""
    for sub in ("tmp", "new", "cur"):
        (inbox / sub).mkdir(parents=True, exist_ok=True)
    for i, raw in enumerate(raws):
        name = f"{start + i}.demo{i:04d}.mailbot"
        tmp = inbox / "tmp" / name
        tmp.write_bytes(raw)
        os.replace(tmp, inbox / "new" / name)


def inbox_of(rt: BoardRuntime) -> Path:
    """The board's Maildir inbox (the runtime's mailbox path, or the default under the data folder)."""
    return Path(getattr(rt.mailbox, "path", rt.data_dir / "mail" / rt.slug / "inbox"))
