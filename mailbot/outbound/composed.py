"""A finished email: the wire bytes ``mime.write`` produced, with its headers readable."""

from __future__ import annotations

from email import message_from_bytes
from email.message import EmailMessage

from mailbot.outbound.mime import POLICY


def parse(raw: bytes) -> EmailMessage:
    """Our wire bytes read back as an ``EmailMessage`` (for the rare caller that needs one)."""
    return message_from_bytes(raw, policy=POLICY)  # type: ignore[return-value]


class ComposedEmail:
    """A finished email as it goes on the wire, with its headers readable like a message's.

    ``msg["Subject"]``, ``msg.get_all("To")`` give what the same
    ``EmailMessage`` would (``str`` of the parsed header), so the outbox and
    ``recipients_of`` read either; ``message()`` parses the bytes when an
    ``EmailMessage`` is really needed.
    """

    __slots__ = ("_headers", "raw")

    def __init__(self, raw: bytes, headers: list[tuple[str, str]]) -> None:
        self.raw = raw
        self._headers = headers

    def get_all(self, name: str, failobj=None):
        found = [v for n, v in self._headers if n.lower() == name.lower()]
        return found or failobj

    def __getitem__(self, name: str) -> str | None:
        found = self.get_all(name)
        return found[0] if found else None

    def __contains__(self, name: str) -> bool:
        return self.get_all(name) is not None

    def keys(self) -> list[str]:
        return [n for n, _ in self._headers]

    def message(self) -> EmailMessage:
        return parse(self.raw)

    def __bytes__(self) -> bytes:
        return self.raw
