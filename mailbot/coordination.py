"""The daemon's side of the board leases: a heartbeat thread and one slot per board.

``Coordinator`` renews this instance's leases every ``ttl / 6`` seconds,
takes boards that are free (released, expired, or held by a dead process
on this host) for the board threads waiting for one, and tells a board
thread at once when its lease is lost (its ``Slot.stop`` is set and its
mailbox's wait is interrupted). A board thread asks its ``Slot`` for a
hold, works the board until the slot's stop, and gives the lease back
(``Slot.done``): released at once on a clean stop, so another instance
takes over within its next round.

Each round also looks for boards nobody has held for longer than
``MAILBOT_UNHELD_ALERT_SECONDS`` (default 300) and emails the admins
(``alerts``), from whichever instance sees it first.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from mailbot.store.db import is_outage
from mailbot.store.leases import Hold, Leases, describe

if TYPE_CHECKING:
    from mailbot.runtime import BoardRuntime

log = logging.getLogger("mailbot.daemon")
#: How often an instance with boards waiting looks for a lease released or expired: a
#: board released on a clean stop is taken over within about this long.
ACQUIRE_POLL_SECONDS = 1.0


class Slot:
    """One board in this instance: waiting for its lease, or working under it."""

    def __init__(self, rt: BoardRuntime) -> None:
        self.rt = rt
        self.hold: Hold | None = None
        self.stop = threading.Event()  # this hold's work ends (stop asked, or the lease lost)
        self.retired = threading.Event()  # the board's thread ends for good (the service stops, or SIGHUP removed it)
        self._granted = threading.Condition()

    @property
    def waiting(self) -> bool:
        return self.hold is None and not self.retired.is_set()

    def grant(self, hold: Hold) -> None:
        with self._granted:
            self.stop = threading.Event()
            self.hold = hold
            self._granted.notify_all()

    def wait_for_hold(self, poll: float = 0.5) -> Hold | None:
        """Block until the coordinator grants this board a lease; None once retired."""
        with self._granted:
            while self.hold is None and not self.retired.is_set():
                self._granted.wait(poll)
            return None if self.retired.is_set() else self.hold

    def retire(self) -> None:
        """End this board's work for good: start nothing new, finish what is in hand, then release."""
        self.retired.set()
        hold = self.hold
        if hold is not None:
            hold.stopping.set()
        self.end()

    def end(self) -> None:
        """Stop the work under the current hold now: the board's loop and its mailbox's wait."""
        self.stop.set()
        interrupt = getattr(self.rt.mailbox, "interrupt", None)
        if interrupt is not None:
            interrupt()


class Coordinator:
    """Heartbeat, acquisition and loss of this instance's board leases, in a thread of its own."""

    def __init__(self, leases: Leases, slots: list[Slot], stop: threading.Event) -> None:
        self.leases = leases
        self.slots = {slot.rt.slug: slot for slot in slots}
        self.stop = stop
        self.interval = max(0.2, leases.ttl / 6)  # between renewals
        self.poll = min(ACQUIRE_POLL_SECONDS, self.interval)  # between looks for free boards
        self._renewed = 0.0
        self._thread = threading.Thread(target=self._run, name="leases", daemon=True)
        self._wake = threading.Event()

    def add(self, slot: Slot) -> None:
        self.slots = {**self.slots, slot.rt.slug: slot}  # a new dict: the heartbeat thread may be iterating

    def remove(self, slug: str) -> None:
        self.slots = {k: v for k, v in self.slots.items() if k != slug}

    def start(self) -> Coordinator:
        self._thread.start()
        return self

    def join(self, timeout: float) -> None:
        self._wake.set()
        if self._thread.ident is not None:  # a start that failed early never started it
            self._thread.join(timeout)

    def round(self, renew: bool = True) -> None:
        """Renew, notice losses, take free boards for the slots that wait (raises if the database fails)."""
        for hold in self.leases.renew() if renew else []:
            log.warning("%s: lease lost to another instance; stopping work on it", hold.board)
            slot = self.slots.get(hold.board)
            if slot is not None and slot.hold is hold:
                slot.end()
        waiting = [slug for slug, slot in self.slots.items() if slot.waiting]
        for hold in self.leases.acquire(waiting) if waiting else []:
            log.info("%s: lease acquired (token %d) by %s", hold.board, hold.token, describe(hold.claimant))
            self.slots[hold.board].grant(hold)
        if renew:
            from mailbot.workflow import unheld

            unheld.alert_unheld(self.leases, [slot.rt for slot in self.slots.values()])

    def _run(self) -> None:
        while not self.stop.is_set():
            due = time.monotonic() - self._renewed >= self.interval
            try:
                self.round(renew=due)
                if due:
                    self._renewed = time.monotonic()
            except Exception as err:  # noqa: BLE001 - the next round tries again; holds expire by themselves
                log.warning("leases: round failed (%s)",
                            "database unavailable" if is_outage(err) else type(err).__name__)
            self._wake.wait(self.poll)
            self._wake.clear()

    def done(self, slot: Slot, hold: Hold, clean: bool) -> None:
        """The board's work under ``hold`` has ended: release the lease if it was a clean stop."""
        with slot._granted:
            if slot.hold is hold:
                slot.hold = None
        if clean and not hold.lost.is_set():
            try:
                self.leases.release(hold)
                log.info("%s: lease released", hold.board)
            except Exception as err:  # noqa: BLE001 - it expires by itself
                log.warning("%s: lease not released (%s); it expires in %.0fs", hold.board,
                            type(err).__name__, self.leases.ttl)
        else:
            self.leases._forget(hold)
        self._wake.set()  # a lost board may be free again, a released one another's
