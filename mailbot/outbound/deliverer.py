"""A board's outbox sent from a thread of its own, beside the handling of new mail.

Each email is an SMTP transaction: the board's loop would otherwise stand
waiting on the server (a referral causes nine, each with a Word form)
before it reads the next message. Here the loop commits what a message
caused and ``kick``\\ s this thread, which runs ``deliver_pending`` until
nothing is due; the loop goes on to the next message at once.

Nothing about delivery changes: the same claims, marks and backoff
(``outbox.deliver_pending``), so the crash contract is the outbox's — a
row is marked sent only after the server's 250, one email at a time is in
flight. The thread lives and dies with the daemon process (no second
process that could outlive a killed daemon and send beside its
successor). While it runs, the board's loop sends nothing itself, so one
board has one batch in flight at a time (the scheduler's tick aside, as
before). A delivery that fails (the database away) is tried again on the
next kick or after ``RETRY_SECONDS``; what the server took is kept by the
outbox until the database answers. An email waiting for its retry time
(the server failed transiently) is sent when that time comes: the thread
waits until then, so the board's loop no longer wakes for it.
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import TYPE_CHECKING

from mailbot.outbound.outbox import (
    deliver_pending,
    seconds_to_next_retry,
    seconds_to_server_retry,
    server_unwell,
)
from mailbot.store.db import is_outage

if TYPE_CHECKING:
    from mailbot.runtime import BoardRuntime

log = logging.getLogger("mailbot.outbound")
#: Wait after a failed delivery round before the next (without a kick).
RETRY_SECONDS = 5.0
#: Shortest wait for an email's retry time (rows queued during a round come with their own kick).
MIN_WAIT = 0.2
#: The interpreter's switch interval while a deliverer runs (default 5 ms): the
#: thread waits on the server for each SMTP reply, then for the interpreter
#: lock held by the board's loop; a referral's nine emails are ~36 replies.
SWITCH_INTERVAL = 0.0005


class Deliverer:
    """Sends one board's outbox whenever kicked, from its own thread."""

    def __init__(self, rt: BoardRuntime) -> None:
        self.rt = rt
        self._cond = threading.Condition()
        self._kicks = self._done = 0
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=f"deliver-{rt.slug}", daemon=True)
        self.sent = self.failed = 0

    def start(self) -> Deliverer:
        if sys.getswitchinterval() > SWITCH_INTERVAL:
            sys.setswitchinterval(SWITCH_INTERVAL)
        self._thread.start()
        return self

    def kick(self) -> None:
        """Something may be due: send it soon (never blocks)."""
        with self._cond:
            self._kicks += 1
            self._cond.notify_all()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Until every kick so far has had its round (tests, the end of a pass in ``drain``)."""
        with self._cond:
            return self._cond.wait_for(
                lambda: self._done >= self._kicks or not self._thread.is_alive(), timeout)

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the email in flight (its mark included) and end the thread."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def alive(self) -> bool:
        return self._thread.is_alive()

    def ensure_running(self) -> bool:
        """Start the thread again if it ended unasked (it should not); False once stopped."""
        if self._stopping:
            return False
        if not self._thread.is_alive():
            log.error("%s: the outbox thread had stopped; starting it again", self.rt.slug)
            self._thread = threading.Thread(target=self._run, name=f"deliver-{self.rt.slug}",
                                            daemon=True)
            self._thread.start()
        return True

    def _run(self) -> None:
        wait: float | None = 0.0  # a first round at start: whatever a previous run left pending
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._stopping or self._kicks > self._done, wait)
                if self._stopping:
                    return
                target = self._kicks
            try:
                wait = self._round()
                if wait is None:
                    wait = seconds_to_next_retry(self.rt.store, self.rt.slug, self.rt.now())
                wait = None if wait is None else max(MIN_WAIT, wait)
            except Exception as err:  # noqa: BLE001 - the thread must go on; the outbox keeps what it knew
                wait = RETRY_SECONDS  # or at the next kick
                log.warning("%s: outbox delivery failed (%s); trying again shortly", self.rt.slug,
                            "database unavailable" if is_outage(err) else type(err).__name__)
            with self._cond:
                self._done = target
                self._cond.notify_all()

    def _round(self) -> float | None:
        """Deliver until nothing is due; returns how long the server asked us to wait, if it did."""
        rt = self.rt
        while not self._stopping:
            if server_unwell(rt.store, rt.slug, rt.now()):
                return seconds_to_server_retry(rt.store, rt.slug, rt.now())
            sent, failed = deliver_pending(rt.store, rt.sender, rt.slug, rt.now(), hold=rt.lease)
            self.sent += sent
            self.failed += failed
            if sent + failed == 0:
                break
        return None
