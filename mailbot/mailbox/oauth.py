"""OAuth2 access tokens for IMAP and SMTP (Microsoft 365 client credentials).

Microsoft 365 no longer accepts passwords over IMAP/SMTP: the bot signs in as
an Entra ID application and presents a bearer token with SASL XOAUTH2. The
token cache lives in a file only the daemon's user can read (mode 0600) so a
restart does not need a new token, and it is rewritten only when msal says
its state changed.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence, runtime_checkable

from mailbot.errors import MailboxAuthError, MailboxError

log = logging.getLogger("mailbot.inbound")

M365_IMAP_SCOPES = ("https://outlook.office365.com/.default",)


@runtime_checkable
class TokenProvider(Protocol):
    """Gives a currently valid bearer token.

    Raises ``MailboxAuthError`` when the identity provider refuses us and
    ``MailboxError`` when it cannot be reached.
    """

    def get_token(self) -> str: ...


class StaticTokenProvider:
    """A fixed token (tests, or a token minted by something else)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def get_token(self) -> str:
        return self._token


def xoauth2_string(user: str, token: str) -> str:
    """The SASL XOAUTH2 initial response, before base64."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


class MsalClientCredentialsProvider:
    """Client-credentials flow with msal and a persisted token cache.

    ``client_credential`` is a client secret string, or msal's certificate
    dict (``{"private_key": ..., "thumbprint": ...}``). ``http_client`` is
    handed to msal (tests pass a fake; nothing else needs it). The msal app
    is built on first use, because building it already talks to Entra and a
    daemon must be able to start while the network is down.
    """

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        client_credential: str | dict[str, Any],
        scopes: Sequence[str] = M365_IMAP_SCOPES,
        token_cache_path: str | os.PathLike[str] | None = None,
        *,
        authority_host: str = "https://login.microsoftonline.com",
        refresh_margin: float = 300.0,
        http_client: Any = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        import msal

        self.scopes = list(scopes)
        self.cache_path = Path(token_cache_path) if token_cache_path else None
        self.refresh_margin = refresh_margin
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        self._cache = msal.SerializableTokenCache()
        if self.cache_path is not None and self.cache_path.exists():
            try:
                self._cache.deserialize(self.cache_path.read_text())
            except (OSError, ValueError) as err:
                log.warning("token cache %s unreadable, starting empty: %s",
                            self.cache_path, type(err).__name__)
        self._app_args: dict[str, Any] = dict(
            client_id=client_id,
            client_credential=client_credential,
            authority=f"{authority_host.rstrip('/')}/{tenant_id}",
            token_cache=self._cache,
        )
        if http_client is not None:
            self._app_args["http_client"] = http_client
        self._app: Any = None

    def get_token(self) -> str:
        with self._lock:
            if self._token and self._clock() < self._expires_at - self.refresh_margin:
                return self._token
            try:
                if self._app is None:
                    import msal

                    self._app = msal.ConfidentialClientApplication(**self._app_args)
                result = self._app.acquire_token_for_client(scopes=self.scopes)
            except OSError as err:  # requests' errors are OSErrors too
                raise MailboxError(f"identity provider unreachable: {type(err).__name__}") from err
            except ValueError as err:  # msal: authority or credential unusable
                raise MailboxAuthError(f"Microsoft sign-in settings refused: {type(err).__name__}") from err
            if not result or "access_token" not in result:
                code = (result or {}).get("error", "no_token")
                raise MailboxAuthError(f"Microsoft sign-in refused: {code}")
            self._token = result["access_token"]
            self._expires_at = self._clock() + float(result.get("expires_in", 0))
            self._persist()
            return self._token

    def invalidate(self) -> None:
        """Forget the current token (the server refused it early: revoked, or clocks apart).

        msal would hand the same token back from its cache, so its access
        tokens go too; the next ``get_token`` signs in again.
        """
        with self._lock:
            self._token, self._expires_at = None, 0.0
            for item in list(self._cache.search(self._cache.CredentialType.ACCESS_TOKEN)):
                self._cache.remove_at(item)

    def _persist(self) -> None:
        """Write the cache atomically, 0600 from the first byte, only when it changed."""
        if self.cache_path is None or not self._cache.has_state_changed:
            return
        tmp = self.cache_path.with_name(self.cache_path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # O_CREAT's mode does not apply to an existing file
        with os.fdopen(fd, "w") as fh:
            fh.write(self._cache.serialize())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.cache_path)
        self._cache.has_state_changed = False
        log.debug("token cache written to %s", self.cache_path)
