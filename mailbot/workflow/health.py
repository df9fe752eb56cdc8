"""Never silent: the mailbox's health, and alerts when it cannot be reached.

When the mailbox has been unreachable (or refuses to sign in) for longer
than the board's ``alerts.mailbox_unreachable_minutes``, the admins and
business managers are emailed once; an authentication failure alerts at
once, since waiting cannot mend it. When the mailbox works again they are
told once more. Alerts go through the sender (SMTP), which does not depend
on the mailbox.
"""

from __future__ import annotations

import datetime as dt
import logging

from mailbot.errors import MailboxError
from mailbot.outbound import outbox
from mailbot.runtime import BoardRuntime
from mailbot.store.models import MailboxStatus
from mailbot.workflow.common import utc

log = logging.getLogger("mailbot.daemon")


def _status(s, rt: BoardRuntime) -> MailboxStatus:  # noqa: ANN001
    row = s.get(MailboxStatus, rt.slug)
    if row is None:
        row = MailboxStatus(board=rt.slug)
        s.add(row)
    return row


def _alert(s, rt: BoardRuntime, purpose: str, key: str, context: dict) -> None:  # noqa: ANN001
    cfg = rt.board.config
    people = [*cfg.admins, *cfg.business_managers]
    msg = rt.composer.build(purpose, kind="alert", to=people, now=rt.now(), context=context)
    outbox.queue(s, board=rt.slug, kind="alert", dedupe_key=f"{rt.slug}:alert:{key}", message=msg, now=rt.now())


def mailbox_failed(rt: BoardRuntime, err: MailboxError, auth: bool) -> None:
    now = utc(rt.now())
    log.warning("%s: mailbox unavailable (%s)", rt.slug, type(err).__name__)
    with rt.store.transaction() as s:
        row = _status(s, rt)
        row.last_attempt_at = now
        row.last_error = str(err)[:300]
        row.down_since = row.down_since or now
        limit = dt.timedelta(minutes=rt.board.config.alerts.mailbox_unreachable_minutes)
        if row.alerted_at is None and (auth or now - row.down_since >= limit):
            row.alerted_at = now
            _alert(s, rt, "notices/mailbox-down", f"down:{row.down_since.isoformat()}",
                   {"since": row.down_since, "error": row.last_error, "auth": auth})


def mailbox_ok(rt: BoardRuntime) -> None:
    now = utc(rt.now())
    with rt.store.transaction() as s:
        row = _status(s, rt)
        if row.alerted_at is not None and row.down_since is not None:
            _alert(s, rt, "notices/mailbox-recovered", f"up:{row.down_since.isoformat()}",
                   {"since": row.down_since, "now": now})
        row.last_success_at = now
        row.last_attempt_at = now
        row.down_since = None
        row.alerted_at = None
        row.last_error = None
