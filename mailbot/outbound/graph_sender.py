"""Sending the board's mail through Microsoft Graph ``sendMail``, as our own MIME.

The outbox's bytes go as they are (base64, ``Content-Type: text/plain``),
so the Message-ID, the threading headers and the attachments stay ours, and
Exchange saves a copy in Sent Items. Recipients the headers do not name
(the outbox's Bcc) are added as a ``Bcc`` header, which Exchange removes
before delivery; with MIME, Graph takes the recipients from the headers.

``sendMail`` answers 202 and nothing else, so a lost answer (a timeout, a
dropped connection, a 5xx) leaves us not knowing whether the mail went. We
never send blindly again: the Message-ID is noted (``GraphSendNotes``, a
file, so a crash mid-request is covered too) before the request goes, and
the next attempt first looks for that Message-ID in Sent Items
(``internetMessageId``). Found: it went, and the outbox marks it sent.
Not found yet: Exchange files the copy a little after the 202, so within
``sent_items_grace`` seconds we report a transient failure and the outbox
asks again later; after that, absence means it did not go and it is sent.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import os
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from pathlib import Path
from typing import Callable

from mailbot.errors import MailboxAuthError, MailboxError, SendAuthError, SendError
from mailbot.mailbox.graph_client import GraphClient, GraphRefused, GraphUncertain

log = logging.getLogger("mailbot.outbound")


class GraphSendNotes:
    """Message-IDs whose ``sendMail`` went out without an answer yet, with when (a JSON file, 0600)."""

    def __init__(self, path: str | os.PathLike[str] | None) -> None:
        self.path = Path(path) if path else None
        self._notes: dict[str, str] = {}
        if self.path is not None and self.path.exists():
            try:
                self._notes = dict(json.loads(self.path.read_text("utf-8")))
            except (OSError, ValueError) as err:
                log.warning("graph: send notes unreadable (%s); starting empty", type(err).__name__)

    def get(self, message_id: str) -> dt.datetime | None:
        at = self._notes.get(message_id)
        return dt.datetime.fromisoformat(at) if at else None

    def add(self, message_id: str, at: dt.datetime) -> None:
        self._notes[message_id] = at.isoformat()
        self._write()

    def forget(self, message_id: str) -> None:
        if self._notes.pop(message_id, None) is not None:
            self._write()

    def _write(self) -> None:
        if self.path is None:
            return
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(self._notes, fh)
        os.replace(tmp, self.path)


def _head(raw: bytes) -> EmailMessage:
    return BytesHeaderParser().parsebytes(raw.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n")  # type: ignore[return-value]


def with_bcc(raw: bytes, recipients: list[str]) -> bytes:
    """``raw`` with a Bcc header for each recipient its To and Cc do not name."""
    head = _head(raw)
    named = {a.lower() for _n, a in getaddresses([str(v) for h in ("To", "Cc", "Bcc")
                                                  for v in head.get_all(h, [])])}
    hidden = [r for r in recipients if r.lower() not in named]
    if not hidden:
        return raw
    return f"Bcc: {', '.join(hidden)}\r\n".encode("ascii", "surrogateescape") + raw


class GraphSender:
    """``Sender`` over Graph ``sendMail`` for the board's mailbox user."""

    def __init__(
        self,
        client: GraphClient,
        *,
        notes: GraphSendNotes | None = None,
        sent_items_grace: float = 120.0,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc),
    ) -> None:
        self.client = client
        self.notes = notes or GraphSendNotes(None)
        self.sent_items_grace = sent_items_grace
        self._now = now

    def send(self, message: EmailMessage, recipients: list[str]) -> None:
        from mailbot.outbound.smtp import wire_form

        self.send_raw(wire_form(message), recipients)

    def send_raw(self, raw: bytes, recipients: list[str]) -> None:
        if not recipients:
            raise SendError("no recipients given", permanent=True)
        message_id = str(_head(raw).get("Message-ID") or "").strip()
        if message_id and self._settled_earlier(message_id):
            return
        if message_id:
            self.notes.add(message_id, self._now())
        body = base64.b64encode(with_bcc(raw, recipients))
        try:
            self.client.request("POST", "sendMail", data=body, headers={"Content-Type": "text/plain"},
                                idempotent=False, ok=(202,))
        except GraphUncertain as err:
            raise SendError(f"sent to Microsoft Graph, answer lost ({err}); checking Sent Items before any retry",
                            server_side=True) from err
        except MailboxAuthError as err:
            self.notes.forget(message_id)
            raise SendAuthError(str(err)) from err
        except MailboxError as err:
            self.notes.forget(message_id)  # refused or never reached: it did not go
            raise _refused(err) from err
        self.notes.forget(message_id)
        log.info("graph: sent to %d recipient(s)", len(recipients))

    def _settled_earlier(self, message_id: str) -> bool:
        """True if an earlier attempt whose answer was lost did go (found in Sent Items)."""
        noted = self.notes.get(message_id)
        if noted is None:
            return False
        if self.in_sent_items(message_id):
            log.info("graph: an earlier attempt went (found in Sent Items); not sending again")
            self.notes.forget(message_id)
            return True
        if (self._now() - noted).total_seconds() < self.sent_items_grace:
            raise SendError("an earlier attempt's outcome is not known yet (not in Sent Items so far)",
                            server_side=True)
        self.notes.forget(message_id)
        return False

    def in_sent_items(self, message_id: str) -> bool:
        quoted = message_id.replace("'", "''")
        try:
            found = self.client.request(
                "GET", "mailFolders/sentitems/messages",
                params={"$filter": f"internetMessageId eq '{quoted}'", "$select": "id,internetMessageId"},
            ).json()
        except MailboxAuthError as err:
            raise SendAuthError(str(err)) from err
        except MailboxError as err:
            raise SendError(f"cannot look in Sent Items ({err})", server_side=True) from err
        return any(m.get("internetMessageId") == message_id for m in found.get("value", []))

    def close(self) -> None:
        self.client.close()


def _refused(err: MailboxError) -> SendError:
    """A definite refusal: a 4xx about this email is permanent; the service failing is not."""
    permanent = isinstance(err, GraphRefused)
    return SendError(str(err), permanent=permanent, server_side=not permanent)
