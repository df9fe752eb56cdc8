"""Forged threading: In-Reply-To / References to our own Message-IDs earn an unknown sender nothing.

Message-IDs are not secrets (every agency we wrote to has them), so a
thread, like a subject reference, only says which case a *trusted* sender's
mail belongs to. From anyone else the claim is shown to the business
manager and nothing more: no record, no case link, no answer, no approval.
"""

from __future__ import annotations

from sqlalchemy import select

from mailbot.store.models import AuditEntry, Case
from tests.approvals.conftest import BM, draft, run
from tests.security.mails import (
    POLICE,
    POLICE_REQUEST,
    RETURN_DOCX,
    SCHOOL,
    ledger,
    police_request,
    police_return,
    record_count,
    sent_to,
    variant,
)

D1 = "#V85YF8"


def _case_audit(rt) -> list[str]:  # noqa: ANN001
    with rt.store.session() as s:
        case = s.scalar(select(Case).where(Case.reference == "WS-2026-0001"))
        return [a.action for a in s.scalars(select(AuditEntry).where(AuditEntry.case_id == case.id))]


def test_an_unknown_sender_threading_into_our_mail_attaches_to_nothing(rt):
    records, audit_before = record_count(rt), _case_audit(rt)
    d1 = draft(rt, D1)
    every_id = f"{POLICE_REQUEST} {d1.message_id}"
    forged_return = police_return(message_id="<f1@attacker.example>", sender="Ruth <ruth.calloway@attacker.example>",
                                  thread=POLICE_REQUEST)
    forged_approval = police_return(message_id="<f2@attacker.example>", sender="Ros <chair@attacker.example>",
                                    subject=f"RE: Draft for approval [WS-2026-0001] {D1}", thread=d1.message_id,
                                    attachment=None, body="APPROVE")
    # No subject reference at all, only a long References chain ending in ours.
    chained = police_return(message_id="<f3@attacker.example>", sender="x@attacker.example", subject="hello",
                            thread=None, attachment=variant(RETURN_DOCX, "f3"),
                            extra={"References": " ".join(f"<{i}@noise.example>" for i in range(200)) + " "
                                   + every_id, "In-Reply-To": POLICE_REQUEST})
    run(rt, [forged_return, forged_approval, chained])

    rows = ledger(rt)
    assert [(r.kind, r.outcome, r.case_id) for r in rows] == [("unknown_sender", "needs-attention", None)] * 3
    assert record_count(rt) == records and police_request(rt).status == "outstanding"
    assert draft(rt, D1).status == "awaiting_approval" and draft(rt, D1).sent_at is None
    # Only the business manager hears of it, in notices that are not filed under the case.
    assert [(k, to, case) for k, to, case in sent_to(rt)] == [("notice", [BM], None)] * 3
    # The case's own trail gained only the note that an approval was refused for its draft.
    assert [a for a in _case_audit(rt) if a not in audit_before] == ["approval_refused"]


def test_a_known_agency_in_another_agencys_thread_answers_only_its_own_request(rt):
    """Downland Academy replying in the police's thread is Downland Academy's return, never the police's."""
    raw = police_return(message_id="<school-1@downland-academy.example>", sender=f"Carys <{SCHOOL}>",
                        attachment=variant(RETURN_DOCX, "school"))
    run(rt, [raw])
    (row,) = ledger(rt)
    assert row.kind == "scoping_return" and row.outcome == "processed"
    assert police_request(rt).status == "outstanding"
    with rt.store.session() as s:
        from mailbot.store.models import ScopingRequest

        school = s.scalar(select(ScopingRequest).where(ScopingRequest.agency == "Downland Academy"))
    assert school.status == "returned"
    thanked = [to for kind, to, _c in sent_to(rt) if kind == "thanks"]
    assert thanked == [[SCHOOL]] and [POLICE] not in thanked
