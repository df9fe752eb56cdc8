"""Stage-2 answers that come without a thread: by case reference, sender and form type."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from mailbot.store.review_models import ReviewRequest
from tests.stage2.conftest import addresses, decide, filled_chronology, opened_case, report_docx, to_chair

POLICE = "ppd.reviews@wiltshire-police.example"
CSC = "qa.reviews@childrens.swindon-council.example"
CHAIR = "chair@swindon-lscb.example"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _statuses(b) -> dict[tuple[str, str], str]:  # noqa: ANN001
    with b.rt.store.session() as s:
        return {(r.agency, r.kind): r.status for r in s.scalars(select(ReviewRequest))}


def test_a_new_thread_with_the_reference_is_matched_by_sender_and_form_type(swindon):
    b = swindon
    ref = opened_case(b, {"Great Western Hospitals NHS Foundation Trust": "not_known"})
    b.day(dt.date(2026, 3, 2))
    decide(b, ref, "scr")
    for kind in ("scr_notification", "agencies_letter"):
        (d,) = b.drafts(kind)
        b.reply(f"Chair <{CHAIR}>", to_chair(b, d.token, b.mail() + b.sent), "APPROVE")
    requests = [m for m in b.mail() if m["X-Mailbot-Kind"] == "review_request"]
    blank = next(p for m in requests if m["Subject"].startswith("Chronology")
                 for p in m.iter_attachments()).get_content()
    b.day(dt.date(2026, 4, 1))
    b.send(f"DS Amber Thornleigh <{POLICE}>", f"Police chronology [{ref}]", "Attached.",
           attachments=[("c.docx", filled_chronology(blank, [["II", "01/02/2025", "", "Wiltshire Police", "Visit",
                                                                 "Call-out.", "None.", ""]]), DOCX)])
    b.send(f"Priya Vellacott <{CSC}>", f"{ref} review", "Nil return from Children's Services, thank you.")
    b.send(f"DS Amber Thornleigh <{POLICE}>", f"Police report [{ref}]", "Our report, on a new thread.",
           attachments=[("IMR.docx", report_docx("Findings."), DOCX)])
    assert _statuses(b) == {
        ("Wiltshire Police", "chronology"): "returned",
        ("Wiltshire Police", "management_report"): "outstanding",  # a document off the thread is held
        ("Swindon Children's Services", "chronology"): "not_known",
        ("Swindon Children's Services", "management_report"): "not_known",
    }
    got = b.mail()
    assert sorted(addresses(m, "To")[0] for m in got if m["X-Mailbot-Kind"] == "thanks") == [POLICE, CSC]
    assert b.dovecot.folder_uids("needs-attention")


def test_requests_missed_by_the_approval_go_on_the_next_pass_and_only_once(swindon):
    """A notification sent without the pipeline's follow-up (sent by hand, a crash in between):
    the due-work pass finds it and makes the requests, once."""
    from mailbot.schedule import due
    from mailbot.store.approvals_models import Draft
    from mailbot.store.models import Case
    from mailbot.workflow.drafts import send_approved

    b = swindon
    ref = opened_case(b, {})
    decide(b, ref, "scr")
    with b.rt.store.transaction() as s:
        letter = s.scalar(select(Draft).where(Draft.kind == "agencies_letter"))
        send_approved(s, b.rt, letter, s.scalar(select(Case).where(Case.reference == ref)), None)
    assert _statuses(b) == {}
    due.run_due_work(b.rt)
    assert len(_statuses(b)) == 6  # 3 agencies x 2 returns
    due.run_due_work(b.rt)
    b.pump()
    assert len(_statuses(b)) == 6
    assert len([m for m in b.mail() if m["X-Mailbot-Kind"] == "review_request"]) == 6
