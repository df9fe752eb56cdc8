"""Periodic work: the due-work queries (``due``) and the scheduler wiring.

The list of due jobs is named here, in order, once: chasing (agencies, then the Chair's
drafts) runs before the digest so that today's reminders appear in today's digest. Importing the
package (as the daemon does before ``run_due_work``) registers them.
"""

from mailbot.schedule import due
from mailbot.workflow import chasing, digest, drafts

for _job in (chasing.chase_due, drafts.chase_drafts, digest.digest_due):
    if _job not in due.JOBS:
        due.register(_job)
