"""Never silent when no instance works a board: an alert from whichever instance sees it.

A board whose lease nobody has held (released, or expired after its holder
died) for longer than ``MAILBOT_UNHELD_ALERT_SECONDS`` (default 300) is not
being read. Every instance's lease round looks; the first to note the alert
on the lease row (compare-and-set, so one email per stretch) queues it on a
board it holds, addressed to that board's admins and, when this instance
has the unheld board's configuration too, to its admins. The row's
``alerted_at`` is cleared when any instance takes the board again.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

from mailbot.outbound import outbox
from mailbot.store.leases import Leases, describe, mark_alerted, unheld_since

if TYPE_CHECKING:
    from mailbot.runtime import BoardRuntime

log = logging.getLogger("mailbot.daemon")
ALERT_ENV = "MAILBOT_UNHELD_ALERT_SECONDS"
DEFAULT_ALERT_SECONDS = 300.0


def alert_after() -> float:
    return float(os.environ.get(ALERT_ENV) or DEFAULT_ALERT_SECONDS)


def alert_unheld(leases: Leases, runtimes: list[BoardRuntime]) -> int:
    """Queue an alert for each board unheld too long, once per stretch; returns how many."""
    sender = next((rt for rt in runtimes if rt.slug in leases.held), None)
    if sender is None:
        return 0  # nothing held here to send from: another instance will, or the board comes back
    by_slug = {rt.slug: rt for rt in runtimes}
    queued = 0
    for board, since, holder in unheld_since(leases.store, alert_after()):
        cfg = sender.board.config
        people = [*cfg.admins, *cfg.business_managers]
        if board in by_slug and board != sender.slug:
            people += [p for p in by_slug[board].board.config.admins if p not in people]
        with leases.store.transaction() as s:
            if not mark_alerted(s, board, since):
                continue
            msg = sender.composer.build("notices/board-unheld", kind="alert", to=people, now=sender.now(),
                                        context={"unheld_board": board, "since": since,
                                                 "last_holder": describe(holder)})
            outbox.queue(s, board=sender.slug, kind="alert", dedupe_key=f"{sender.slug}:alert:unheld:{board}:"
                         f"{since.isoformat()}", message=msg, now=sender.now())
        log.warning("%s: no instance has held it since %s UTC; admins alerted", board, f"{since:%H:%M:%S}")
        queued += 1
    return queued
