"""Demo step: every open case's deadlines, met or missed, as the board would read them.

After the demo's days have passed, some milestones were done on time (the
Chair's decision, the notification the Chair approved by reply) and some
were not (scoping returns an agency never sent). ``demo_deadlines`` lists,
case by case, each milestone that is done (met or missed, by how much, in
the rule's own unit) or overdue; milestones still to come are counted, not
listed, to keep the demo's output short.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from mailbot.runtime import BoardRuntime
from mailbot.store.models import Case
from mailbot.workflow.progress import case_milestones


def demo_deadlines(rt: BoardRuntime) -> list[str]:
    """Lines for ``mailbot demo``: per open case, what was met, what was missed."""
    today = rt.today()
    lines = [f"As of {today:%a %d/%m/%Y}:"]
    with rt.store.session() as s:
        cases = s.scalars(select(Case).options(selectinload(Case.requests))
                          .where(Case.board == rt.slug, Case.status == "open").order_by(Case.reference)).all()
        for case in cases:
            lines.append(f"{case.reference}")
            later = 0
            for item in case_milestones(rt.board, case):
                m = item.milestone
                st = m.standing(today)
                if st.status in ("due", "waiting"):
                    later += 1
                    continue
                verdict = "met" if st.met else "MISSED" if st.missed else "done"
                star = " (statutory)" if m.statutory else ""
                lines.append(f"  {verdict:<7}{m.label}{star}: due {m.due:%d/%m/%Y}, {st.describe()}"
                             if m.due else f"  {verdict:<7}{m.label}{star}: {st.describe()}")
            if later:
                lines.append(f"  and {later} milestone{'s' if later != 1 else ''} still to come")
    return lines
