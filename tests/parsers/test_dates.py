"""Dates as forms write them, and as a PDF's text gives them back."""

from __future__ import annotations

import datetime as dt

import pytest

from parsers.values import parse_date


@pytest.mark.parametrize(("text", "iso"), [
    ("03/04/2026", "2026-04-03"), ("3/4/26", "2026-04-03"), ("03.04.2026", "2026-04-03"),
    ("3 April 2026", "2026-04-03"), ("3rd April 2026", "2026-04-03"),
    ("April 3, 2026", "2026-04-03"),
    ("December25, 2025", "2025-12-25"),  # a PDF's words run together
    ("25 December2025", "2025-12-25"),
])
def test_full_dates(text: str, iso: str) -> None:
    assert parse_date(text, today=dt.date(2026, 12, 7)) == dt.date.fromisoformat(iso)


@pytest.mark.parametrize("text", ["June 2014 approx", "Spring 2019", "N/K", "12 2019", "2019"])
def test_partial_dates_are_not_dates(text: str) -> None:
    assert parse_date(text) is None
