"""The case front sheet (Swindon Appendix 7): a case's milestones, done and due, on one page.

Swindon kept a "file front sheet" on each review's folder: every step with
the date it was done. Ours is computed, never typed: what has happened
(notification, requests, returns, packs, the decision, notifications sent)
and every milestone of the board's regime with the rule that dates it, its
due date, the date it was done and where it stands today: met or missed
and by how much once done, due or overdue until then. The same rows give
the cover sheet's key dates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from mailbot.deadlines import Milestone
from mailbot.pack.collect import PackSent
from mailbot.runtime import BoardRuntime
from mailbot.store.models import Case
from mailbot.workflow.cases import stage_label
from mailbot.workflow.progress import case_events, case_milestones, returns_in, sent_drafts, subgroup_meeting

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


def _status(rt: BoardRuntime, m: Milestone, today: dt.date) -> str:
    """Done (met or missed, by how much), due, overdue, or what it waits for."""
    st = m.standing(today)
    if st.status == "waiting":
        return f"after {rt.board.regime.anchor_label(m.waiting_for)}" if m.waiting_for else "not dated"
    return st.describe()


def sheet_rows(s: Session, rt: BoardRuntime, case: Case, packs: list[PackSent]) -> list[SheetRow]:
    """What happened and what is due, in date order (undated milestones last)."""
    cal, regime, today = rt.board.calendar, rt.board.regime, rt.today()
    requests = list(case.requests)
    all_in = returns_in(case)
    met, recommendation = subgroup_meeting(case)
    sent = sent_drafts(case)
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
    for item in case_milestones(rt.board, case, sent):
        m = item.milestone
        rows.append(SheetRow(m.label + (" (statutory)" if m.statutory else ""), m.rule, m.due, m.done_on,
                             _status(rt, m, today), True))
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
