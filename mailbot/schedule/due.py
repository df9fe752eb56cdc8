"""Periodic work as idempotent queries: "what is due now?".

Nothing is held in memory between passes; every pass asks the database
what is due at the clock's current time, so downtime and restarts change
nothing. Chasing and the daily digest plug in here.
"""

from __future__ import annotations

from typing import Callable

from mailbot.runtime import BoardRuntime

DueJob = Callable[[BoardRuntime], int]
JOBS: list[DueJob] = []


def register(job: DueJob) -> DueJob:
    JOBS.append(job)
    return job


def run_due_work(rt: BoardRuntime) -> int:
    """Run every registered job once; returns how many actions they took."""
    return sum(job(rt) for job in JOBS)
