"""Two instances on one PostgreSQL, one board, SIGKILLs of either while mail arrives.

Each instance is its own "machine" (``host-0``, ``host-1``), so the one
that is not killed can take the board only when the lease expires (3 s
here); some kills of the holder leave it down until the other has taken
over (a failover), the rest restart it at once. The SMTP server takes
30 ms per email. The run is compared with a run of one instance without
faults on PostgreSQL (``tests/crash/harness.py`` says what is compared):
every message handled once, every email sent once, no case corrupted, and
no ERROR line in either instance's log.
"""

from __future__ import annotations

import pytest

from tests.crash import harness

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def test_two_instances_killed_at_random_lose_and_duplicate_nothing(crash_targets, crash_mails, pg_cluster):
    _, reference = harness.run(crash_targets("pg-reference", cluster=pg_cluster), crash_mails,
                               harness.Plan(faults={}, fault_count=0))
    plan = harness.Plan(faults={"kill": 1.0}, fault_count=10, gap=(0.2, 1.0), seed=16, instances=2,
                        lease_seconds=3.0, failover_share=0.4)
    figures, outcome = harness.run(crash_targets("two-instances", cluster=pg_cluster, smtp_delay=0.03),
                                   crash_mails, plan)
    harness.verify(figures, outcome, reference)
    print(figures.line(), figures.failover_line())
    assert figures.problems == [], figures.line()
    assert figures.duplicates == 0 and figures.missing == 0, figures.line()
    assert figures.unexpected_exits == 0 and figures.log_errors == 0, figures.line()
    assert figures.kills == 10 and figures.failovers, figures.line()
    # A same-Message-ID resend needs a kill between the server's "250" and our mark.
    assert figures.same_id_resends <= figures.kills, figures.line()
