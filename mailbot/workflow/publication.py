"""Publication: the date set by email, and the report to the Panel drafted for the Chair.

WT2015 ch.4 (and WT2023 ch.5): the report goes to Ofsted, the DfE and the
National Panel at least seven working days before it is published. A
business manager's ``PUBLISH WS-2026-0001 ON 03/11/2026`` records the
planned date (an event the regime's ``report_to_panel`` milestone is dated
from) and drafts the report-to-Panel notification for the Chair's approval
by reply, due seven working days before; the drafts machinery chases the
Chair, sends it only on approval (the Chair may attach the final report to
the APPROVE reply: a PDF is enclosed, a Word document replaces the letter)
and records the send time against the due date. A date too close to allow
the seven working days, or one that has passed, is refused in one line and
nothing changes.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.runtime import BoardRuntime
from mailbot.store.approvals_models import AWAITING, SENT, Draft
from mailbot.store.models import Case
from mailbot.store.review_models import ReviewDate
from mailbot.workflow.common import audit, utc

KIND = "report_to_panel"


def _long(day: dt.date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def earliest_publication(rt: BoardRuntime, today: dt.date) -> dt.date:
    """The first day whose report-to-Panel date has not passed."""
    rule = rt.board.regime.milestone(rt.board.regime.stage2.publication.milestone)
    day = today
    while rule.offset.apply(rt.board.calendar, day) < today:
        day += dt.timedelta(days=1)
    return day


def set_date(s: Session, rt: BoardRuntime, case: Case, name: str, day: dt.date, state: str, by: str) -> dt.date | None:
    """Record (or move) a review date on the case; returns the date it replaced, if any."""
    row = s.scalar(select(ReviewDate).where(ReviewDate.case_id == case.id, ReviewDate.name == name))
    previous = row.on if row is not None else None
    if row is None:
        row = ReviewDate(case_id=case.id, name=name)
        s.add(row)
    row.on, row.state, row.recorded_by, row.recorded_at = day, state, by, utc(rt.now())
    s.flush()
    return previous if previous != day else None


def set_publication(s: Session, rt: BoardRuntime, case: Case, day: dt.date, by: str) -> tuple[bool, str]:
    """Record the planned publication date and draft the report to the Panel; (ok, the one line)."""
    regime, ref, today = rt.board.regime, case.reference, rt.today()
    stage2 = regime.stage2
    if stage2 is None:
        return False, f"No publication date was set for {ref}: this board's regime does not record one."
    rule = regime.milestone(stage2.publication.milestone)
    if case.status != "open":
        return False, f"Case {ref} is closed, so no publication date was set."
    if rule.applies_when and case.decision not in rule.applies_when.decision:
        return False, (f"Case {ref} has no {regime.vocabulary.review} to publish "
                       f"(decision: {dict(regime.decisions).get(case.decision, 'none yet')}), so no date was set.")
    due = rule.offset.apply(rt.board.calendar, day)
    if due < today:
        audit(s, rt, "publication_refused", f"{day.isoformat()}: report to the Panel due {due.isoformat()}", case)
        return False, (f"No publication date was set for {ref}: {_long(day)} is too close, since the report must "
                       f"reach Ofsted, the DfE and the {regime.vocabulary.panel} {rule.offset.describe()} before "
                       f"publication, by {_long(due)}; the earliest date is "
                       f"{_long(earliest_publication(rt, today))}.")
    from mailbot.workflow.progress import entered_date_problem

    problem = entered_date_problem(rt.board, case, stage2.publication.event, day)
    if problem:
        return False, f"No publication date was set for {ref}: {problem}."
    previous = set_date(s, rt, case, stage2.publication.event, day, "planned", by)
    audit(s, rt, "publication_date_set", f"{day.isoformat()} by {by}"
          f"{f' (replaces {previous.isoformat()})' if previous else ''}", case)
    sent = s.scalar(select(Draft).where(Draft.case_id == case.id, Draft.kind == KIND, Draft.status == SENT))
    if sent is not None:
        return True, (f"The publication date for {ref} is now {_long(day)}. The report went to the Panel on "
                      f"{rt.board.calendar.today(sent.sent_at):%d/%m/%Y}, so nothing more was drafted.")
    draft = draft_report(s, rt, case, day, due)
    moved = f" This replaces {_long(previous)}." if previous else ""
    return True, (f"Publication of {ref} is set for {_long(day)}. The report to Ofsted, the DfE and the "
                  f"{regime.vocabulary.panel} is due by {_long(due)}; it has gone to the Chair for approval "
                  f"({draft.token}).{moved}")


def draft_report(s: Session, rt: BoardRuntime, case: Case, day: dt.date, due: dt.date) -> Draft:
    """The report-to-Panel notification for the Chair (an earlier one awaiting approval is replaced)."""
    from mailbot.workflow.decisions import document_context
    from mailbot.workflow.drafts import create_draft

    vocab = rt.board.regime.vocabulary
    title = f"Report to Ofsted, DfE and the {vocab.panel} before publication"
    cfg = rt.board.config
    body = (f"{cfg.name} sends the report of the {vocab.review} (our reference {case.reference}) to Ofsted, "
            f"the Department for Education and the {vocab.panel}. It plans to publish the report on {_long(day)}.")
    ctx = document_context(rt, case, publication_long=_long(day), publication=day.isoformat(), body=body,
                           addressees="; ".join(p.name for p in (cfg.notify.ofsted, cfg.notify.dfe,
                                                                 cfg.notify.national_panel)),
                           enclosures=["The final report (attached by the Chair on approval)"],
                           enclosures_note="the report is attached")
    draft = create_draft(s, rt, case, KIND, ctx, title=title)
    draft.due_on = due
    return draft


def awaiting_report(s: Session, case: Case) -> Draft | None:
    return s.scalar(select(Draft).where(Draft.case_id == case.id, Draft.kind == KIND, Draft.status == AWAITING))
