"""The short crash harness: a real daemon process killed and starved, mail handled once.

Each run feeds the same stream of mixed board mail into a real Dovecot
while the daemon works through it in its own process, with faults at random
moments (a fixed seed), then lets it finish and compares everything with a
run without faults (``tests/crash/harness.py`` says what is compared). The
long version with hundreds of faults is ``scripts/crash_harness.py``.
"""

from __future__ import annotations

import pytest

from tests.crash import harness

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


def _check(figures: harness.Figures, outcome: harness.Outcome, reference: harness.Outcome) -> None:
    harness.verify(figures, outcome, reference)
    print(figures.line())
    assert figures.problems == [], figures.line()
    assert figures.duplicates == 0 and figures.missing == 0, figures.line()
    assert figures.unexpected_exits == 0, figures.line()
    # A same-Message-ID resend is a kill that landed between the server's "250" and
    # our commit (at most one per kill that interrupted a delivery batch), or an SMTP
    # server that stored the message and went away before its "250" reached us.
    assert figures.same_id_resends <= figures.interrupted_deliveries + figures.smtp_restarts, figures.line()


def test_sigkill_at_random_moments(crash_targets, crash_mails, crash_reference):
    # Lockstep: a kill that comes due when the daemon has caught up first gets one new
    # message, so every kill lands on work outstanding, however fast the machine.
    plan = harness.Plan(faults={"kill": 1.0}, fault_count=len(crash_mails), gap=(0.02, 0.3), seed=11,
                        feed="lockstep", feed_bursts=(1, 1))
    figures, outcome = harness.run(crash_targets("kill"), crash_mails, plan)
    assert figures.kills == len(crash_mails)
    assert figures.faults_on_idle == 0, figures.line()
    _check(figures, outcome, crash_reference)


def test_smtp_server_stopped_and_restarted(crash_targets, crash_mails, crash_reference):
    plan = harness.Plan(faults={"smtp": 2.0, "kill": 1.0}, fault_count=12, gap=(0.1, 0.8),
                        outage=(0.2, 1.0), seed=12)
    figures, outcome = harness.run(crash_targets("smtp"), crash_mails, plan)
    assert figures.smtp_restarts >= 4
    _check(figures, outcome, crash_reference)


def test_postgresql_stopped_and_restarted(crash_targets, crash_mails, crash_reference, pg_cluster):
    plan = harness.Plan(faults={"database": 2.0, "kill": 1.0}, fault_count=12, gap=(0.1, 0.8),
                        outage=(0.2, 1.0), seed=13)
    figures, outcome = harness.run(crash_targets("database", cluster=pg_cluster), crash_mails, plan)
    assert figures.db_restarts >= 4
    _check(figures, outcome, crash_reference)
