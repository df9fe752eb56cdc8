"""A database failure while the pack is made is the database's, not the pack's."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from mailbot.pack import send


def test_a_database_failure_is_not_reported_as_a_pack_that_could_not_be_made(monkeypatch):
    def database_gone(*_args, **_kwargs):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    told: list[str] = []
    monkeypatch.setattr(send, "send_pack", database_gone)
    monkeypatch.setattr(send, "notify_business_managers", lambda *a, **k: told.append(k["headline"]))
    monkeypatch.setattr(send, "audit", lambda *a, **k: told.append("audit"))
    with pytest.raises(OperationalError):
        send.pack_safely(None, None, None, "all_returns_in")  # type: ignore[arg-type]
    assert told == []  # nobody is told the pack failed: the step is rolled back and tried again


def test_a_pack_that_cannot_be_made_still_tells_the_business_managers(monkeypatch):
    class Case:
        reference = "WS-2026-0001"
        records: list = []

    class Rt:
        slug = "west-sussex"

    def broken_template(*_args, **_kwargs):
        raise ValueError("broken template")

    told: list[str] = []
    monkeypatch.setattr(send, "send_pack", broken_template)
    monkeypatch.setattr(send, "notify_business_managers", lambda *a, **k: told.append(k["headline"]))
    monkeypatch.setattr(send, "audit", lambda *a, **k: told.append("audit"))
    assert send.pack_safely(None, Rt(), Case(), "all_returns_in") is None  # type: ignore[arg-type]
    assert told == ["audit", "The scoping pack could not be made"]
