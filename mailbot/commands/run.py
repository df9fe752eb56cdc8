"""``mailbot run``: the daemon."""

from __future__ import annotations

import argparse
import logging
import signal
import threading

from mailbot.commands import _common

log = logging.getLogger("mailbot.daemon")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run the daemon for every configured board")
    p.add_argument("--board", help="run one board only")
    p.add_argument("--once", action="store_true", help="one pass over every mailbox, then exit")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mailbot.daemon import one_pass
    from mailbot.service import run as run_forever
    from mailbot.outbound.outbox import recover_interrupted
    from mailbot.runtime import build_runtime

    settings = _common.settings(args)
    store = _common.store(args)
    runtimes = [build_runtime(b, store, settings.data_dir) for b in _common.boards(args, args.board)]
    if args.once:
        from mailbot.store.leases import Leases, describe, holders, single_instance

        leases = Leases(store, force=single_instance(store))
        for hold in leases.acquire([rt.slug for rt in runtimes]):
            next(rt for rt in runtimes if rt.slug == hold.board).lease = hold
        rows = holders(store)
        for rt in runtimes:
            if rt.lease is None:
                print(f"{rt.slug}: skipped, held by {describe(rows[rt.slug].holder)}")
            else:
                recover_interrupted(rt.store, rt.slug, rt.now(), rt.lease)
                stats = one_pass(rt)
                print(f"{rt.slug}: handled {stats.handled} messages ({stats.held} held), sent {stats.sent} emails")
                leases.release(rt.lease)
            rt.close()
        return 0
    stop, reload_requested = threading.Event(), threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    if not args.board:  # one board named on the command line: nothing to reload
        signal.signal(signal.SIGHUP, lambda *_: reload_requested.set())
    log.info("mailbot running for %d board(s)", len(runtimes))
    run_forever(runtimes, stop, reload=lambda running: _reload(args, store, settings.data_dir, running),
                reload_requested=reload_requested)
    return 0


def _reload(args: argparse.Namespace, store, data_dir, running: set[str]):  # noqa: ANN001, ANN202
    """SIGHUP: the boards now in ``config/boards/`` against those running (new runtimes, removed slugs).

    A board file that no longer loads raises ``ConfigError``: nothing changes
    and the service goes on with the boards it has.
    """
    from mailbot.runtime import build_runtime

    boards = {b.slug: b for b in _common.boards(args)}
    added = [build_runtime(boards[slug], store, data_dir) for slug in sorted(set(boards) - running)]
    return added, running - set(boards)
