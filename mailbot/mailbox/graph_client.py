"""Microsoft Graph over HTTPS: one session, our token, Graph's retry rules, our errors.

The mailbox and the sender both speak to Graph through this one client, so
throttling, expired tokens and outages are handled in one place and in one
way. Graph asks a client that is throttled (429, or 503 while it is busy) to
wait for its ``Retry-After`` seconds; we do, up to ``max_attempts`` tries.
A 401 means our token expired or was revoked early: the token is dropped
and fetched again once. A connection that fails is retried with the same
capped, jittered backoff the IMAP mailbox uses, and after ``max_attempts``
the caller gets a ``MailboxError``, which the daemon tracks and alerts on.

A request that is not safe to repeat (``sendMail``) is never retried here
when its answer may have been lost after the request left: the caller gets
``GraphUncertain`` and settles it itself (the sender looks in Sent Items).

Every mailbox request carries ``Prefer: IdType="ImmutableId"`` so the id we
store for a message does not change when we move it to another folder.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from typing import Any, Callable

import requests

from mailbot.errors import MailboxAuthError, MailboxError
from mailbot.mailbox.oauth import TokenProvider

log = logging.getLogger("mailbot.inbound")

GRAPH_ENDPOINT = "https://graph.microsoft.com/v1.0"
GRAPH_SCOPES = ("https://graph.microsoft.com/.default",)
IMMUTABLE_IDS = 'IdType="ImmutableId"'
#: The longest ``Retry-After`` we honour in one wait; a longer one ends the attempt (the daemon backs off).
MAX_RETRY_AFTER = 120.0
_THROTTLED = (429, 503)


class GraphNotFound(MailboxError):
    """404: the item or folder is not there (moved away, deleted)."""


class GraphGone(MailboxError):
    """410: a delta link Graph no longer knows; start a full synchronisation."""


class GraphUncertain(MailboxError):
    """The request may have been carried out, but its answer was lost."""


class GraphRefused(MailboxError):
    """Graph answered no to this request (a 4xx other than 401/403/404/410)."""

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.status = status


@dataclass(frozen=True)
class GraphResponse:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        import json

        return json.loads(self.body or b"{}")


def _error_code(resp: requests.Response) -> str:
    """Graph's own error code (``ErrorAccessDenied``, ``SyncStateNotFound``…); never its message."""
    try:
        code = resp.json().get("error", {}).get("code")
    except ValueError:
        code = None
    return str(code) if code else f"HTTP {resp.status_code}"


def _retry_after(resp: requests.Response, fallback: float) -> float:
    try:
        return max(0.0, float(resp.headers.get("Retry-After", "")))
    except ValueError:
        return fallback


