"""Periodic work: the due-work queries (``due``) and the scheduler wiring.

The list of due jobs is named here, in order, once: chasing (agencies, then the Chair's
drafts), scoping packs whose date has come and Panel answers long awaited run before the digest, so that today's
reminders and packs appear in today's digest. Importing the
package (as the daemon does before ``run_due_work``) registers them.
"""

from mailbot.pack import scheduled
from mailbot.schedule import due
from mailbot.workflow import chasing, digest, drafts, panel_wait, stage2

for _job in (stage2.review_requests_due, chasing.chase_due, drafts.chase_drafts, scheduled.pack_due,
             panel_wait.panel_silence_due, digest.digest_due):
    if _job not in due.JOBS:
        due.register(_job)
