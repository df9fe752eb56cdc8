"""Drafts nobody answered are chased and expire; the demo step runs end to end."""

from __future__ import annotations

import datetime as dt

from mailbot.demo.approval import demo_approval
from mailbot.workflow.drafts import chase_drafts, drafts_for_digest
from tests.approvals.conftest import BM, CHAIR, addresses, draft, outgoing, parsed, run, sample


def _at(clock, day: int, hour: int = 8) -> None:  # noqa: ANN001
    clock.set(dt.datetime(2026, 2, day, hour, 0, tzinfo=dt.timezone.utc))


def test_unanswered_drafts_are_chased_then_expire(rt, clock):
    # The seeded drafts went to the Chair on Tuesday 10 February; it is Monday 16th (4 working days on).
    assert chase_drafts(rt) == 4  # D1–D4 await the Chair (D0 was superseded): one reminder each
    reminders = outgoing(rt, "draft_reminder")
    assert sorted(m.subject.split("#")[-1] for m in reminders) == ["4TQEGZ", "7P7UJG", "JUZDZ5", "V85YF8"]
    first = parsed(reminders[0])
    assert addresses(first, "To") == [CHAIR] and addresses(first, "Cc") == [BM]  # second level copies the BM
    assert first["In-Reply-To"].strip() == draft(rt, "#V85YF8").message_id
    assert chase_drafts(rt) == 0  # nobody is chased twice in a day
    _at(clock, 17, 16)  # after 15:37 on the 17th every seeded draft has expired
    assert chase_drafts(rt) == 4
    assert {draft(rt, t).status for t in ("#V85YF8", "#4TQEGZ", "#7P7UJG", "#JUZDZ5")} == {"expired"}
    assert len(outgoing(rt, "notice")) == 4 and outgoing(rt, "notification") == []
    assert all(m.recipients == [BM] for m in outgoing(rt, "notice"))


def test_digest_lists_awaiting_drafts_with_refused_replies(rt):
    run(rt, [sample("11"), sample("12"), sample("13")])
    rows = {r["token"]: r for r in drafts_for_digest(rt.store.session(), rt.slug)}
    assert len(rows["#JUZDZ5"]["refused_replies"]) == 2 and rows["#JUZDZ5"]["status"] == "awaiting_approval"
    assert rows["#AEWA2Q"]["status"] == "superseded"  # a refused reply to a replaced draft is shown too
    assert rows["#V85YF8"]["due_on"] == dt.date(2026, 2, 17)


def test_demo_approval_goes_from_decision_to_sent_notification(rt):
    run(rt, [sample("06")])  # a referral opens WS-2026-0002
    lines = demo_approval(rt)
    text = "\n".join(lines)
    assert "Decision recorded on WS-2026-0002" in text
    assert "Sent 'Notification of a decision to initiate a serious case review" in text
    assert "panel@nationalpanel.example" in text and "met" in text
    (sent,) = outgoing(rt, "notification")
    assert addresses(parsed(sent), "Cc") == [CHAIR]
    assert demo_approval(rt) == ["No open case without a decision: nothing to demonstrate."]
