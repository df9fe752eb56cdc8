"""Change notifications: Graph tells us the moment mail arrives, so the loop wakes at once.

Only where the deployment has a public HTTPS address that reaches this
daemon (a reverse proxy in front of ``listen``). The delta query stays the
source of truth: a notification only ends the wait early, so one lost,
late or forged costs nothing but a poll.

- ``NotificationListener`` answers Graph's validation request (the
  ``validationToken`` echoed as text/plain within seconds), accepts
  notifications whose ``clientState`` is ours (others are counted and
  ignored), and wakes the mailbox; lifecycle notifications
  (``reauthorizationRequired``, ``subscriptionRemoved``, ``missed``) are
  queued for the subscription keeper.
- ``Subscription`` keeps one subscription to the Inbox's new messages:
  made when missing, renewed (PATCH) well before it expires or when Graph
  asks, made again when Graph removed it. It is called from the board's
  loop on every wait (``due``), never from a timer, so a restart or a long
  outage changes nothing: the next wait puts it right.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import parse_qs, urlsplit

from mailbot.errors import MailboxError
from mailbot.mailbox.graph_client import GraphClient, GraphNotFound

log = logging.getLogger("mailbot.inbound")

#: How long a subscription is asked for (Outlook messages allow under 7 days) and when it is renewed.
LIFETIME = dt.timedelta(days=2)
RENEW_BEFORE = dt.timedelta(hours=12)


class NotificationListener:
    """The HTTP endpoint Graph posts to; ``woken`` is set by every genuine notification."""

    def __init__(self, client_state: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.client_state = client_state
        self.woken = threading.Event()
        self.lifecycle: list[str] = []
        self.refused = 0
        self._lock = threading.Lock()
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # noqa: ANN002 - our own logger says what matters
                pass

            def do_POST(self) -> None:
                token = parse_qs(urlsplit(self.path).query).get("validationToken")
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if token:  # Graph checks the endpoint before it makes or renews a subscription
                    self._answer(200, token[0].encode(), "text/plain")
                    return
                self._answer(202, b"", "text/plain")
                listener.take(body)

            def _answer(self, status: int, data: bytes, ctype: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="graph-notify", daemon=True)

    def start(self) -> NotificationListener:
        self._thread.start()
        return self

    def take(self, body: bytes) -> None:
        """One POST from Graph: wake for ours, queue lifecycle events, ignore the rest."""
        try:
            items = json.loads(body or b"{}").get("value", [])
        except (ValueError, AttributeError):
            items = []
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict) or item.get("clientState") != self.client_state:
                self.refused += 1
                log.warning("graph: a notification without our clientState was ignored")
                continue
            event = item.get("lifecycleEvent")
            if event:
                with self._lock:
                    self.lifecycle.append(str(event))
            if event in (None, "missed"):
                self.woken.set()

    def take_lifecycle(self) -> list[str]:
        with self._lock:
            events, self.lifecycle = self.lifecycle, []
        return events

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class Subscription:
    """One subscription to new messages in the Inbox, kept alive from the board's loop."""

    def __init__(self, client: GraphClient, listener: NotificationListener, public_url: str,
                 now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc)) -> None:
        self.client = client
        self.listener = listener
        self.public_url = public_url
        self._now = now
        self.id: str | None = None
        self.expires: dt.datetime | None = None

    def due(self) -> None:
        """Make, renew or remake the subscription if that is due now; a failure waits for the next call."""
        events = self.listener.take_lifecycle()
        try:
            if "subscriptionRemoved" in events:
                self.id = None
            if self.id is None:
                self._create()
            elif "reauthorizationRequired" in events or self.expires is None \
                    or self.expires - self._now() < RENEW_BEFORE:
                self._renew()
        except MailboxError as err:
            log.warning("graph: subscription not kept up (%s); polling meanwhile", type(err).__name__)

    def _expiry(self) -> str:
        return (self._now() + LIFETIME).astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _create(self) -> None:
        answer = self.client.request("POST", f"{self.client.endpoint}/subscriptions", json={
            "changeType": "created",
            "notificationUrl": self.public_url,
            "lifecycleNotificationUrl": self.public_url,
            "resource": f"users/{self.client.user}/mailFolders('inbox')/messages",
            "expirationDateTime": self._expiry(),
            "clientState": self.listener.client_state,
        }).json()
        self.id = answer["id"]
        self.expires = _parse(answer.get("expirationDateTime"))
        log.info("graph: subscribed to new mail until %s", self.expires)

    def _renew(self) -> None:
        try:
            answer = self.client.request("PATCH", f"{self.client.endpoint}/subscriptions/{self.id}",
                                         json={"expirationDateTime": self._expiry()}).json()
        except GraphNotFound:
            self.id = None  # expired or removed while we were away
            self._create()
            return
        self.expires = _parse(answer.get("expirationDateTime"))
        log.info("graph: subscription renewed until %s", self.expires)

    def close(self) -> None:
        if self.id is not None:
            with contextlib.suppress(MailboxError):  # if it cannot be deleted now, it expires by itself
                self.client.request("DELETE", f"{self.client.endpoint}/subscriptions/{self.id}")
            self.id = None


def _parse(value: str | None) -> dt.datetime | None:
    """Graph's ``2026-02-18T09:00:00.0000000Z`` (seven-digit fractions) as an aware datetime."""
    if not value:
        return None
    import re

    plain = re.sub(r"\.\d+", "", value).replace("Z", "+00:00")
    try:
        return dt.datetime.fromisoformat(plain)
    except ValueError:
        return None
