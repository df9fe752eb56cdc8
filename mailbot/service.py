"""The service: every board of the configuration, under leases, until SIGTERM; boards reloaded on SIGHUP.

``run`` starts one thread per board (``mailbot.daemon.run_board`` once
the board's lease is held, see ``mailbot.coordination``), the scheduler's
tick and the lease heartbeat, and stops them all within seconds. With
``reload`` (the CLI passes one on SIGHUP), boards added to or removed from
``config/boards/`` are started or stopped without a restart.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from mailbot.coordination import Coordinator, Slot
from mailbot.daemon import RETRY_INITIAL, RETRY_MAX, _pass_failed, recover, run_board
from mailbot.errors import MailbotError
from mailbot.inbound import parse_ahead
from mailbot.inbound.read_pool import ReadAheadPool
from mailbot.runtime import BoardRuntime
from mailbot.store.db import is_outage
from mailbot.store.leases import NOT_HELD, Leases, release_single_instance, single_instance

log = logging.getLogger("mailbot.daemon")
#: Longest a stop waits for a board's thread (the message in hand, the email in flight).
STOP_JOIN_SECONDS = 4.0
#: Between one board's first connection and the next's at start: a region's 150 mailboxes
#: are not all asked to sign in in the same instant.
CONNECT_SPREAD_SECONDS = 0.05


#: What ``run`` calls on SIGHUP: given the boards running, the runtimes of boards added to the
#: configuration and the slugs of boards removed from it.
Reload = Callable[[set[str]], tuple[list[BoardRuntime], set[str]]]


def run(runtimes: list[BoardRuntime], stop: threading.Event | None = None, idle_timeout: float = 60.0,
        read_ahead: bool | None = None, leases: Leases | None = None, reload: Reload | None = None,
        reload_requested: threading.Event | None = None) -> None:
    """Run every board this instance can hold until ``stop`` is set (SIGTERM / Ctrl-C in the CLI).

    Each board is worked only under its lease (``mailbot.coordination``):
    on PostgreSQL several instances share the boards and take over those of
    one that dies; on SQLite this must be the only instance (a second one is
    refused with ``MailbotError``) and takes every board at once. A stop
    ends every board's wait at once, lets each finish the message and the
    email in hand, releases the leases and returns within seconds. When
    ``reload_requested`` is set (SIGHUP), ``reload`` says which boards were
    added and removed; they are started and stopped (leases released) as
    the others go on.

    ``read_ahead`` (default: on unless ``MAILBOT_PARSE_AHEAD=off``): a pool
    of worker processes, one per core, reads each board's next messages
    (``read_pool``).
    Raises ``MailbotError`` if a board's loop ends without being asked to,
    so the service exits non-zero and its supervisor restarts it.
    """
    stop = stop or threading.Event()
    if not runtimes:
        return
    store = runtimes[0].store
    try:
        single = single_instance(store)
    except MailbotError:
        for rt in runtimes:
            rt.close()
        raise
    service = _Service(Leases(store, force=single) if leases is None else leases, stop, idle_timeout,
                       read_ahead if read_ahead is not None else parse_ahead.enabled_by_env())
    stopped_on_request = True
    try:
        if service.start(runtimes):
            while service.alive() and not stop.is_set():
                stop.wait(1.0)
                if reload is not None and reload_requested is not None and reload_requested.is_set():
                    reload_requested.clear()
                    service.reload(reload)
            stopped_on_request = stop.is_set()
    finally:
        service.stop_all()
        release_single_instance(store)
    if not stopped_on_request:
        raise MailbotError("a board's loop stopped unexpectedly; see the log above")


class _Service:
    """The boards of one ``run``: their slots and threads, the lease heartbeat, the scheduler."""

    def __init__(self, leases: Leases, stop: threading.Event, idle_timeout: float, read_ahead: bool) -> None:
        self.stop = stop
        self.idle_timeout = idle_timeout
        self.read_ahead = read_ahead
        self.coordinator = Coordinator(leases, [], stop)
        self.slots: dict[str, Slot] = {}
        self.threads: dict[str, threading.Thread] = {}
        self.sched = None
        self.pool = ReadAheadPool() if read_ahead else None  # workers as cores, shared by every board

    def start(self, runtimes: list[BoardRuntime]) -> bool:
        """Leases first, then reading ahead, the scheduler and one thread per board; False if stopped first."""
        for rt in runtimes:
            self._add_slot(rt)
        if not _first_round(self.coordinator, runtimes[0], self.stop):
            return False
        self.sched = _start_scheduler(runtimes, self.stop)  # before the threads: it serialises each sender
        if self.sched is None:
            return False
        for i, rt in enumerate(runtimes):
            self._start_thread(rt, i * CONNECT_SPREAD_SECONDS)
        self.coordinator.start()
        return True

    def alive(self) -> bool:
        return any(t.is_alive() for t in self.threads.values())

    def _add_slot(self, rt: BoardRuntime) -> None:
        rt.lease = NOT_HELD
        if self.pool is not None:
            rt.parse_ahead = self.pool.reader(rt.board)
        slot = Slot(rt)
        self.slots[rt.slug] = slot
        self.coordinator.add(slot)

    def _start_thread(self, rt: BoardRuntime, delay: float) -> None:
        thread = threading.Thread(target=_work_board, args=(self.slots[rt.slug], self.coordinator, self.stop,
                                                            self.idle_timeout, delay),
                                  name=f"board-{rt.slug}", daemon=True)
        self.threads[rt.slug] = thread
        thread.start()

    def reload(self, reload: Reload) -> None:
        """Start the boards added to the configuration, stop those removed (their leases released)."""
        from mailbot.schedule import scheduler

        try:
            added, removed = reload(set(self.slots))
        except Exception as err:  # noqa: BLE001 - a bad edit must not stop the boards that run
            log.error("boards not reloaded: %s", type(err).__name__)
            return
        for slug in sorted(removed & set(self.slots)):
            slot = self.slots.pop(slug)
            self.coordinator.remove(slug)
            slot.retire()
            self.threads.pop(slug).join(STOP_JOIN_SECONDS)
            slot.rt.close()
            log.info("%s: removed from the configuration; stopped", slug)
        for i, rt in enumerate(added):
            if rt.slug in self.slots:
                rt.close()
                continue
            self._add_slot(rt)
            if self.sched is not None:
                scheduler.register_runtimes([rt])
            self._start_thread(rt, i * CONNECT_SPREAD_SECONDS)
            log.info("%s: added to the configuration; started", rt.slug)
        if self.sched is not None:
            scheduler.add_jobs(self.sched, sorted(self.slots))
            scheduler.unregister(removed)

    def stop_all(self) -> None:
        """Every board at once: waits interrupted, the message and email in hand finished, leases released."""
        from mailbot.schedule import scheduler

        self.stop.set()
        slots = list(self.slots.values())
        for slot in slots:
            slot.retire()
        deadline = time.monotonic() + STOP_JOIN_SECONDS
        for t in self.threads.values():
            t.join(max(0.0, deadline - time.monotonic()))
        # A board still busy past the deadline (a server that hangs): its lease goes now and its
        # connections are left to the process's exit; its uncommitted work is done again by the next holder.
        stuck = {slug for slug, t in self.threads.items() if t.is_alive()}
        if stuck:
            log.warning("%d board(s) still busy at the stop deadline; leaving their work undone", len(stuck))
        if self.sched is not None:
            if stuck:
                self.sched.shutdown(wait=False)
                scheduler.unregister_all()
            else:
                scheduler.stop(self.sched)  # a tick under way finishes first
        self.coordinator.join(1.0)
        for slot in slots:
            hold = slot.hold
            if hold is not None:
                self.coordinator.done(slot, hold, clean=True)
        for slot in slots:
            if slot.rt.slug not in stuck:
                slot.rt.close()
        if self.pool is not None:
            self.pool.stop()


def _first_round(coordinator: Coordinator, rt: BoardRuntime, stop: threading.Event) -> bool:
    """The first leases, taken before anything runs (retried until the database answers)."""
    retry = RETRY_INITIAL
    while not stop.is_set():
        try:
            coordinator.round()
            return True
        except Exception as err:  # noqa: BLE001 - the database may be starting
            _pass_failed(rt, err, retry)
            stop.wait(retry)
            retry = min(retry * 2, RETRY_MAX)
    return False


def _work_board(slot: Slot, coordinator: Coordinator, stop: threading.Event, idle_timeout: float,
                delay: float) -> None:
    """One board's thread: wait for its lease, work it until stopped or the lease is lost, again."""
    rt = slot.rt
    if delay and slot.retired.wait(delay):
        return
    while not slot.retired.is_set():
        hold = slot.wait_for_hold()
        if hold is None:
            return
        rt.lease = hold
        try:
            if recover(rt, slot.stop):
                run_board(rt, slot.stop, idle_timeout, recovered=True)
        finally:
            rt.lease = NOT_HELD
            coordinator.done(slot, hold, clean=slot.retired.is_set())


def _start_scheduler(runtimes: list[BoardRuntime], stop: threading.Event):  # noqa: ANN202
    """The scheduler, started once the database answers (``None`` if ``stop`` came first)."""
    from mailbot.schedule import scheduler

    retry = RETRY_INITIAL
    while not stop.is_set():
        try:
            return scheduler.start(runtimes)
        except Exception as err:
            if not is_outage(err):
                raise
            _pass_failed(runtimes[0], err, retry)
            stop.wait(retry)
            retry = min(retry * 2, RETRY_MAX)
    return None
