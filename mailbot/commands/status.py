"""``mailbot status``: each board's mailbox health, who works it, and what waits for a person.

Who works it: the instance (host and process) holding the board's lease
and its last heartbeat, by the database's clock; "held by nobody" with
the time since when, if no instance has it.
"""

from __future__ import annotations

import argparse
import datetime as dt

from sqlalchemy import func, select

from mailbot.commands import _common
from mailbot.store.leases import database_now, holders
from mailbot.store.models import BoardLease, MailboxStatus, MessageSeen, OutboxMail


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("status", help="last successful mailbox sync, pending mail, held messages")
    p.add_argument("--check", action="store_true",
                   help="exit 1 unless every board's mailbox synced recently (container health check)")
    p.add_argument("--max-age-minutes", type=int, default=30)
    p.set_defaults(func=run)


def _holder(lease: BoardLease | None, now: dt.datetime) -> str:
    """Who holds the board and how fresh its heartbeat is; or since when nobody has."""
    from mailbot.store.leases import describe

    if lease is None or lease.heartbeat_at is None:
        return "held by nobody yet (no instance has run it)"
    if lease.holder is None or lease.expires_at is None or lease.expires_at <= now:
        since = lease.expires_at or lease.heartbeat_at
        return (f"held by nobody since {since:%Y-%m-%d %H:%M:%S} UTC "
                f"(last: {describe(lease.holder) if lease.holder else 'released'})")
    age = (now - lease.heartbeat_at).total_seconds()
    return f"held by {describe(lease.holder)}, last heartbeat {lease.heartbeat_at:%H:%M:%S} UTC ({age:.0f}s ago)"


def run(args: argparse.Namespace) -> int:
    store = _common.store(args)
    try:
        return _report(args, store)
    finally:
        store.dispose()


def _report(args: argparse.Namespace, store) -> int:  # noqa: ANN001
    """One block per board; 1 with ``--check`` if any board's mailbox is stale."""
    boards = _common.boards(args)
    stale: list[str] = []
    limit = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(minutes=args.max_age_minutes)
    leases, db_now = holders(store), database_now(store)
    with store.session() as s:
        for b in boards:
            st = s.get(MailboxStatus, b.slug)
            held = s.scalar(select(func.count()).select_from(MessageSeen).where(
                MessageSeen.board == b.slug, MessageSeen.outcome == "needs-attention",
                MessageSeen.resolved_at.is_(None))) or 0
            pending = s.scalar(select(func.count()).select_from(OutboxMail).where(
                OutboxMail.board == b.slug, OutboxMail.status.in_(["pending", "sending"]))) or 0
            failed = s.scalar(select(func.count()).select_from(OutboxMail).where(
                OutboxMail.board == b.slug, OutboxMail.status == "failed")) or 0
            last = st.last_success_at.strftime("%Y-%m-%d %H:%M UTC") if st and st.last_success_at else "never"
            down = (f", unavailable since {st.down_since:%Y-%m-%d %H:%M} UTC ({st.last_error or 'no reason recorded'})"
                    if st and st.down_since else "")
            print(f"{b.slug}: last mailbox sync {last}{down}; {held} held for attention; "
                  f"{pending} emails waiting to send; {failed} failed")
            print(f"  {_holder(leases.get(b.slug), db_now)}")
            if st is None or st.last_success_at is None or st.last_success_at < limit:
                stale.append(b.slug)
    return 1 if args.check and stale else 0
