"""The board mailbox over IMAP (Dovecot, Microsoft 365, any IMAP4rev1 server).

Reading never sets \\Seen (``BODY.PEEK[]``): people share this mailbox and
the database ledger, not flags, says what was handled. UIDs are only
meaningful together with the folder's UIDVALIDITY, so every ``MailRef``
carries it and a checkpoint from another UIDVALIDITY is ignored (the ledger
dedupes the rescan). Connection drops are expected — servers restart, NATs
forget idle sockets — so every server call goes through ``_run``, which
reconnects with capped exponential backoff and jitter. A refused sign-in is
different: it raises ``MailboxAuthError`` at once, because retrying a bad
password only locks the account.
"""

from __future__ import annotations

import imaplib
import logging
import random
import socket
import ssl
import threading
import time
from datetime import datetime, timezone
from typing import Callable, Iterator, TypeVar

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from mailbot.errors import MailboxAuthError, MailboxError
from mailbot.mailbox.base import Folder, IncomingMessage, MailRef
from mailbot.mailbox.oauth import TokenProvider
from mailbot.mailbox.security import insecure_reason
from mailbot.tls import default_context

log = logging.getLogger("mailbot.inbound")

T = TypeVar("T")
DEFAULT_PORTS = {"tls": 993, "starttls": 143, "plain": 143}
IDLE_RENEW = 25 * 60.0  # RFC 2177: re-issue IDLE well before 29 minutes
#: How often an IDLE wait looks whether it was interrupted (``interrupt``: the daemon stopping).
INTERRUPT_CHECK = 0.25
# What a dropped or broken connection looks like from imaplib/imapclient.
_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError, socket.timeout, ssl.SSLError, imaplib.IMAP4.abort, EOFError,
)


class _Dropped(Exception):
    """The server said BYE or closed the socket."""


def _reported_new_mail(client: IMAPClient) -> bool:
    """Whether the server announced mail in an earlier command's answer; taken, so told once.

    Mail delivered while we MOVE (or FETCH) is announced by an untagged
    EXISTS in that command's response, which imaplib files away; IDLE then
    never announces it again, and the message would wait for the next
    timeout.
    """
    untagged = client._imap.untagged_responses
    exists, recent = untagged.pop("EXISTS", None), untagged.pop("RECENT", None)
    return bool(exists or recent)


def _data_waiting(client: IMAPClient) -> bool:
    """True if a server response is already read off the socket.

    ``idle_check`` polls the socket, but Dovecot can send "* 1 EXISTS" in the
    same packet as "+ idling": imaplib has buffered it, the socket is quiet,
    and the news would wait for the next packet. ``peek`` on a non-blocking
    socket returns what is buffered without waiting for more.
    """
    sock = client.socket()
    old_timeout = sock.gettimeout()
    sock.setblocking(False)
    try:
        return bool(client._imap.file.peek(1))
    except (BlockingIOError, ssl.SSLWantReadError):
        return False
    finally:
        sock.settimeout(old_timeout)


def _move_present(client: IMAPClient, uids: list[int], target: str, name: str) -> int:
    """MOVE ``uids``; those no longer in the inbox (moved or deleted by someone else) are left be.

    The daemon moves only messages the ledger holds as handled, so one that
    is already gone has nothing left to do: it is settled, not an outage.
    A server refuses the MOVE of a message expunged under it (Dovecot: NO
    [EXPUNGEISSUED]); then the ones still there are moved. Returns how many moved.
    """
    try:
        client.move(uids, target)
        return len(uids)
    except IMAPClientError:
        present = set(client.search(["UID", ",".join(str(u) for u in uids)]))
        rest = [u for u in uids if u in present]
        if len(rest) == len(uids):
            raise  # all still there: the refusal was about something else
    if rest:
        client.move(rest, target)
    log.info("imap %s: %d handled message(s) were already gone from the inbox", name, len(uids) - len(rest))
    return len(rest)


