"""The daily digest: what it says, and that it goes once per working day at its time."""

from __future__ import annotations

import datetime as dt
import email
from email import policy

from sqlalchemy import select, update

from mailbot.config import Digest
from mailbot.store.models import MessageSeen, Record, ScopingRequest
from mailbot.workflow import digest
from tests.schedule.conftest import REFERRAL, UNKNOWN_SENDER, london

D = dt.date
START = london(D(2026, 2, 16))


def _parts(row):
    msg = email.message_from_bytes(row.raw, policy=policy.default)
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    return msg, text, html


def _child_names(b) -> list[str]:
    with b.store.session() as s:
        data = s.scalars(select(Record.data)).first()
    child = data.get("child") or {}
    return [v for k, v in child.items() if k in ("full_name", "first_name", "surname") and v]


def test_digest_sections_and_parts(make_board):
    b = make_board(START)
    b.deliver(REFERRAL, UNKNOWN_SENDER)
    with b.store.transaction() as s:
        s.execute(update(ScopingRequest).where(ScopingRequest.agency == "Sussex Police")
                  .values(status="returned", answered_at=dt.datetime(2026, 3, 3, 11)))
        s.execute(update(ScopingRequest).where(ScopingRequest.agency == "Harbourside Medical Practice")
                  .values(bounced_at=dt.datetime(2026, 2, 17, 10)))
    for day in (D(2026, 3, 3), D(2026, 3, 4), D(2026, 3, 5)):
        b.at(london(day, 9))
        b.one_pass()
    row = b.outbox("digest")[-1]
    msg, text, html = _parts(row)
    assert row.recipients == ["businessmanager@westsussex-scb.example"]
    assert msg["Subject"].startswith("WSSCB daily digest, Thursday 5 March 2026")
    assert msg["Auto-Submitted"] == "auto-generated"
    for part in (text, html):
        assert "WS-2026-0001" in part
        assert "Scoping: returns requested from agencies" in part
        assert "West Sussex ICB" in part and "Downland Academy" in part
        assert "Awaiting the Independent Chair" in part or "AWAITING THE INDEPENDENT CHAIR" in part
        assert "from a sender not in the directory" in part or "unknown sender" in part.lower()
        assert "@tidemill-nursery.example" in part  # the held message, by its sender's domain
        assert "practice.manager@harbourside-gp.example" in part  # the bounce
    # Overdue with chase history: reminder 1 went on 4 March.
    assert "04/03/2026 (reminder 1)" in text and "04/03 reminder 1" in html
    assert "[RED]" in text and "#c62828" in html
    # Held messages: every unresolved needs-attention row, with its reason.
    with b.store.session() as s:
        held = s.scalars(select(MessageSeen).where(MessageSeen.outcome == "needs-attention")).all()
    assert held and all(f"Ledger {h.id}" in text for h in held)
    # Outlook-safe HTML: no scripts, no external resources, no style sheets.
    lowered = html.lower()
    assert "<script" not in lowered and "<link" not in lowered and "<style" not in lowered
    assert "http://" not in lowered and "https://" not in lowered and "src=" not in lowered
    # No child's personal data: not in the subject, not in the body.
    names = _child_names(b)
    assert names
    for name in names:
        assert name not in msg["Subject"] and name not in text and name not in html


def test_digest_resolved_messages_drop_out(make_board):
    b = make_board(START)
    b.deliver(UNKNOWN_SENDER)
    with b.store.session() as s:
        data = digest.collect(s, b.rt, D(2026, 2, 16))
    assert len(data.held) == 1
    with b.store.transaction() as s:
        s.execute(update(MessageSeen).values(resolved_at=dt.datetime(2026, 2, 16, 10)))
    with b.store.session() as s:
        assert digest.collect(s, b.rt, D(2026, 2, 16)).held == []
        assert digest.awaiting_chair(s, b.rt) == []


def test_digest_new_since_last_digest(make_board):
    b = make_board(london(D(2026, 2, 16), 7))
    b.deliver(REFERRAL)
    b.at(london(D(2026, 2, 16), 8))
    b.one_pass()
    _, text, _ = _parts(b.outbox("digest")[-1])
    assert "New referral WS-2026-0001" in text
    b.at(london(D(2026, 2, 17), 8))
    b.one_pass()
    _, text, _ = _parts(b.outbox("digest")[-1])
    assert "New referral" not in text and "Nothing new." in text


def test_digest_time_working_days_and_once_a_day(make_board):
    b = make_board(london(D(2026, 3, 6), 6))
    b.board.config = b.board.config.model_copy(update={"digest": Digest(time="10:30")})
    b.restart()
    for hour, minute in ((6, 0), (10, 0), (10, 29)):
        b.at(london(D(2026, 3, 6), hour, minute))
        b.one_pass()
    assert b.outbox("digest") == []
    for hour, minute in ((10, 30), (10, 31), (15, 0), (23, 59)):
        b.at(london(D(2026, 3, 6), hour, minute))
        b.one_pass()
        b.restart()
    assert len(b.outbox("digest")) == 1
    for day in (D(2026, 3, 7), D(2026, 3, 8)):  # the weekend
        b.at(london(day, 12))
        b.one_pass()
    assert len(b.outbox("digest")) == 1
    # Down from Monday to Wednesday evening: one digest, Wednesday's.
    b.at(london(D(2026, 3, 11), 19))
    b.one_pass()
    rows = b.outbox("digest")
    assert len(rows) == 2 and rows[-1].dedupe_key == "west-sussex:digest:2026-03-11"
    assert rows[-1].status == "sent"


