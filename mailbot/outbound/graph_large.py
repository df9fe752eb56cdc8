"""Emails over Graph's 4 MB request limit: a draft from our MIME, attachments uploaded, then send.

Graph takes at most 4 MB in one request, so ``sendMail`` cannot carry a
larger email. Microsoft's documented route keeps our MIME as far as it
can: the email without its largest attachments is posted as base64 MIME to
``/messages`` (Graph makes a draft of it, keeping our Message-ID and
threading headers), each attachment taken out goes back on the draft (an
upload session in chunks of a multiple of 320 KiB for those of 3 MB or
more, a ``fileAttachment`` POST for smaller ones), and ``/send`` sends the
draft, which Exchange then files in Sent Items like a ``sendMail``.

The caller (``GraphSender``) keeps the outbox's guarantees around this:
it notes the Message-ID before the draft is made, and a later attempt
looks in Sent Items (it went) and in Drafts (a draft left half-built by a
crash or a lost answer: deleted, and the email built again) before anything
is sent again.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import Message

import requests

from mailbot.errors import MailboxError
from mailbot.mailbox.graph_client import GraphClient, GraphRefused

log = logging.getLogger("mailbot.outbound")

#: Graph takes at most 4 MB in one request (the base64 body counts).
MAX_REQUEST_BYTES = 4 * 1024 * 1024
#: Attachments of this size or more go by upload session; smaller ones in one POST (Microsoft's rule).
UPLOAD_SESSION_FROM = 3 * 1024 * 1024
#: Upload chunks must be multiples of 320 KiB; ten of them stay under the 4 MB request limit.
CHUNK_BYTES = 10 * 320 * 1024
CHUNK_ATTEMPTS = 6


@dataclass
class Attachment:
    name: str
    content_type: str
    data: bytes


def split_attachments(raw: bytes) -> tuple[bytes, list[Attachment]]:
    """``raw`` without attachments, largest first, until its base64 fits one request; and those taken out.

    Headers are kept as they were (Message-ID, In-Reply-To, References), so
    the draft Graph makes from the rest is still our email.
    """
    msg = message_from_bytes(raw, policy=policy.compat32)
    parts = [p for p in msg.walk() if not p.is_multipart() and p.get_filename()]
    parts.sort(key=lambda p: len(p.get_payload(decode=True) or b""), reverse=True)
    taken: list[Attachment] = []
    rest = raw
    for part in parts:
        if len(base64.b64encode(rest)) <= MAX_REQUEST_BYTES - 64 * 1024:
            break
        taken.append(Attachment(part.get_filename() or "attachment", part.get_content_type(),
                                part.get_payload(decode=True) or b""))
        _remove(msg, part)
        rest = msg.as_bytes(policy=policy.compat32.clone(linesep="\r\n"))
    return rest, taken


def _remove(msg: Message, part: Message) -> None:
    for container in msg.walk():
        if container.is_multipart():
            payload = container.get_payload()
            if any(p is part for p in payload):
                container.set_payload([p for p in payload if p is not part])
                return


class LargeSend:
    """The draft → attachments → send steps for one email, over one ``GraphClient``."""

    def __init__(self, client: GraphClient) -> None:
        self.client = client

    def make_draft(self, rest: bytes) -> str:
        """The draft Graph makes from our MIME (a lost answer raises ``GraphUncertain``)."""
        answer = self.client.request("POST", "messages", data=base64.b64encode(rest),
                                     headers={"Content-Type": "text/plain"}, idempotent=False, ok=(201,))
        return str(answer.json()["id"])

    def attach(self, draft_id: str, item: Attachment) -> None:
        if len(item.data) < UPLOAD_SESSION_FROM:
            self.client.request("POST", f"messages/{draft_id}/attachments", ok=(201,), json={
                "@odata.type": "#microsoft.graph.fileAttachment", "name": item.name,
                "contentType": item.content_type, "contentBytes": base64.b64encode(item.data).decode()})
            return
        session = self.client.request("POST", f"messages/{draft_id}/attachments/createUploadSession", ok=(201,),
                                      json={"AttachmentItem": {"attachmentType": "file", "name": item.name,
                                                               "size": len(item.data),
                                                               "contentType": item.content_type}}).json()
        self._upload(session["uploadUrl"], item.data)

    def _upload(self, url: str, data: bytes) -> None:
        """PUT the bytes in chunks; a chunk that fails (5xx, a dropped connection) is sent again.

        The upload URL carries its own token, so no Authorization header goes
        with it (Microsoft: sending one makes the PUT fail).
        """
        start, failures = 0, 0
        while start < len(data):
            end = min(start + CHUNK_BYTES, len(data)) - 1
            headers = {"Content-Type": "application/octet-stream",
                       "Content-Range": f"bytes {start}-{end}/{len(data)}"}
            try:
                resp = self.client._session.put(url, data=data[start:end + 1], headers=headers,
                                                timeout=self.client.timeout)
                status = resp.status_code
            except requests.RequestException as err:
                resp, status = None, 0
                log.warning("graph: upload chunk failed (%s)", type(err).__name__)
            if status in (200, 201):
                failures = 0
                ranges = (resp.json().get("nextExpectedRanges") if status == 200 and resp.content else None) or []
                start = int(ranges[0].split("-")[0]) if ranges else end + 1
                continue
            failures += 1
            if failures >= CHUNK_ATTEMPTS or (status and status < 500 and status != 429):
                if status and status < 500 and status != 429:
                    raise GraphRefused(f"Microsoft Graph refused an attachment upload ({status})", status)
                raise MailboxError(f"Microsoft Graph attachment upload failing ({status or 'no answer'})")
            self.client._sleep(self.client._backoff(failures))

    def send_draft(self, draft_id: str) -> None:
        self.client.request("POST", f"messages/{draft_id}/send", idempotent=False, ok=(202,))

    def drafts_with(self, message_id: str) -> list[str]:
        quoted = message_id.replace("'", "''")
        found = self.client.request("GET", "mailFolders/drafts/messages", params={
            "$filter": f"internetMessageId eq '{quoted}'", "$select": "id,internetMessageId"}).json()
        return [m["id"] for m in found.get("value", []) if m.get("internetMessageId") == message_id]

    def delete_draft(self, draft_id: str) -> None:
        self.client.request("DELETE", f"messages/{draft_id}", ok=(204, 404))
