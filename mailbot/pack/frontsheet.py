"""The case front sheet (Swindon Appendix 7): a case's milestones, done and due, on one page.

Swindon kept a "file front sheet" on each review's folder: every step with
the date it was done. Ours is computed, never typed: what has happened
(notification, requests, returns, packs, the decision, notifications sent)
and every milestone of the board's regime with the rule that dates it, its
due date, the date it was done and where it stands today. The same rows
give the cover sheet's key dates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.deadlines import timeline
from mailbot.pack.collect import PackSent
from mailbot.runtime import BoardRuntime
from mailbot.store.approvals_models import SENT, Draft
from mailbot.store.models import Case, Record
from mailbot.workflow.cases import stage_label
from mailbot.workflow.progress import case_events, review_done

#: How a regime milestone is known to be done (the rest: a notification sent for it).
DONE_BY = {"scoping_returns": "returns_in", "agency_returns": "returns_in", "subgroup_meeting": "subgroup",
           "chair_decision": "decided", "partnership_decision": "decided"}


@dataclass(frozen=True)
class SheetRow:
    label: str
    rule: str
    due: dt.date | None
    done: dt.date | None
    status: str
    milestone: bool

    @property
    def when(self) -> dt.date | None:
        return self.done or self.due


def _capital(words: str) -> str:
    """A board's word at the start of a label ("sub-group" → "Sub-group"; "LISG" stays)."""
    return words[:1].upper() + words[1:]


def _subgroup_met(s: Session, case: Case, cal) -> tuple[dt.date | None, str | None]:  # noqa: ANN001
    for rec in s.scalars(select(Record).where(Record.case_id == case.id, Record.form_type.in_(
            ["decision", "referral"])).order_by(Record.id)):
        sub = ((rec.data.get("decision") or {}) if rec.form_type == "referral" else rec.data).get("subgroup") or {}
        if sub.get("recommendation") or sub.get("meeting_date"):
            met = sub.get("meeting_date")
            return (dt.date.fromisoformat(met) if met else cal.today(rec.created_at)), sub.get("recommendation")
    return None, None


def _status(rt: BoardRuntime, due: dt.date | None, done: dt.date | None, waiting: str | None,
            today: dt.date) -> str:
    if done is not None:
        return "done late" if due and done > due else "done"
    if due is None:
        return f"after {rt.board.regime.anchor_label(waiting)}" if waiting else "not dated"
    left = rt.board.calendar.working_days_between(today, due)
    if today > due:
        return f"overdue ({-left} working day{'s' if left != -1 else ''})" if left else "overdue"
    return "due today" if left == 0 else f"due in {left} working day{'s' if left != 1 else ''}"


