"""Every Chair reply in the samples: exactly the right notifications, once, or nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from mailbot.store.approvals_models import Draft
from mailbot.store.models import AuditEntry, MessageSeen
from tests.approvals.conftest import BM, CHAIR, NOTIFY, addresses, draft, outgoing, parsed, run, sample

# Every sample reply also arrives through the Graph backend, as it would from Microsoft 365.
pytestmark = pytest.mark.parametrize("rt", ["maildir", "graph"], indirect=True)

D0, D1, D2, D3, D4 = "#AEWA2Q", "#V85YF8", "#4TQEGZ", "#7P7UJG", "#JUZDZ5"


def _agency_people(rt) -> list[str]:  # noqa: ANN001
    out = []
    for agency in rt.board.config.agencies:
        out += [p.email for p in agency.scoping_contacts] + [agency.senior_manager.email]
    return sorted(out)


def test_09_outlook_approve_sends_the_scr_notification_once(rt):
    run(rt, [sample("09")])
    sent = outgoing(rt, "notification")
    assert len(sent) == 1
    msg = parsed(sent[0])
    assert addresses(msg, "To") == sorted(NOTIFY)
    assert addresses(msg, "Cc") == [CHAIR]
    assert sorted(sent[0].recipients) == sorted([*NOTIFY, CHAIR]) and sent[0].status == "sent"
    assert "[WS-2026-0001]" in msg["Subject"]
    docs = [p for p in msg.iter_attachments() if p.get_filename().endswith(".docx")]
    assert len(docs) == 1
    d1 = draft(rt, D1)
    assert d1.status == "sent" and d1.sent_outbox_ids == [sent[0].id]
    assert d1.milestone == "notify_scr_decision" and d1.due_on == dt.date(2026, 2, 17)
    assert d1.sent_at == dt.datetime(2026, 2, 16, 9, 0)
    with rt.store.session() as s:
        actions = [a.action for a in s.scalars(select(AuditEntry).where(AuditEntry.case_id == d1.case_id))]
    assert "draft_approved" in actions and "notification_sent" in actions
    assert outgoing(rt, "notice") == [] and outgoing(rt, "approval_refused") == []
    for other in (D2, D3, D4):
        assert draft(rt, other).status == "awaiting_approval"


def test_10_iphone_approve_sends_the_letter_to_every_agency(rt):
    run(rt, [sample("10")])
    sent = outgoing(rt, "notification")
    assert len(sent) == 1
    msg = parsed(sent[0])
    assert addresses(msg, "To") == _agency_people(rt)
    assert addresses(msg, "Cc") == [CHAIR]
    assert "secure your records" in msg["Subject"]
    assert draft(rt, D2).status == "sent" and draft(rt, D1).status == "awaiting_approval"


def test_08_reject_stops_the_draft_and_tells_the_business_manager(rt):
    run(rt, [sample("08")])
    assert outgoing(rt, "notification") == []
    d3 = draft(rt, D3)
    assert d3.status == "rejected"
    assert d3.reason.startswith("the lead reviewer has not confirmed yet")
    notices = outgoing(rt, "notice")
    assert len(notices) == 1 and notices[0].recipients == [BM]
    assert "lead reviewer has not confirmed" in parsed(notices[0]).get_body(("plain",)).get_content()
    assert [m.kind for m in outgoing(rt)] == ["notice"]


@pytest.mark.parametrize("name, kind", [("11", "unknown_sender"), ("12", "failed_authentication")])
def test_11_12_refused_replies_send_nothing_and_leave_d4_awaiting(rt, name, kind):
    run(rt, [sample(name)])
    d4 = draft(rt, D4)
    assert d4.status == "awaiting_approval" and d4.sent_at is None
    assert len(d4.refusals) == 1 and "reply refused" in d4.refusals[0]
    out = outgoing(rt)
    assert [m.kind for m in out] == ["notice"] and out[0].recipients == [BM]  # nobody else is written to
    with rt.store.session() as s:
        row = s.scalar(select(MessageSeen))
    assert row.kind == kind and row.outcome == "needs-attention"


def test_13_superseded_expired_token_sends_nothing_answers_the_chair(rt):
    run(rt, [sample("13")])
    assert outgoing(rt, "notification") == []
    assert draft(rt, D0).status == "superseded"
    assert draft(rt, D1).status == "awaiting_approval"  # the newer version is untouched
    told = outgoing(rt, "approval_refused")
    assert len(told) == 1 and told[0].recipients == [CHAIR]
    assert "replaced by a newer version" in parsed(told[0]).get_body(("plain",)).get_content()
    notices = outgoing(rt, "notice")
    assert len(notices) == 1 and notices[0].recipients == [BM]


def test_all_samples_in_order_twice_send_each_notification_once(rt):
    from tests.flow.conftest import sample_emails

    raws = [raw for _n, _e, raw in sample_emails()]
    run(rt, raws)
    run(rt, raws)  # the same messages again: the ledger recognises every one
    sent = outgoing(rt, "notification")
    assert len(sent) == 2
    assert [addresses(parsed(m), "Cc") for m in sent] == [[CHAIR], [CHAIR]]
    with rt.store.session() as s:
        statuses = {d.token: d.status for d in s.scalars(select(Draft))}
    assert statuses == {D0: "superseded", D1: "sent", D2: "sent", D3: "rejected", D4: "awaiting_approval"}
