"""A ``Sender`` that delivers into a Maildir instead of a server (demo, tests).

Each message is written as it would go on the wire, plus an
``X-Mailbot-Envelope-To`` header naming the envelope recipients, since a
file has no envelope and Bcc recipients would otherwise be invisible.
"""

from __future__ import annotations

import copy
import logging
import mailbox
import os
from email.message import EmailMessage
from pathlib import Path

from mailbot.errors import SendError

log = logging.getLogger("mailbot.outbound")

ENVELOPE_HEADER = "X-Mailbot-Envelope-To"


class MaildirOutbox:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            self._maildir = mailbox.Maildir(self.path, factory=None, create=True)
        except OSError as err:
            raise SendError(f"cannot open outbox Maildir {self.path}: {err.strerror}", permanent=True) from err

    def send(self, message: EmailMessage, recipients: list[str]) -> None:
        if not recipients:
            raise SendError("no recipients given", permanent=True)
        copied = copy.deepcopy(message)
        del copied[ENVELOPE_HEADER]
        copied[ENVELOPE_HEADER] = ", ".join(recipients)
        try:
            key = self._maildir.add(copied.as_bytes())
            os.chmod(self.path / "new" / key, 0o600)  # mail about children: owner-only
        except OSError as err:
            raise SendError(f"cannot write to outbox Maildir: {err.strerror}") from err
        log.info("outbox %s: wrote %s for %d recipient(s)", self.path.name, key, len(recipients))

    def close(self) -> None:
        self._maildir.close()
