"""A decision not to hold a review that the National Panel never answers.

The Panel may challenge a no-review decision (:mod:`mailbot.workflow.challenge`);
until it answers on the notification's thread the case stays open. A
silence nobody notices would leave the case open for good, so once
``stage2.challenge.answer_awaited`` has passed since the notification went
(the regime's setting; 20 working days by default) the business managers
are told, once per case, in one notice: what went when, that nothing has
changed, and what they can do. The Panel's answer, whenever it comes, is
still read as before.
"""

from __future__ import annotations

from sqlalchemy import select

from mailbot.runtime import BoardRuntime
from mailbot.store.approvals_models import SENT, Draft
from mailbot.store.models import Case
from mailbot.store.review_models import ReviewDate
from mailbot.workflow.challenge import ANSWERED_DATE
from mailbot.workflow.common import notify_business_managers


def panel_silence_due(rt: BoardRuntime) -> int:
    """Tell the business managers of each no-review notification the Panel has not answered in time."""
    stage2 = rt.board.regime.stage2
    if stage2 is None or stage2.challenge.answer_awaited is None:
        return 0
    wait, cal, today, told = stage2.challenge.answer_awaited, rt.board.calendar, rt.today(), 0
    with rt.store.transaction() as s:  # driven from the open cases: sent drafts and dates only grow
        cases = {c.id: c for c in s.scalars(select(Case).where(Case.board == rt.slug, Case.status == "open"))}
        if not cases:
            return 0
        answered = set(s.scalars(select(ReviewDate.case_id).where(
            ReviewDate.case_id.in_(cases), ReviewDate.name.in_([ANSWERED_DATE, stage2.challenge.event]))))
        waiting = [i for i in cases if i not in answered]
        rows = [(d, cases[d.case_id]) for d in s.scalars(select(Draft).where(
            Draft.case_id.in_(waiting), Draft.kind == "no_scr_notification", Draft.status == SENT,
            Draft.sent_at.is_not(None)))] if waiting else []
        for draft, case in rows:
            sent = cal.today(draft.sent_at)
            if wait.apply(cal, sent) >= today:
                continue
            notify_business_managers(
                s, rt, dedupe_key=f"panel-silent:{case.reference}:{draft.id}", case=case,
                headline="The National Panel has not answered a decision not to hold a review",
                reason=f"The notification for {case.reference} went to the Panel on {sent:%d/%m/%Y}, "
                       f"{wait.describe()} ago or more, and no answer has come on its thread. Nothing has "
                       "changed: the case stays open, and the Panel's answer is still read when it comes. "
                       "Ask the Panel to reply to that email, or close the matter as the board's procedure says.")
            told += 1
    return told
