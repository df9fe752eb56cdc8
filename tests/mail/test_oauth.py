"""MsalClientCredentialsProvider with real msal and a fake HTTP client (no network)."""

from __future__ import annotations

import json
import os
import stat
from urllib.parse import parse_qs

import pytest

from mailbot.errors import MailboxAuthError, MailboxError
from mailbot.mailbox.oauth import MsalClientCredentialsProvider, StaticTokenProvider, TokenProvider, xoauth2_string

TENANT = "00000000-0000-4000-8000-000000000001"  # fictional
CLIENT = "00000000-0000-4000-8000-000000000002"


class _Response:
    def __init__(self, status: int, body: dict) -> None:
        self.status_code = status
        self.text = json.dumps(body)
        self.headers = {"content-type": "application/json"}

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise RuntimeError(f"HTTP {self.status_code}")


class FakeEntra:
    """Answers msal's discovery GETs and token POSTs as login.microsoftonline.com does."""

    def __init__(self) -> None:
        self.token_requests: list[dict] = []
        self.refuse = False
        self.down = False
        self.issued = 0

    def get(self, url, params=None, headers=None, **kwargs):
        if self.down:
            raise ConnectionError("network down")
        base = f"https://login.microsoftonline.com/{TENANT}"
        if "openid-configuration" in url:
            return _Response(200, {
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "issuer": f"https://login.microsoftonline.com/{TENANT}/v2.0",
            })
        if "discovery/instance" in url:
            return _Response(200, {"tenant_discovery_endpoint": f"{base}/v2.0/.well-known/openid-configuration",
                                   "metadata": []})
        raise AssertionError(f"unexpected GET {url}")

    def post(self, url, params=None, data=None, headers=None, **kwargs):
        if self.down:
            raise ConnectionError("network down")
        assert url.endswith("/oauth2/v2.0/token"), url
        form = data if isinstance(data, dict) else {k: v[0] for k, v in parse_qs(data).items()}
        self.token_requests.append(form)
        if self.refuse:
            return _Response(401, {"error": "invalid_client",
                                   "error_description": "AADSTS7000215: Invalid client secret."})
        self.issued += 1
        return _Response(200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                               "access_token": f"access-token-{self.issued}"})

    def close(self) -> None:
        pass


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def _provider(tmp_path, entra, clock=None):
    return MsalClientCredentialsProvider(
        TENANT, CLIENT, "fictional-secret", token_cache_path=tmp_path / "token-cache.json",
        http_client=entra, clock=clock or Clock(),
    )


def test_token_is_fetched_once_cached_and_persisted_0600(tmp_path):
    entra = FakeEntra()
    provider = _provider(tmp_path, entra)
    assert isinstance(provider, TokenProvider)
    assert provider.get_token() == "access-token-1"
    assert provider.get_token() == "access-token-1"
    assert len(entra.token_requests) == 1
    form = entra.token_requests[0]
    assert form["grant_type"] == "client_credentials"
    assert form["scope"] == "https://outlook.office365.com/.default"

    cache = tmp_path / "token-cache.json"
    assert stat.S_IMODE(os.stat(cache).st_mode) == 0o600
    assert "access-token-1" in cache.read_text()
    mtime = cache.stat().st_mtime_ns

    # a restarted daemon reads the file and does not ask Entra again
    again = _provider(tmp_path, entra)
    assert again.get_token() == "access-token-1"
    assert len(entra.token_requests) == 1
    assert cache.stat().st_mtime_ns == mtime  # unchanged state: not rewritten


def test_asks_msal_again_near_expiry(tmp_path):
    entra, clock = FakeEntra(), Clock()
    provider = _provider(tmp_path, entra, clock)
    assert provider.get_token() == "access-token-1"
    calls = []
    real = provider._app.acquire_token_for_client
    provider._app.acquire_token_for_client = lambda **kw: calls.append(kw) or real(**kw)
    clock.now += 3000  # 599s left: outside the 300s margin, the in-memory token serves
    provider.get_token()
    assert calls == []
    clock.now += 400  # 199s left: inside the margin, msal is asked (it refreshes when due)
    provider.get_token()
    assert len(calls) == 1


def test_refusal_is_auth_error_and_outage_is_mailbox_error(tmp_path):
    entra = FakeEntra()
    entra.refuse = True
    with pytest.raises(MailboxAuthError) as info:
        _provider(tmp_path / "refused", entra).get_token()
    assert "invalid_client" in str(info.value)
    assert "secret" not in str(info.value).lower()

    entra = FakeEntra()
    entra.down = True
    provider = _provider(tmp_path, entra)  # constructing needs no network
    with pytest.raises(MailboxError) as down:
        provider.get_token()
    assert not isinstance(down.value, MailboxAuthError)


def test_static_provider_and_xoauth2_string():
    assert StaticTokenProvider("t").get_token() == "t"
    assert xoauth2_string("bot@lscb.example", "t") == "user=bot@lscb.example\x01auth=Bearer t\x01\x01"
