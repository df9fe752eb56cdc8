"""A safeguarding partnership (wt2023): rapid review, a decision on a local review, its report to the Panel."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from mailbot.store.review_models import ReviewRequest
from tests.stage2.conftest import addresses, decide, make_board, opened_case, report_docx, to_chair

CHAIR = "chair@westsussex-scb.example"
BM = "businessmanager@westsussex-scb.example"
NOTIFY = ["notifications@ofsted.example", "panel@nationalpanel.example", "scr.notifications@dfe.example"]
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def partnership(dovecot, smtp_server, store, tmp_path, monkeypatch):  # noqa: ANN001, ANN201
    b = make_board("west-sussex", dovecot, smtp_server, store, tmp_path, monkeypatch, regime="wt2023")
    yield b
    b.rt.close()


def _kind(msgs, kind):  # noqa: ANN001, ANN202
    return [m for m in msgs if m["X-Mailbot-Kind"] == kind]


def _approve(b, kind: str) -> list:  # noqa: ANN001
    (d,) = [d for d in b.drafts(kind) if d.status == "awaiting_approval"]
    b.reply(f"Dr Rosalind Ashcombe <{CHAIR}>", to_chair(b, d.token, b.sent), "APPROVE")
    return b.mail()


def test_a_local_review_from_the_decision_to_its_report_to_the_panel(partnership):
    b = partnership
    ref = opened_case(b, {})
    b.day(dt.date(2026, 3, 6))  # the rapid review's decision: a local child safeguarding practice review
    decide(b, ref, "scr")
    b.mail()
    _approve(b, "scr_notification")
    requests = _kind(_approve(b, "agencies_letter"), "review_request")
    with b.rt.store.session() as s:
        asked = list(s.scalars(select(ReviewRequest).order_by(ReviewRequest.id)))
    agencies = {r.agency for r in asked}
    assert len(requests) == 2 * len(agencies) and len(agencies) >= 1
    # wt2023's own words and dates: chronologies 6 weeks and reports 10 weeks after Fri 6 March.
    assert {(r.kind, r.due_on) for r in asked} == {("chronology", dt.date(2026, 4, 17)),
                                                   ("agency_report", dt.date(2026, 5, 15))}
    assert all("local child safeguarding practice review" in m.get_body(("plain",)).get_content()
               for m in requests)
    first = next(m for m in requests if m["Subject"].startswith("Agency report"))
    b.day(dt.date(2026, 4, 1))
    b.reply(f"Reviewer <{addresses(first, 'To')[0]}>", first, "Attached.",
            attachments=[("report.docx", report_docx("Agency findings."), DOCX)])
    assert len(_kind(b.mail(), "thanks")) == 1

    b.day(dt.date(2026, 9, 4))
    b.send(f"Business Manager <{BM}>", f"DONE {ref} completion 04/09/2026", "")
    b.send(f"Business Manager <{BM}>", f"PUBLISH {ref} ON 1 October 2026", "")
    got = b.mail()
    (draft,) = b.drafts("report_to_panel")
    assert "Child Safeguarding Practice Review Panel" in draft.title
    # 7 working days before Thu 1 October: Tue 22 September.
    assert draft.due_on == dt.date(2026, 9, 22)
    assert "Child Safeguarding Practice Review Panel" in _kind(got, "review_answer")[1].get_body(
        ("plain",)).get_content()
    b.day(dt.date(2026, 9, 7))
    (sent,) = _kind(_approve(b, "report_to_panel"), "notification")
    assert addresses(sent, "To") == NOTIFY
    body = sent.get_body(("plain",)).get_content()
    assert "local child safeguarding practice review" in body and "1 October 2026" in body


def test_a_bounced_stage2_request_is_not_chased_and_the_business_manager_is_told(partnership):
    from tests.conftest import SAMPLES

    b = partnership
    ref = opened_case(b, {})
    b.day(dt.date(2026, 3, 6))
    decide(b, ref, "scr")
    b.mail()
    _approve(b, "scr_notification")
    requests = _kind(_approve(b, "agencies_letter"), "review_request")
    dead = next(m for m in requests if m["Subject"].startswith("Chronology"))
    mid = str(dead["Message-ID"]).strip()
    bounce = (SAMPLES / "emails" / "04-bounce-chase.eml").read_bytes().replace(
        b"<20260204080000.chase.8ce0c26f.ws-2026-0001@westsussex-scb.example>", mid.encode())
    bounce = bounce.replace(b"Message-Id: <20260204080041.6F339C0F8A@mx.westsussex-scb.example>",
                            b"Message-Id: <bounce-stage2@mx.westsussex-scb.example>")
    b.dovecot.deliver(bounce)
    b.pump()
    assert [addresses(m, "To") for m in _kind(b.mail(), "notice")] == [[BM]]
    with b.rt.store.session() as s:
        req = s.scalar(select(ReviewRequest).where(ReviewRequest.message_id == mid))
        assert req.bounced_at is not None
        others = s.scalars(select(ReviewRequest).where(ReviewRequest.kind == "chronology",
                                                       ReviewRequest.id != req.id)).all()
    # Chronologies due Fri 17 April; the first reminders 1 working day after (wt2023's cadence): Mon 20 April.
    b.day(dt.date(2026, 4, 20))
    chased = [addresses(m, "To")[0] for m in _kind(b.mail(), "review_chase")]
    assert sorted(chased) == sorted(r.contact_email for r in others) and req.contact_email not in chased