def test_digest_disabled_sends_nothing(make_board):
    b = make_board(london(D(2026, 3, 6), 9))
    b.board.config = b.board.config.model_copy(update={"digest": Digest(enabled=False)})
    b.restart()
    b.one_pass()
    assert b.outbox("digest") == []


def test_digest_says_once_which_deadlines_were_missed_since_the_last(make_board):
    from mailbot.store.models import Case

    b = make_board(london(D(2026, 2, 16), 7))
    b.deliver(REFERRAL)  # WS-2026-0001: scoping requests Mon 16 Feb, returns due Mon 2 Mar
    with b.store.transaction() as s:
        s.execute(update(Case).values(notified_on=D(2026, 2, 2)))  # the Chair's decision due Mon 2 Mar
    texts, htmls, subjects = {}, {}, {}
    for day in (D(2026, 2, 27), D(2026, 3, 2), D(2026, 3, 3), D(2026, 3, 4)):
        b.at(london(day, 9))
        b.one_pass()
        msg, texts[day], htmls[day] = _parts(b.outbox("digest")[-1])
        subjects[day] = msg["Subject"]
    missed = ("MISSED since the last digest: Scoping returns due from agencies, due 02/03/2026, not done; "
              "Chair's decision on a serious case review (statutory), due 02/03/2026, not done")
    assert missed in texts[D(2026, 3, 3)]
    assert "deadlines missed since the last digest: 2" in texts[D(2026, 3, 3)]
    assert subjects[D(2026, 3, 3)].endswith(", 2 deadlines missed")
    assert not subjects[D(2026, 3, 4)].endswith("missed")
    assert "Missed since the last digest:</b> Chair&#39;s decision on a serious case review (statutory)" in \
        htmls[D(2026, 3, 3)] or "Missed since the last digest:</b> Chair's decision" in htmls[D(2026, 3, 3)]
    for day in (D(2026, 2, 27), D(2026, 3, 2), D(2026, 3, 4)):  # due today is not missed; told once
        assert "MISSED" not in texts[day] and "deadlines missed since the last digest: 0" in texts[day]
    # Decided a day late, on Wed 4 Mar: Thursday's strip shows it done and missed, without a new line.
    with b.store.transaction() as s:
        s.execute(update(Case).values(decision="scr", decided_on=D(2026, 3, 4), stage="awaiting_notification"))
    b.at(london(D(2026, 3, 5), 9))
    b.one_pass()
    _, text, html = _parts(b.outbox("digest")[-1])
    assert "MISSED" not in text
    assert "Chair&#39;s decision on a serious case review: missed" in html or \
        "Chair's decision on a serious case review: missed" in html
    assert "✗ Chair" in html


def test_a_deadline_missed_over_a_weekend_and_met_late_is_told_on_monday(make_board):
    from mailbot.store.models import Case

    b = make_board(london(D(2026, 2, 16), 7))
    b.deliver(REFERRAL)
    with b.store.transaction() as s:
        s.execute(update(Case).values(notified_on=D(2026, 1, 31)))  # decision due Sat 28 Feb
    b.at(london(D(2026, 2, 27), 9))
    b.one_pass()
    with b.store.transaction() as s:  # decided on the Sunday, a day late
        s.execute(update(Case).values(decision="scr", decided_on=D(2026, 3, 1), stage="awaiting_notification"))
    b.at(london(D(2026, 3, 2), 9))
    b.one_pass()
    _, text, _ = _parts(b.outbox("digest")[-1])
    assert ("MISSED since the last digest: Chair's decision on a serious case review (statutory), "
            "due 28/02/2026, done 01/03/2026, missed by 1 day") in text


def test_a_case_that_arrives_after_its_deadline_shows_it_missed_on_its_first_digest(make_board):
    from mailbot.store.models import Case

    b = make_board(london(D(2026, 3, 2), 7))
    b.deliver(REFERRAL)  # opened Mon 2 Mar
    with b.store.transaction() as s:
        s.execute(update(Case).values(notified_on=D(2026, 1, 26)))  # the decision was due Thu 26 Feb
    b.at(london(D(2026, 3, 2), 9))
    b.one_pass()
    _, text, _ = _parts(b.outbox("digest")[-1])
    assert ("MISSED since the last digest: Chair's decision on a serious case review (statutory), "
            "due 26/02/2026, not done") in text
    b.at(london(D(2026, 3, 3), 9))
    b.one_pass()
    _, text, _ = _parts(b.outbox("digest")[-1])
    assert "MISSED" not in text
