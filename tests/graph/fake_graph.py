"""A local stand-in for Microsoft Graph (mail) and Entra's token endpoint, on loopback.

No Graph service can run here, so this server answers with the request and
response shapes Microsoft documents (learn.microsoft.com/graph: message
delta, get MIME content, message move, mailFolder childFolders, user
sendMail, a draft from MIME, attachment upload sessions, send a draft,
errors and throttling) and the error bodies seen in real traffic
(``SyncStateNotFound`` for an expired delta token, ``InvalidAuthenticationToken``,
``ErrorAccessDenied``). It keeps a real mailbox's state: folders, messages
with their MIME, the Inbox's history for delta tokens, Sent Items; it moves
a message to a new id unless the client asked for immutable ids, as Graph
does. Tests inject faults (429/503 with Retry-After, an answer dropped after
the work was done, a 401, an expired delta token, a refused scope) and read
the request log. The HTTP side is ``tests/graph/fake_server.py``; the
endpoints, ``tests/graph/fake_routes.py``.
"""

from __future__ import annotations

import email
import itertools
import threading
from dataclasses import dataclass, field
from email import policy
from email.utils import getaddresses

TENANT = "00000000-0000-4000-8000-00000000000a"
CLIENT_ID = "00000000-0000-4000-8000-00000000000b"


@dataclass
class Message:
    id: str
    folder: str
    mime: bytes
    received: str
    internet_message_id: str | None


@dataclass
class Fault:
    match: str  # a substring of "METHOD /path"
    status: int = 0
    retry_after: float | None = None
    drop: bool = False  # do the work, then close the connection without an answer
    hold: float = 0.0  # do the work, then wait this long before answering (``held`` is set meanwhile)
    times: int = 1
    held: threading.Event = field(default_factory=threading.Event)


@dataclass
class FakeGraph:
    user: str = "board@lscb.example"
    messages: dict[str, Message] = field(default_factory=dict)
    folders: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (displayName, parent id)
    events: list[tuple[int, str, bool]] = field(default_factory=list)  # (seq, message id, now in inbox?)
    seq: int = 0
    oldest_token: int = 0  # delta tokens below this answer 410
    tokens: set[str] = field(default_factory=set)
    token_requests: int = 0
    token_forms: list[dict] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    log: list[tuple[str, str, int]] = field(default_factory=list)
    sent: list[tuple[list[str], bytes]] = field(default_factory=list)
    sent_at: list[float] = field(default_factory=list)  # time.perf_counter() of each 202 (benchmarks)
    forbidden: bool = False
    subscriptions: dict[str, dict] = field(default_factory=dict)
    attachments: dict[str, list[tuple[str, str, bytes]]] = field(default_factory=dict)  # draft id -> files
    uploads: dict[str, dict] = field(default_factory=dict)  # upload session id -> {draft, name, size, data}
    notifications_lost: bool = False  # Graph's notification never arrives (delta must still find the mail)
    lock: threading.RLock = field(default_factory=threading.RLock)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _clock: itertools.count = field(default_factory=lambda: itertools.count(0))
    base: str = ""

    def __post_init__(self) -> None:
        self.folders.update({"root-id": ("Top of Information Store", ""), "inbox-id": ("Inbox", "root-id"),
                             "sentitems-id": ("Sent Items", "root-id"),
                             "drafts-id": ("Drafts", "root-id")})

    # -- what a test does to the mailbox ------------------------------------

    def new_id(self) -> str:
        return f"AAMkAGI2-{next(self._ids):06d}_x="

    def deliver(self, raw: bytes) -> str:
        """A message arrives in the Inbox."""
        with self.lock:
            parsed = email.message_from_bytes(raw, policy=policy.default)
            n = next(self._clock)
            msg = Message(self.new_id(), "inbox-id", raw, f"2026-02-16T09:{n // 60 % 60:02d}:{n % 60:02d}Z",
                          str(parsed["Message-ID"] or "").strip() or None)
            self.messages[msg.id] = msg
            self._event(msg.id, True)
            if not self.notifications_lost:
                for sub in self.subscriptions.values():
                    self.post_to(sub, {"subscriptionId": sub["id"], "clientState": sub["clientState"],
                                       "changeType": "created", "resource": f"Users/{self.user}/Messages/{msg.id}",
                                       "resourceData": {"@odata.type": "#Microsoft.Graph.Message", "id": msg.id}})
            return msg.id

    def post_to(self, sub: dict, item: dict, url_key: str = "notificationUrl") -> None:
        """POST one notification as Graph does: from elsewhere, soon, without waiting on us."""
        import requests

        def post() -> None:
            try:
                requests.post(sub[url_key], json={"value": [{**item, "tenantId": "fake"}]}, timeout=10)
            except requests.RequestException:
                pass

        threading.Thread(target=post, daemon=True).start()

    def lifecycle(self, event: str) -> None:
        for sub in list(self.subscriptions.values()):
            if event == "subscriptionRemoved":
                del self.subscriptions[sub["id"]]
            self.post_to(sub, {"subscriptionId": sub["id"], "clientState": sub["clientState"],
                               "lifecycleEvent": event}, "lifecycleNotificationUrl")

    def folder_ids(self, display: str) -> list[str]:
        """Message ids in a folder by display name ("Inbox", "processed", "Sent Items")."""
        with self.lock:
            fids = {fid for fid, (name, _p) in self.folders.items() if name.lower() == display.lower()}
            return [m.id for m in self.messages.values() if m.folder in fids]

    def expire_delta_tokens(self) -> None:
        with self.lock:
            self.oldest_token = self.seq + 1

    def expire_access_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def fault(self, match: str, **kw) -> Fault:  # noqa: ANN003
        with self.lock:
            self.faults.append(Fault(match, **kw))
            return self.faults[-1]

    def received(self) -> list[tuple[list[str], email.message.EmailMessage]]:
        """Mail delivered to its recipients (Bcc removed), like ``smtp_server.received``."""
        return [(rcpts, email.message_from_bytes(raw, policy=policy.default)) for rcpts, raw in self.sent]

    def count(self, method: str, path_part: str) -> int:
        return sum(1 for m, p, _s in self.log if m == method and path_part in p)

    # -- internals ------------------------------------------------------------

    def _event(self, mid: str, inside: bool) -> None:
        self.seq += 1
        self.events.append((self.seq, mid, inside))

    def _inbox_at(self, seq: int) -> dict[str, None]:
        members: dict[str, None] = {}
        for s, mid, inside in self.events:
            if s > seq:
                break
            if inside:
                members[mid] = None
            else:
                members.pop(mid, None)
        return members

    def _delta_items(self, since: int | None, upto: int) -> list[dict]:
        now = self._inbox_at(upto)
        before = self._inbox_at(since) if since is not None else {}
        items: list[dict] = []
        for mid in now:
            if mid not in before:
                m = self.messages.get(mid)
                items.append({"@odata.type": "#microsoft.graph.message", "@odata.etag": f'W/"{mid}"',
                              "id": mid, "receivedDateTime": m.received if m else None})
        for mid in before:
            if mid not in now:
                items.append({"@odata.type": "#microsoft.graph.message", "id": mid,
                              "@removed": {"reason": "deleted"}})
        return items


def _error(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message,
                      "innerError": {"date": "2026-02-16T09:00:00", "request-id": "00000000-fake"}}}


def sendmail_recipients(raw: bytes) -> list[str]:
    msg = email.message_from_bytes(raw, policy=policy.default)
    return [a.lower() for _n, a in getaddresses([str(v) for h in ("To", "Cc", "Bcc") for v in msg.get_all(h, [])])]