class ImapMailbox:
    """``Mailbox`` over IMAP with imapclient."""

    def __init__(
        self,
        name: str,
        host: str,
        port: int | None = None,
        *,
        username: str,
        password: str | None = None,
        token_provider: TokenProvider | None = None,
        security: str = "tls",
        allow_insecure: bool = False,
        ssl_context: ssl.SSLContext | None = None,
        inbox: str = "INBOX",
        processed_folder: str = Folder.PROCESSED.value,
        needs_attention_folder: str = Folder.NEEDS_ATTENTION.value,
        batch_size: int = 25,
        timeout: float = 60.0,
        poll_interval: float = 60.0,
        use_idle: bool = True,
        max_attempts: int = 6,
        backoff_initial: float = 1.0,
        backoff_max: float = 300.0,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
        rng: random.Random | None = None,
    ) -> None:
        reason = insecure_reason(host, security, ("starttls", "plain"), allow_insecure)
        if reason:
            raise MailboxError(f"IMAP settings for {name} refused: {reason}")
        if (password is None) == (token_provider is None):
            raise MailboxError(f"IMAP settings for {name} refused: give a password or a token provider")
        self.name = name
        self.host = host
        self.port = port or DEFAULT_PORTS[security]
        self.username = username
        self._password = password
        self._token_provider = token_provider
        self.security = security
        self._ssl_context = ssl_context or default_context()
        self.inbox = inbox
        self.folders = {Folder.PROCESSED: processed_folder, Folder.NEEDS_ATTENTION: needs_attention_folder}
        self.batch_size = batch_size
        self.timeout = timeout
        self.poll_interval = poll_interval
        self.max_attempts = max_attempts
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self._sleep = sleep
        self.use_idle = use_idle
        self._now = now
        self._rng = rng or random.Random()
        self._client: IMAPClient | None = None
        self._failures = 0  # consecutive, drives the backoff
        self._announced = False  # the last IDLE ended on the server's news: no NOOP needed
        self._interrupted = threading.Event()  # ``interrupt``: the current or next wait ends at once
        self.uidvalidity: int | None = None
        self.last_success: datetime | None = None

    # -- connection ---------------------------------------------------------

    def _connect(self) -> IMAPClient:
        client = IMAPClient(self.host, self.port, ssl=self.security == "tls",
                            ssl_context=self._ssl_context, timeout=self.timeout)
        try:
            if self.security == "starttls":
                client.starttls(self._ssl_context)
            try:
                if self._token_provider is not None:
                    client.oauth2_login(self.username, self._token_provider.get_token())
                else:
                    client.login(self.username, self._password or "")
            except LoginError as err:
                raise MailboxAuthError(f"IMAP server refused the sign-in for mailbox {self.name}") from err
            existing = {name for _, _, name in client.list_folders()}
            for folder in self.folders.values():
                if folder not in existing:
                    client.create_folder(folder)
                    log.info("imap %s: created folder %s", self.name, folder)
            selected = client.select_folder(self.inbox)
        except BaseException:
            client.shutdown()
            raise
        uidvalidity = int(selected[b"UIDVALIDITY"])
        if self.uidvalidity is not None and uidvalidity != self.uidvalidity:
            log.warning("imap %s: UIDVALIDITY of %s changed (%s -> %s)",
                        self.name, self.inbox, self.uidvalidity, uidvalidity)
        self.uidvalidity = uidvalidity
        log.info("imap %s: connected to %s:%d, %s has %s message(s)",
                 self.name, self.host, self.port, self.inbox, selected.get(b"EXISTS"))
        return client

    def _backoff(self) -> float:
        base = min(self.backoff_max, self.backoff_initial * 2 ** (self._failures - 1))
        return base * self._rng.uniform(0.5, 1.0)

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.shutdown()
            except _CONNECTION_ERRORS + (IMAPClientError,):
                pass

    def _run(self, op: Callable[[IMAPClient], T]) -> T:
        """Run ``op`` on a live connection, reconnecting with backoff on drops."""
        while True:
            try:
                if self._client is None:
                    if self._failures:
                        delay = self._backoff()
                        log.info("imap %s: reconnecting in %.1fs (attempt %d)",
                                 self.name, delay, self._failures + 1)
                        self._pause(delay)
                    self._client = self._connect()
                result = op(self._client)
            except MailboxError:
                self._drop()
                raise
            except _CONNECTION_ERRORS + (_Dropped,) as err:
                self._drop()
                self._failures += 1
                log.warning("imap %s: connection lost (%s), failure %d of %d",
                            self.name, type(err).__name__, self._failures, self.max_attempts)
                if self._failures >= self.max_attempts:
                    raise MailboxError(
                        f"IMAP server {self.host}:{self.port} unreachable after {self._failures} attempts"
                    ) from err
                continue
            except IMAPClientError as err:
                # The server answered NO/BAD: the connection is fine, the request was not.
                raise MailboxError(f"IMAP server refused a request for mailbox {self.name}: "
                                   f"{type(err).__name__}") from err
            self._failures = 0
            self.last_success = self._now()
            return result

    def _pause(self, seconds: float) -> None:
        """Sleep, or less if ``interrupt`` is called (with the real clock; tests inject ``sleep``)."""
        if self._sleep is time.sleep:
            self._interrupted.wait(seconds)
        else:
            self._sleep(seconds)

    def interrupt(self) -> None:
        """End the wait under way, or the next one, at once (from any thread): the daemon is stopping.

        Not part of the ``Mailbox`` protocol: the daemon calls it where a
        backend has it, and waits in short slices on one that has not.
        """
        self._interrupted.set()

    # -- the Mailbox protocol -----------------------------------------------

    def fetch_new(self, limit: int | None = None, after: MailRef | None = None) -> Iterator[IncomingMessage]:
        """Inbox messages oldest first; with ``after``, only UIDs above its checkpoint.

        ``after`` is the last ``MailRef`` the caller handled; it is ignored when
        its UIDVALIDITY is not the inbox's current one (everything is offered again).
        """
        def search(client: IMAPClient) -> list[int]:
            if not self._announced:
                # A server answers SEARCH from the mailbox as it last reported it: mail
                # delivered since then is only seen after a sync (RFC 3501 5.2), so a
                # polling pass would find it a poll late. NOOP is that sync; an IDLE
                # that just announced new mail has done it already.
                client.noop()
            self._announced = False
            _reported_new_mail(client)  # what SEARCH is about to find needs no wake-up later
            criteria: list[str] = ["NOT", "DELETED"]
            if after is not None and after.uidvalidity == str(self.uidvalidity):
                criteria += ["UID", f"{int(after.uid) + 1}:*"]
            uids = sorted(int(u) for u in client.search(criteria))
            if after is not None and after.uidvalidity == str(self.uidvalidity):
                uids = [u for u in uids if u > int(after.uid)]  # "n:*" always matches the last UID
            return uids

        uids = self._run(search)
        if limit is not None:
            uids = uids[:limit]
        log.debug("imap %s: %d message(s) to fetch", self.name, len(uids))
        for start in range(0, len(uids), self.batch_size):
            batch = uids[start:start + self.batch_size]
            fetched, uidvalidity = self._run(lambda c: (c.fetch(batch, ["BODY.PEEK[]"]), self.uidvalidity))
            for uid in batch:
                data = fetched.get(uid)
                if data is None or b"BODY[]" not in data:
                    continue  # expunged between SEARCH and FETCH
                ref = MailRef(self.name, self.inbox, str(uid), str(uidvalidity))
                yield IncomingMessage(ref, bytes(data[b"BODY[]"]))

    def move(self, ref: MailRef, folder: Folder) -> None:
        target = self.folders[Folder(folder)]

        def do_move(client: IMAPClient) -> bool:
            if ref.uidvalidity is not None and ref.uidvalidity != str(self.uidvalidity):
                return False
            uid = int(ref.uid)
            if client.has_capability("MOVE"):
                _move_present(client, [uid], target, self.name)
            else:
                if not client.search(["UID", str(uid)]):
                    return True  # already gone: nothing to copy
                client.copy([uid], target)
                client.add_flags([uid], [b"\\Deleted"], silent=True)
                if client.has_capability("UIDPLUS"):
                    client.uid_expunge([uid])
                else:
                    client.expunge()
            return True

        if self._run(do_move):
            log.info("imap %s: moved uid %s to %s", self.name, ref.uid, target)
        else:
            log.warning("imap %s: not moving uid %s, its UIDVALIDITY %s is stale",
                        self.name, ref.uid, ref.uidvalidity)

    def move_many(self, moves: list[tuple[MailRef, Folder]]) -> None:
        """Several handled messages, one MOVE command per folder (a round trip each, not per message).

        Without the server's MOVE extension each message is moved as ``move`` does.
        """
        client = self._run(lambda c: c)
        if not client.has_capability("MOVE"):
            for ref, folder in moves:
                self.move(ref, folder)
            return
        by_target: dict[str, list[int]] = {}
        for ref, folder in moves:
            if ref.uidvalidity is not None and ref.uidvalidity != str(self.uidvalidity):
                log.warning("imap %s: not moving uid %s, its UIDVALIDITY %s is stale",
                            self.name, ref.uid, ref.uidvalidity)
                continue
            by_target.setdefault(self.folders[Folder(folder)], []).append(int(ref.uid))
        for target, uids in by_target.items():
            moved = self._run(lambda c, uids=uids, target=target: _move_present(c, uids, target, self.name))
            log.info("imap %s: moved %d message(s) to %s", self.name, moved, target)

    def wait(self, timeout: float) -> bool:
        """IDLE until the server announces mail or ``timeout`` passes.

        Returns True on EXISTS/RECENT (at once if an earlier command's answer
        carried one), and also when the connection dropped, so the caller
        fetches at once (the fetch reconnects).
        """
        if self._interrupted.is_set():
            self._interrupted.clear()
            return False
        client = self._run(lambda c: c)
        if _reported_new_mail(client):  # may be stale: the fetch keeps its NOOP (_announced unset)
            return True
        if not self.use_idle or not client.has_capability("IDLE"):
            self._pause(min(timeout, self.poll_interval))
            self._interrupted.clear()
            return False
        deadline = time.monotonic() + timeout
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._interrupted.is_set():
                    self._interrupted.clear()
                    return False
                client.idle()
                try:
                    responses = [] if _data_waiting(client) else self._idle_check(
                        client, min(remaining, IDLE_RENEW))
                finally:
                    _, after_done = client.idle_done()
                for resp in responses + after_done:
                    if resp and resp[0] == b"BYE":
                        raise _Dropped()
                    if len(resp) > 1 and resp[1] in (b"EXISTS", b"RECENT"):
                        self.last_success = self._now()
                        self._announced = True
                        return True
                self.last_success = self._now()
        except _CONNECTION_ERRORS + (_Dropped, IMAPClientError) as err:
            log.warning("imap %s: connection lost while idle (%s)", self.name, type(err).__name__)
            self._drop()
            return True

    def _idle_check(self, client: IMAPClient, timeout: float) -> list:
        """The server's responses within ``timeout``, looked for in short slices so ``interrupt`` ends it."""
        until = time.monotonic() + timeout
        while not self._interrupted.is_set():
            left = until - time.monotonic()
            if left <= 0:
                return []
            responses = client.idle_check(timeout=min(left, INTERRUPT_CHECK))
            if responses:
                return responses
        return []

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.logout()
            except _CONNECTION_ERRORS + (IMAPClientError,):
                client.shutdown()