def sheet_rows(s: Session, rt: BoardRuntime, case: Case, packs: list[PackSent]) -> list[SheetRow]:
    """What happened and what is due, in date order (undated milestones last)."""
    cal, regime, today = rt.board.calendar, rt.board.regime, rt.today()
    requests = list(case.requests)
    answered = [r.answered_at for r in requests if r.answered_at]
    all_in = cal.today(max(answered)) if requests and len(answered) == len(requests) and all(
        r.status != "outstanding" for r in requests) else None
    met, recommendation = _subgroup_met(s, case, cal)
    sent = s.scalars(select(Draft).where(Draft.case_id == case.id, Draft.status == SENT)).all()
    done = {"returns_in": all_in, "subgroup": met or case.decided_on, "decided": case.decided_on}
    events = case_events(case)
    labels = dict(regime.decisions)
    happened: list[tuple[str, dt.date | None]] = [
        ("Notification received", case.notified_on),
        ("Referral received: case opened", cal.today(case.opened_at)),
        (f"Scoping requests sent to {len(requests)} agencies", events.get("scoping_requested")),
        ("Every agency asked has answered", all_in),
        (f"Scoping pack and integrated chronology sent to the {rt.board.regime.vocabulary.subgroup}", packs[0].sent_on if packs else None),
        (f"Updated scoping pack sent (version {len(packs)})", packs[-1].sent_on if len(packs) > 1 else None),
        (f"{_capital(rt.board.regime.vocabulary.subgroup)} recommendation: {labels.get(recommendation, recommendation)}", met if recommendation else None),
        (f"Chair's decision: {labels.get(case.decision, case.decision)}", case.decided_on),
        *((f"Sent: {d.title}", cal.today(d.sent_at)) for d in sent if d.sent_at),
        *stage2_happened(rt, case),
    ]
    rows = [SheetRow(label, "", None, when, "done", False) for label, when in happened if when]
    if case.pack_on is not None and not packs:
        rows.append(SheetRow(f"Scoping pack to be sent to the {rt.board.regime.vocabulary.subgroup} (date set by a business manager)",
                             "sooner if every agency answers first", case.pack_on, None, "scheduled", False))
    decision = case.decision if case.decision in regime.decisions else None
    for m in timeline(regime, cal, events, decision=decision):
        finished = done.get(DONE_BY.get(m.id, ""))
        finished = finished or next((cal.today(d.sent_at) for d in sent if d.milestone == m.id and d.sent_at), None)
        finished = finished or review_done(rt.board, case, m.id)
        rows.append(SheetRow(m.label + (" (statutory)" if m.statutory else ""), m.rule, m.due, finished,
                             _status(rt, m.due, finished, m.waiting_for, today), True))
    return sorted(rows, key=lambda r: (r.when is None, r.when or dt.date.min, r.milestone))


def stage2_happened(rt: BoardRuntime, case: Case) -> list[tuple[str, dt.date | None]]:
    """Stage 2 on the sheet, one line a return: requested, answered; the publication date set."""
    from mailbot.workflow.stage2 import return_label

    cal, out = rt.board.calendar, []
    kinds: dict[str, list] = {}
    for r in case.review_requests:
        kinds.setdefault(r.kind, []).append(r)
    for asked in kinds.values():
        label = return_label(rt, asked[0])
        what = label[:1].upper() + label[1:]
        out.append((f"{what} requested from {len(asked)} agencies",
                    cal.today(min(r.requested_at for r in asked))))
        answered = [r for r in asked if r.answered_at]
        if answered:
            out.append((f"{what}: {len(answered)} of {len(asked)} answered",
                        cal.today(max(r.answered_at for r in answered))))
    out += [(f"Publication date set: {d.on:%d/%m/%Y}", cal.today(d.recorded_at))
            for d in case.review_dates if d.state == "planned"]
    return out


def sheet_context(rt: BoardRuntime, case: Case, rows: list[SheetRow], child: str | None) -> dict:
    """What the front sheet template shows (``mailbot case`` prints the same rows)."""
    cfg, regime = rt.board.config, rt.board.regime
    decision = dict(regime.decisions).get(case.decision, case.decision) if case.decision else "not yet decided"
    return {
        "board_name": cfg.name, "board_short": cfg.short_name, "case_reference": case.reference,
        "title": f"{regime.vocabulary.review_short} case file front sheet",
        "header": [{"label": "Case", "value": case.reference},
                   {"label": "Child (initials)", "value": child or "not recorded"},
                   {"label": "Stage", "value": stage_label(case.stage, regime.vocabulary)},
                   {"label": "Decision", "value": decision},
                   {"label": f"{_capital(regime.vocabulary.subgroup)} chair", "value": cfg.subgroup_chair.name}],
        "made_on": f"{rt.today():%d/%m/%Y}", "regime": regime.title,
        "rows": [{"label": r.label, "rule": r.rule, "due": f"{r.due:%d/%m/%Y}" if r.due else "",
                  "done": f"{r.done:%d/%m/%Y}" if r.done else "", "status": r.status} for r in rows],
    }