class GraphClient:
    """Requests to one Graph endpoint for one mailbox user, signed with our token."""

    def __init__(
        self,
        tokens: TokenProvider,
        user: str,
        *,
        endpoint: str = GRAPH_ENDPOINT,
        timeout: float = 60.0,
        max_attempts: int = 6,
        backoff_initial: float = 1.0,
        backoff_max: float = 300.0,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self._tokens = tokens
        self.user = user
        self.endpoint = endpoint.rstrip("/")
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._session = session or requests.Session()
        self.requests_made = 0  # every HTTP request sent (benchmarks count the idle cost)

    def url(self, path: str) -> str:
        """``path`` under this user (``mailFolders/inbox``), or an absolute link Graph gave us."""
        if path.startswith(("http://", "https://")):
            return path
        from urllib.parse import quote

        return f"{self.endpoint}/users/{quote(self.user, safe='@')}/{path.lstrip('/')}"

    def _backoff(self, failures: int) -> float:
        base = min(self.backoff_max, self.backoff_initial * 2 ** (failures - 1))
        return base * self._rng.uniform(0.5, 1.0)

    def _token(self) -> str:
        return self._tokens.get_token()

    def _drop_token(self) -> None:
        invalidate = getattr(self._tokens, "invalidate", None)
        if invalidate is not None:
            invalidate()

    def request(self, method: str, path: str, *, json: Any = None, data: bytes | None = None,
                params: dict[str, str] | None = None, headers: dict[str, str] | None = None,
                idempotent: bool = True, ok: tuple[int, ...] = (200, 201, 202, 204)) -> GraphResponse:
        """One Graph call with Graph's retry rules; raises only our own errors.

        ``idempotent=False``: a failure after the request may have left raises
        ``GraphUncertain`` at once instead of sending it again.
        """
        url = self.url(path)
        failures = 0
        renewed = False
        while True:
            hdrs = {"Authorization": f"Bearer {self._token()}", "Prefer": IMMUTABLE_IDS, **(headers or {})}
            try:
                self.requests_made += 1
                resp = self._session.request(method, url, json=json, data=data, params=params, headers=hdrs,
                                             timeout=self.timeout)
            except requests.RequestException as err:
                sent = not isinstance(err, (requests.ConnectTimeout,)) and not _refused(err)
                if not idempotent and sent:
                    raise GraphUncertain(f"Graph answer lost for {method} ({type(err).__name__})") from err
                failures += 1
                log.warning("graph: %s failed (%s), failure %d of %d", method, type(err).__name__,
                            failures, self.max_attempts)
                if failures >= self.max_attempts:
                    raise MailboxError(f"Microsoft Graph unreachable after {failures} attempts") from err
                self._sleep(self._backoff(failures))
                continue
            if resp.status_code in ok:
                return GraphResponse(resp.status_code, resp.content, dict(resp.headers))
            if resp.status_code == 401 and not renewed:
                log.info("graph: token refused (%s), signing in again", _error_code(resp))
                self._drop_token()
                renewed = True
                continue
            if resp.status_code == 503 and not idempotent and "Retry-After" not in resp.headers:
                # Throttling comes with Retry-After; a bare 503 may be a gateway that lost the answer.
                raise GraphUncertain(f"Graph answered 503 ({_error_code(resp)}) for {method}")
            if resp.status_code in _THROTTLED:
                failures += 1
                wait = _retry_after(resp, self._backoff(failures))
                log.warning("graph: %s throttled (%d), waiting %.1fs, failure %d of %d", method,
                            resp.status_code, wait, failures, self.max_attempts)
                if failures >= self.max_attempts or wait > MAX_RETRY_AFTER:
                    raise MailboxError(f"Microsoft Graph busy ({resp.status_code}, {_error_code(resp)}); "
                                       "trying again later")
                self._sleep(wait)
                continue
            if resp.status_code >= 500 and not idempotent:
                raise GraphUncertain(f"Graph answered {resp.status_code} ({_error_code(resp)}) for {method}")
            if resp.status_code >= 500:
                failures += 1
                if failures >= self.max_attempts:
                    raise MailboxError(f"Microsoft Graph failing ({resp.status_code}, {_error_code(resp)})")
                self._sleep(self._backoff(failures))
                continue
            raise _translate(resp, self.user)

    def close(self) -> None:
        self._session.close()


def _refused(err: requests.RequestException) -> bool:
    """The connection was never made, so nothing was sent (safe to try again)."""
    text = repr(err)
    return "NewConnectionError" in text or "Connection refused" in text or "NameResolutionError" in text


def _translate(resp: requests.Response, user: str) -> MailboxError:
    code = _error_code(resp)
    if resp.status_code in (401, 403):
        return MailboxAuthError(
            f"Microsoft Graph refused access to mailbox {user} ({resp.status_code} {code}): check admin "
            "consent for Mail.ReadWrite and Mail.Send and that the app's access scope includes this mailbox")
    if resp.status_code == 404:
        return GraphNotFound(f"Microsoft Graph: not found in mailbox {user} ({code})")
    if resp.status_code == 410:
        return GraphGone(f"Microsoft Graph: sync state expired ({code})")
    return GraphRefused(f"Microsoft Graph refused a request ({resp.status_code} {code})", resp.status_code)
