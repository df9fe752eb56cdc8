"""``mailbot pack CASE``: make a case's scoping pack and send it to the sub-group chair.

The same pack the bot sends when every agency has answered, on request: it
goes to the board's pack recipients (the sub-group chair by default), the
business managers copied, and is sent at once. A pack whose contents have
not changed since it last went is not sent again (the command says when it
went). ``--out`` also writes the files to a folder; ``--preview`` only
writes them and sends nothing. ``--on DATE`` sends nothing now: it sets the
date the pack goes (as a business manager's ``PACK <ref> ON <date>`` email
does), replacing any date set before.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from sqlalchemy import select

from mailbot.commands import _common
from mailbot.config import load_board
from mailbot.errors import MailbotError
from mailbot.files import write_private
from mailbot.runtime import BoardRuntime, SystemClock, build_runtime
from mailbot.store.db import Store
from mailbot.store.models import Case


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("pack", help="make a case's scoping pack and send it to the sub-group chair",
                       description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("case", metavar="CASE", help="the case reference, e.g. WS-2026-0001")
    p.add_argument("--out", help="also write the pack's files into this folder")
    p.add_argument("--preview", action="store_true", help="write the files (to --out, default .) and send nothing")
    p.add_argument("--on", metavar="DATE",
                   help="send it on this date instead (12/03/2026 or '12 March 2026'), unless every agency answers first")
    p.set_defaults(func=run)


class NoMailbox:
    """Commands that act on one case never read the mailbox."""

    def close(self) -> None:
        """Nothing was opened."""


class NoSender:
    def send(self, message, recipients) -> None:  # noqa: ANN001
        raise MailbotError("this command sends nothing")

    def close(self) -> None:
        """Nothing was opened."""


def case_runtime(args: argparse.Namespace, store: Store, reference: str, send: bool) -> tuple[BoardRuntime, int]:
    """The runtime of the board a case belongs to, and the case's id."""
    with store.session() as s:
        case = s.scalar(select(Case).where(Case.reference == reference.strip().upper()))
        if case is None:
            raise MailbotError(f"no case {reference!r} in the database")
        slug, case_id = case.board, case.id
    settings = _common.settings(args)
    board = load_board(slug, settings.config_dir)
    rt = build_runtime(board, store, settings.data_dir, SystemClock(), mailbox=NoMailbox(),  # type: ignore[arg-type]
                       sender=None if send else NoSender())  # type: ignore[arg-type]
    return rt, case_id


def _write(folder: Path, files: list[tuple[str, bytes]]) -> None:
    for name, data in files:
        write_private(folder / name, data)
        print(f"  wrote {folder / name}")


def _set_date(store: Store, rt: BoardRuntime, case_id: int, written: str) -> int:
    from mailbot.pack.scheduled import set_pack_date

    try:
        with store.transaction() as s:
            got = set_pack_date(s, rt, s.get(Case, case_id), written, "an administrator (mailbot pack --on)")
    finally:
        rt.close()
    if not got.ok:
        raise MailbotError(got.line)
    print(got.line)
    return 0


def run(args: argparse.Namespace) -> int:
    from mailbot.outbound.outbox import deliver_pending
    from mailbot.pack.build import build_pack
    from mailbot.pack.send import send_pack

    if args.on is not None and (args.preview or args.out):
        raise MailbotError("--on sets the date the pack goes; it cannot be combined with --preview or --out")
    store = _common.store(args)
    try:
        rt, case_id = case_runtime(args, store, args.case, send=not args.preview and args.on is None)
        if args.on is not None:
            return _set_date(store, rt, case_id, args.on)
        if args.preview:
            with store.session() as s:
                built = build_pack(s, rt, s.get(Case, case_id), "A preview: this pack has not been sent.")
            chron = built.chronology
            print(f"Scoping pack for {args.case.upper()} as it stands (a preview): {len(chron.dated)} dated and "
                  f"{len(chron.undated)} undated rows; nothing sent.")
            _write(Path(args.out or "."), [(f.filename, f.data) for f in built.files])
            return 0
        with store.transaction() as s:
            case = s.get(Case, case_id)
            result = send_pack(s, rt, case, "request_cli")
            reference = case.reference
        if result.status == "unchanged":
            print(f"{reference}: nothing has changed since version {result.version} of the scoping pack went on "
                  f"{result.sent_on:%d/%m/%Y} to {', '.join(result.recipients)}; it is not sent twice.")
        else:
            sent, failed = deliver_pending(store, rt.sender, rt.slug, dt.datetime.now(dt.timezone.utc))
            print(f"{reference}: scoping pack version {result.version} sent to {', '.join(result.recipients)} "
                  f"({result.rows} dated and {result.undated} undated rows, {result.groups} same-event groups, "
                  f"{len(result.missing)} agencies missing); outbox: {sent} sent, {failed} failed.")
        if args.out and result.files:
            _write(Path(args.out), result.files)
        elif args.out:
            print("  Nothing was sent, so nothing was written: use --preview --out DIR for the files.")
        rt.close()
    finally:
        store.dispose()
    return 0
