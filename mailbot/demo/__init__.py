"""``mailbot demo``: the main job on the embedded default, in one package.

- :mod:`.run` — the command's flow: a workspace, the sample mail delivered,
  the daemon's loop until the mailbox is drained, and what it did;
- :mod:`.seed` — the state the sample replies assume (cases and requests
  already open before the sample mail arrives);
- :mod:`.mailbox` — writing mail into the demo's Maildir as a server would;
- :mod:`.pack`, :mod:`.approval`, :mod:`.days` — the later steps: a
  business manager's ``PACK`` email, the Chair's approval by reply, and the
  clock moved on through working days (chasing, digests);
- :mod:`.deadlines` — each open case's milestones, met or missed.

Nothing outside this package imports it but the ``demo`` command (and tests).
"""

from __future__ import annotations

import datetime as dt

DEMO_BOARD = "west-sussex"
#: The sample mail is from January–February 2026; the demo's clock starts
#: on the Monday after the last of it.
DEMO_START = dt.datetime(2026, 2, 16, 9, 0, tzinfo=dt.timezone.utc)
