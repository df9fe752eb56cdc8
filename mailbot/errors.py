"""Our exception tree.

Third-party errors are translated into these at the boundary where they
happen (``raise … from err``), so callers only ever handle our own kinds.
Every message is one line a person can act on and never carries a child's
or family member's personal data.
"""

from __future__ import annotations


class MailbotError(Exception):
    """Base of every error mailbot raises on purpose."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:  # one line, always
        return " ".join(self.reason.split())


class ConfigError(MailbotError):
    """A configuration file is missing or invalid.

    ``problems`` lists every error found as ``(file, key, reason)``.
    """

    def __init__(self, reason: str, problems: list[tuple[str, str, str]] | None = None) -> None:
        super().__init__(reason)
        self.problems = problems or []


class ParseError(MailbotError):
    """A file could not be read as a form.

    ``kind`` is a short machine word (``empty``, ``damaged``, ``zip_bomb``,
    ``xml_entities``, ``not_a_form``, ``wrong_type``, ``encrypted``,
    ``doc_unsupported``, ``too_large``, ``timeout``, ``unsupported_type``).
    """

    def __init__(self, reason: str, kind: str = "unreadable") -> None:
        super().__init__(reason)
        self.kind = kind


class MailboxError(MailbotError):
    """The mailbox could not be reached or used."""


class MailboxAuthError(MailboxError):
    """The mailbox refused our credentials (alert admins at once)."""


class SendError(MailbotError):
    """An email could not be handed to the sending server.

    ``server_side``: the server could not be reached or would not let us in,
    whatever the email; such a failure says nothing about the email, so it
    does not count against the email's own attempts.
    """

    server_side = False

    def __init__(self, reason: str, permanent: bool = False, server_side: bool | None = None) -> None:
        super().__init__(reason)
        self.permanent = permanent
        if server_side is not None:
            self.server_side = server_side


class SendAuthError(SendError):
    """The sending server refused our credentials."""

    server_side = True
