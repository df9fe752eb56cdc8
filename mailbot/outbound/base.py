"""The sender interface every outgoing backend (SMTP, Maildir outbox) provides."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Protocol, runtime_checkable


@runtime_checkable
class Sender(Protocol):
    """Hands one finished message to the outside world.

    Raises ``mailbot.errors.SendError`` (``permanent=True`` when retrying
    cannot help, e.g. every recipient refused) or ``SendAuthError``.
    """

    def send(self, message: EmailMessage, recipients: list[str]) -> None: ...

    def close(self) -> None: ...
