"""``mailbot status``: each board's mailbox health and what waits for a person."""

from __future__ import annotations

import argparse

from sqlalchemy import func, select

from mailbot.commands import _common
from mailbot.store.models import MailboxStatus, MessageSeen, OutboxMail


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("status", help="last successful mailbox sync, pending mail, held messages")
    p.add_argument("--check", action="store_true",
                   help="exit 1 unless every board's mailbox synced recently (container health check)")
    p.add_argument("--max-age-minutes", type=int, default=30)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import datetime as dt

    store = _common.store(args)
    boards = _common.boards(args)
    stale: list[str] = []
    limit = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(minutes=args.max_age_minutes)
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
            if st is None or st.last_success_at is None or st.last_success_at < limit:
                stale.append(b.slug)
    return 1 if args.check and stale else 0
