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
An accepted one stays noted for a while, so an email offered again after
a crash lost its "sent" mark is recognised without asking Graph.
Not found yet: Exchange files the copy a little after the 202, so within
``sent_items_grace`` seconds we report a transient failure and the outbox
asks again later; after that, absence means it did not go and it is sent.

An email whose base64 is over Graph's 4 MB request limit goes as a draft
with its attachments uploaded (``graph_large``), noted ``drafting`` until
the draft's send goes: a draft an interrupted attempt left in Drafts is
deleted and the email built again, never sent as it was. Over the tenant's
maximum message size (``sending.max_message_mb``) it is refused outright.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import logging
import os
import threading
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from pathlib import Path
from typing import Callable

from mailbot.errors import MailboxAuthError, MailboxError, SendAuthError, SendError
from mailbot.mailbox.graph_client import GraphClient, GraphRefused, GraphUncertain
from mailbot.outbound.graph_large import MAX_REQUEST_BYTES, LargeSend, split_attachments

log = logging.getLogger("mailbot.outbound")


#: Exchange Online's default maximum message size; a tenant's own is ``sending.max_message_mb``.
DEFAULT_MAX_MESSAGE_BYTES = 35 * 1024 * 1024


class GraphSendNotes:
    """Message-IDs handed to ``sendMail``: ``sending`` (no answer yet) or ``accepted`` (202), with when.

    A JSON file, 0600, rewritten atomically at each change. ``accepted``
    notes are kept for ``KEEP_ACCEPTED`` so that an email the outbox offers
    again after a crash (its "sent" mark lost) is recognised without even
    asking Graph; older ones are dropped as the file is written.
    """

    KEEP_ACCEPTED = dt.timedelta(days=7)

    def __init__(self, path: str | os.PathLike[str] | None) -> None:
        self.path = Path(path) if path else None
        self._notes: dict[str, list[str]] = {}
        if self.path is not None and self.path.exists():
            try:
                self._notes = {k: list(v) for k, v in json.loads(self.path.read_text("utf-8")).items()}
            except (OSError, ValueError, TypeError) as err:
                log.warning("graph: send notes unreadable (%s); starting empty", type(err).__name__)

    def get(self, message_id: str) -> tuple[str, dt.datetime] | None:
        note = self._notes.get(message_id)
        return (note[0], dt.datetime.fromisoformat(note[1])) if note else None

    def sending(self, message_id: str, at: dt.datetime, state: str = "sending") -> None:
        """``state`` is ``drafting`` while a large email's draft is built (nothing sent yet)."""
        self._notes[message_id] = [state, at.isoformat()]
        self._write(at)

    def accepted(self, message_id: str, at: dt.datetime) -> None:
        self._notes[message_id] = ["accepted", at.isoformat()]
        self._write(at)

    def forget(self, message_id: str, at: dt.datetime) -> None:
        if self._notes.pop(message_id, None) is not None:
            self._write(at)

    def _write(self, now: dt.datetime) -> None:
        horizon = (now - self.KEEP_ACCEPTED).isoformat()
        self._notes = {k: v for k, v in self._notes.items() if v[0] != "accepted" or v[1] >= horizon}
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
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc),
    ) -> None:
        self.client = client
        self.notes = notes or GraphSendNotes(None)
        self.sent_items_grace = sent_items_grace
        self.max_message_bytes = max_message_bytes
        self.large = LargeSend(client)
        self._now = now
        self._lock = threading.Lock()  # the deliverer and the scheduler's tick may both send

    def send(self, message: EmailMessage, recipients: list[str]) -> None:
        from mailbot.outbound.smtp import wire_form

        self.send_raw(wire_form(message), recipients)

    def send_raw(self, raw: bytes, recipients: list[str]) -> None:
        with self._lock:
            self._send_raw(raw, recipients)

    def _send_raw(self, raw: bytes, recipients: list[str]) -> None:
        if not recipients:
            raise SendError("no recipients given", permanent=True)
        message_id = str(_head(raw).get("Message-ID") or "").strip()
        if message_id and self._went_earlier(message_id):
            return
        full = with_bcc(raw, recipients)
        if len(full) > self.max_message_bytes:
            raise SendError(f"too large to send ({len(full) / 2**20:.1f} MB; this tenant's maximum message "
                            f"size is {self.max_message_bytes / 2**20:.0f} MB)", permanent=True)
        body = base64.b64encode(full)
        try:
            if len(body) > MAX_REQUEST_BYTES:
                if not message_id:
                    raise SendError("an email over 4 MB needs a Message-ID to be sent safely", permanent=True)
                self._send_large(full, message_id)
            else:
                if message_id:
                    self.notes.sending(message_id, self._now())
                self.client.request("POST", "sendMail", data=body, headers={"Content-Type": "text/plain"},
                                    idempotent=False, ok=(202,))
        except GraphUncertain as err:
            raise SendError(f"sent to Microsoft Graph, answer lost ({err}); checking Sent Items before any retry",
                            server_side=True) from err
        except MailboxAuthError as err:
            self._forget_unless_drafting(message_id)
            raise SendAuthError(str(err)) from err
        except MailboxError as err:
            self._forget_unless_drafting(message_id)  # refused or never reached: it did not go
            raise _refused(err) from err
        if message_id:
            self.notes.accepted(message_id, self._now())
        log.info("graph: sent to %d recipient(s)", len(recipients))

    def _send_large(self, full: bytes, message_id: str) -> None:
        """Draft, attachments, send: noted ``drafting`` until the send itself goes."""
        rest, taken = split_attachments(full)
        if len(base64.b64encode(rest)) > MAX_REQUEST_BYTES:
            raise SendError("too large for Microsoft Graph: without its attachments it is still over the "
                            "4 MB request limit", permanent=True)
        self.notes.sending(message_id, self._now(), "drafting")
        draft_id = self.large.make_draft(rest)
        try:
            for item in taken:
                self.large.attach(draft_id, item)
        except MailboxError:
            # A half-built draft must not linger; if it cannot go now, the note says to look next time.
            with contextlib.suppress(MailboxError):
                self.large.delete_draft(draft_id)
                self.notes.forget(message_id, self._now())
            raise
        self.notes.sending(message_id, self._now())
        self._post_send(draft_id)
        log.info("graph: large email sent by draft (%d attachment(s) uploaded)", len(taken))

    def _forget_unless_drafting(self, message_id: str) -> None:
        """A draft that could not be deleted keeps its note, so the next attempt clears it first."""
        note = self.notes.get(message_id) if message_id else None
        if note is not None and note[0] != "drafting":
            self.notes.forget(message_id, self._now())

    def _post_send(self, draft_id: str) -> None:
        self.large.send_draft(draft_id)

    def _clear_drafts(self, message_id: str) -> None:
        """Delete drafts a crashed or interrupted attempt left with our Message-ID; they never went."""
        try:
            for draft_id in self.large.drafts_with(message_id):
                log.info("graph: deleting a draft an earlier attempt left half-built")
                self.large.delete_draft(draft_id)
        except MailboxAuthError as err:
            raise SendAuthError(str(err)) from err
        except MailboxError as err:
            raise SendError(f"cannot look in Drafts ({err})", server_side=True) from err

    def _went_earlier(self, message_id: str) -> bool:
        """True if an earlier attempt went: Graph accepted it, or its lost answer is found in Sent Items."""
        note = self.notes.get(message_id)
        if note is None:
            return False
        state, at = note
        if state == "accepted":
            log.info("graph: already accepted by Graph earlier; not sending again")
            return True
        if self.in_sent_items(message_id):
            log.info("graph: an earlier attempt went (found in Sent Items); not sending again")
            self.notes.accepted(message_id, self._now())
            return True
        if state == "sending" and (self._now() - at).total_seconds() < self.sent_items_grace:
            raise SendError("an earlier attempt's outcome is not known yet (not in Sent Items so far)",
                            server_side=True)
        self._clear_drafts(message_id)  # "drafting": the send never went, so a draft left is only a draft
        self.notes.forget(message_id, self._now())
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
