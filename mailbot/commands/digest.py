"""``mailbot digest``: preview a board's daily digest without sending it."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from mailbot.commands import _common
from mailbot.errors import MailbotError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("digest", help="write a board's daily digest to a file (HTML and text) without sending it")
    p.add_argument("--board", required=True, help="the board's slug")
    p.add_argument("--preview", action="store_true", required=True,
                   help="write the digest to files; nothing is sent (the only mode)")
    p.add_argument("--out", help="HTML file to write (default ./digest-<board>-<date>.html); "
                                 "the plain-text part goes beside it as .txt")
    p.add_argument("--date", help="the digest of this day, YYYY-MM-DD (default today, London time)")
    p.set_defaults(func=run)


def _day(text: str | None, board) -> dt.date:  # noqa: ANN001
    if not text:
        return board.calendar.today(dt.datetime.now(dt.timezone.utc))
    try:
        return dt.date.fromisoformat(text)
    except ValueError as err:
        raise MailbotError(f"--date must be YYYY-MM-DD, not {text!r}") from err


def run(args: argparse.Namespace) -> int:
    from mailbot.runtime import FixedClock, build_runtime
    from mailbot.workflow import digest
    from mailbot.workflow.chasing import utc_at

    settings = _common.settings(args)
    board = _common.boards(args, args.board)[0]
    day = _day(args.date, board)
    store = _common.store(args)
    try:
        rt = build_runtime(board, store, settings.data_dir, FixedClock(dt.datetime.now(dt.timezone.utc)),
                           mailbox=_NoMailbox(), sender=_NoSender())  # type: ignore[arg-type]
        rt.clock.set(utc_at(rt, day, digest.digest_time(rt)))  # type: ignore[attr-defined]
        subject, text, html = digest.render(rt, day)
    finally:
        store.dispose()
    out = Path(args.out) if args.out else Path(f"digest-{board.slug}-{day.isoformat()}.html")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html or "", encoding="utf-8")
    out.with_suffix(".txt").write_text(f"Subject: {subject}\n\n{text}", encoding="utf-8")
    print(f"{subject}\nWrote {out} and {out.with_suffix('.txt')} (nothing was sent).")
    return 0


class _NoMailbox:
    """The preview reads the database only: no mailbox is opened."""

    def close(self) -> None:
        """Nothing was opened."""


class _NoSender:
    def send(self, message, recipients) -> None:  # noqa: ANN001
        raise MailbotError("the digest preview never sends")

    def close(self) -> None:
        """Nothing was opened."""
