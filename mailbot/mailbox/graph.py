"""The board mailbox in Microsoft 365 over Microsoft Graph (no IMAP, no EWS).

Same contract as the other backends: oldest first, never marked read (the
MIME is fetched with ``/messages/{id}/$value``, which does not touch
``isRead``), handled mail moved to subfolders of the Inbox (or, for a board coming
from IMAP, the top-level folders IMAP made) created when missing. Ids are immutable (``GraphClient`` asks for them), so a message's
id is the same before and after a move.

New mail is found by a delta query on the Inbox. One round follows
``@odata.nextLink`` pages until Graph gives an ``@odata.deltaLink``; the
next round starts from that link, and when nothing changed it is one small
request. The link is kept (``DeltaState``) only once every message the
round reported has been moved out of the Inbox: a crash before that resumes
from the older link and the same messages are reported again, which the
ledger recognises (by sha256 and Message-ID). A link Graph has forgotten
(410) starts a full round, which lists the whole Inbox: again only what
the ledger has not seen is acted on.

Graph has no IDLE: ``wait`` sleeps ``poll_interval`` seconds (a few), so new
mail is seen within that time for one request per poll. Where change
notifications reach us (``graph_notify``), a notification ends the wait at
once; the delta query still decides what is new.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timezone
from typing import Callable, Iterator
from urllib.parse import quote

from mailbot.mailbox.base import Folder, IncomingMessage, MailRef
from mailbot.mailbox.graph_client import GraphClient, GraphGone, GraphNotFound
from mailbot.mailbox.graph_notify import Subscription
from mailbot.mailbox.graph_state import DeltaState, MemoryDeltaState

log = logging.getLogger("mailbot.inbound")

INBOX = "inbox"


class GraphMailbox:
    """``Mailbox`` over Microsoft Graph for one user's Inbox."""

    def __init__(
        self,
        name: str,
        client: GraphClient,
        *,
        state: DeltaState | None = None,
        processed_folder: str = Folder.PROCESSED.value,
        needs_attention_folder: str = Folder.NEEDS_ATTENTION.value,
        folder_parent: str = INBOX,
        subscription: Subscription | None = None,
        poll_interval: float = 5.0,
        page_size: int = 50,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        self.name = name
        self.client = client
        self.state = state or MemoryDeltaState()
        self.folder_names = {Folder.PROCESSED: processed_folder, Folder.NEEDS_ATTENTION: needs_attention_folder}
        #: Where those folders live: under the Inbox, or ``msgfolderroot`` (top level, where IMAP made them).
        self.folder_parent = folder_parent
        #: Change notifications, where the deployment can receive them: they end a wait early.
        self.subscription = subscription
        self.poll_interval = poll_interval
        self.page_size = page_size
        self._sleep = sleep
        self._interrupted = threading.Event()  # ``interrupt``: the current or next wait ends at once
        self._now = now
        self._folder_ids: dict[Folder, str] | None = None
        self._link: str | None = self.state.load()  # where the next round starts
        self._saved: str | None = self._link  # what the state file holds
        #: Reported, not yet moved: id -> receivedDateTime (offered again until moved).
        self._pending: dict[str, str] = {}
        self.last_success: datetime | None = None
        self.full_syncs = 0

    # -- folders --------------------------------------------------------------

    def _targets(self) -> dict[Folder, str]:
        """The handled-mail folders' ids (under ``folder_parent``), created on first use when missing."""
        if self._folder_ids is None:
            found: dict[Folder, str] = {}
            for role, display in self.folder_names.items():
                quoted = display.replace("'", "''")
                listing = self.client.request(
                    "GET", f"mailFolders/{self.folder_parent}/childFolders",
                    params={"$filter": f"displayName eq '{quoted}'", "$select": "id,displayName"}).json()
                match = [f["id"] for f in listing.get("value", []) if f.get("displayName") == display]
                if match:
                    found[role] = match[0]
                    continue
                created = self.client.request("POST", f"mailFolders/{self.folder_parent}/childFolders",
                                              json={"displayName": display, "isHidden": False}).json()
                found[role] = created["id"]
                log.info("graph %s: created folder %s", self.name, display)
            self._folder_ids = found
        return self._folder_ids

    # -- delta ------------------------------------------------------------------

    def _round(self) -> None:
        """Follow the delta pages from the current link; new arrivals join ``_pending``."""
        first = self._link
        try:
            self._follow(first)
        except GraphGone:
            log.warning("graph %s: delta link expired (410); listing the inbox afresh", self.name)
            self.full_syncs += 1
            self._link = None
            self._follow(None)

    def _follow(self, link: str | None) -> None:
        url = link or f"mailFolders/{INBOX}/messages/delta"
        params = None if link else {"$select": "id,receivedDateTime"}
        headers = {"Prefer": f'IdType="ImmutableId", odata.maxpagesize={self.page_size}'}
        reported: dict[str, str] = {}
        removed: set[str] = set()
        while True:
            page = self.client.request("GET", url, params=params, headers=headers).json()
            for item in page.get("value", []):
                if "@removed" in item:
                    removed.add(item["id"])
                    reported.pop(item["id"], None)
                else:
                    reported[item["id"]] = item.get("receivedDateTime") or ""
                    removed.discard(item["id"])
            if "@odata.nextLink" in page:
                url, params = page["@odata.nextLink"], None
                continue
            self._link = page.get("@odata.deltaLink") or self._link
            break
        for gone in removed:
            self._pending.pop(gone, None)
        self._pending.update(reported)

    def _keep_link(self) -> None:
        """Write the link down once nothing it passes waits to be moved."""
        if not self._pending and self._link != self._saved:
            self.state.save(self._link)
            self._saved = self._link

    # -- the Mailbox protocol -----------------------------------------------

    def fetch_new(self, limit: int | None = None) -> Iterator[IncomingMessage]:
        self._targets()
        self._round()
        self.last_success = self._now()
        self._keep_link()
        order = sorted(self._pending, key=lambda i: (self._pending[i], i))
        if limit is not None:
            order = order[:limit]
        log.debug("graph %s: %d message(s) to fetch", self.name, len(order))
        for item_id in order:
            try:
                mime = self.client.request("GET", f"messages/{quote(item_id, safe='')}/$value").body
            except GraphNotFound:
                self._pending.pop(item_id, None)  # moved or deleted by a person since
                self._keep_link()
                continue
            yield IncomingMessage(MailRef(self.name, INBOX, item_id), mime)

    def move(self, ref: MailRef, folder: Folder) -> None:
        target = self._targets()[Folder(folder)]
        try:
            self.client.request("POST", f"messages/{quote(ref.uid, safe='')}/move", json={"destinationId": target})
        except GraphNotFound:
            log.debug("graph %s: item already gone from inbox", self.name)
        self._pending.pop(ref.uid, None)
        self._keep_link()
        log.info("graph %s: moved an item to %s", self.name, self.folder_names[Folder(folder)])

    def move_many(self, moves: list[tuple[MailRef, Folder]]) -> None:
        """Several handled messages in one JSON ``$batch`` request (Graph takes up to 20 in one).

        Each move is answered on its own: gone already (404) is fine, a
        throttled one (429/503) is tried again after its ``Retry-After`` by
        ``move``, any other refusal ends the pass with the message still
        pending (the next pass moves it).
        """
        targets = self._targets()
        for start in range(0, len(moves), 20):
            chunk = moves[start:start + 20]
            requests = [{"id": str(i), "method": "POST", "url": f"/users/{self.client.user}/messages/"
                         f"{quote(ref.uid, safe='')}/move", "body": {"destinationId": targets[Folder(folder)]},
                         "headers": {"Content-Type": "application/json", "Prefer": 'IdType="ImmutableId"'}}
                        for i, (ref, folder) in enumerate(chunk)]
            answers = self.client.request("POST", f"{self.client.endpoint}/$batch",
                                          json={"requests": requests}).json().get("responses", [])
            status = {int(a.get("id", -1)): int(a.get("status", 0)) for a in answers}
            for i, (ref, folder) in enumerate(chunk):
                if status.get(i) in (200, 201, 404):
                    self._pending.pop(ref.uid, None)
                else:
                    self.move(ref, folder)  # throttled or unanswered: one at a time, with Graph's retry rules
            self._keep_link()
            log.info("graph %s: moved %d message(s)", self.name, len(chunk))

    def interrupt(self) -> None:
        """End the wait under way, or the next one, at once (the daemon is stopping; see ``ImapMailbox.interrupt``)."""
        self._interrupted.set()
        if self.subscription is not None:
            self.subscription.listener.woken.set()

    def wait(self, timeout: float) -> bool:
        """Sleep the poll interval; with notifications, until Graph announces mail if sooner."""
        if self._interrupted.is_set():
            self._interrupted.clear()
            return False
        if self.subscription is None:
            if self._sleep is time.sleep:
                self._interrupted.wait(min(timeout, self.poll_interval))
            else:
                self._sleep(min(timeout, self.poll_interval))
            self._interrupted.clear()
            return False
        self.subscription.due()
        woken = self.subscription.listener.woken
        announced = woken.wait(min(timeout, self.poll_interval))
        woken.clear()
        if self._interrupted.is_set():
            self._interrupted.clear()
            return False
        return announced

    def close(self) -> None:
        if self.subscription is not None:
            self.subscription.close()
            self.subscription.listener.stop()
        self.client.close()

