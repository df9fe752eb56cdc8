"""Fixtures for due work: the sample board on a fixed clock, moved by London time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from mailbot.demo.mailbox import deliver
from mailbot.config import load_board
from mailbot.daemon import drain, one_pass
from mailbot.runtime import BoardRuntime, FixedClock, build_runtime
from mailbot.store.models import Case, OutboxMail
from tests.conftest import REPO, SAMPLES

LONDON = ZoneInfo("Europe/London")
REFERRAL = "06-referral-outlook.eml"
UNKNOWN_SENDER = "14-unknown-sender-referral.eml"


def london(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LONDON).astimezone(dt.timezone.utc)


def days(first: dt.date, last: dt.date):
    d = first
    while d <= last:
        yield d
        d += dt.timedelta(days=1)


class Board:
    """One board's database, with runtimes built on it as a daemon would (and re-built on restart)."""

    def __init__(self, store, data_dir: Path, start: dt.datetime) -> None:
        self.store = store
        self.data_dir = data_dir
        self.clock = FixedClock(start)
        self.board = load_board("west-sussex", REPO / "config")
        self.rt = self.restart()

    def restart(self) -> BoardRuntime:
        """New runtime objects on the same database and mail folders (a daemon restart)."""
        self.rt = build_runtime(self.board, self.store, self.data_dir, self.clock)
        return self.rt

    def at(self, when: dt.datetime) -> BoardRuntime:
        self.clock.set(when)
        return self.rt

    def deliver(self, *names: str, start: int = 1_700_000_000) -> None:
        raws = [(SAMPLES / "emails" / n).read_bytes() for n in names]
        deliver(self.data_dir / "mail" / self.board.slug / "inbox", raws, start=start)
        while drain(self.rt).handled:
            pass

    def one_pass(self) -> None:
        one_pass(self.rt)

    def outbox(self, *kinds: str) -> list[OutboxMail]:
        with self.store.session() as s:
            q = select(OutboxMail).order_by(OutboxMail.id)
            if kinds:
                q = q.where(OutboxMail.kind.in_(kinds))
            return list(s.scalars(q))

    def case(self, reference: str) -> Case:
        with self.store.session() as s:
            case = s.scalar(select(Case).where(Case.reference == reference))
            assert case is not None
            case.requests  # noqa: B018 (load while the session is open)
            return case


@pytest.fixture
def make_board(store, tmp_path: Path):
    def make(start: dt.datetime) -> Board:
        return Board(store, tmp_path / "data", start)
    return make
