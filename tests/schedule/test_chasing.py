"""Chasing late scoping returns: which reminder goes to whom, on which day, once."""

from __future__ import annotations

import datetime as dt
import email
from collections import defaultdict
from email import policy

from sqlalchemy import select, update

from mailbot.store.models import AuditEntry, Case, ScopingRequest
from tests.schedule.conftest import REFERRAL, days, london

D = dt.date
START = london(D(2026, 2, 16))  # Monday; the referral's requests are due Monday 2 March
POLICE, SCHOOL, GP = "Sussex Police", "Downland Academy", "Harbourside Medical Practice"
AGENCIES = 8


def _answer(b, agency: str, status: str) -> None:
    with b.store.transaction() as s:
        s.execute(update(ScopingRequest).where(ScopingRequest.agency == agency)
                  .values(status=status, answered_at=b.rt.now().replace(tzinfo=None)))


def _by_day(rows):
    """Rows by the day they were queued (February–March 2026 is GMT: UTC date = London date)."""
    out = defaultdict(list)
    for row in rows:
        out[row.created_at.date()].append(row)
    return out


def _msg(row):
    return email.message_from_bytes(row.raw, policy=policy.default)


def _agency_of(b, row) -> str:
    with b.store.session() as s:
        req = s.scalar(select(ScopingRequest).where(ScopingRequest.id == int(row.dedupe_key.split(":")[2])))
        return req.agency


def test_whole_stage_one_chasers_and_digests(make_board):
    b = make_board(START)
    b.deliver(REFERRAL)
    case = b.case("WS-2026-0001")
    assert len(case.requests) == AGENCIES and {r.due_on for r in case.requests} == {D(2026, 3, 2)}
    for day in days(D(2026, 2, 16), D(2026, 3, 16)):
        if day == D(2026, 3, 3):
            _answer(b, POLICE, "returned")  # before its first reminder
        if day == D(2026, 3, 5):
            _answer(b, SCHOOL, "not_known")  # after reminder 1, before reminder 2
        for hour in (6, 9, 13, 18):
            b.at(london(day, hour))
            if hour == 13:
                b.restart()  # a daemon restart changes nothing
            for _ in range(2 if hour == 9 else 1):  # many passes a day
                b.one_pass()

    chases = _by_day(b.outbox("chase", "escalation"))
    assert sorted(chases) == [D(2026, 3, 4), D(2026, 3, 9), D(2026, 3, 11)]

    first = chases[D(2026, 3, 4)]
    assert {_agency_of(b, r) for r in first} == {r.agency for r in case.requests} - {POLICE}
    assert all(r.kind == "chase" and r.dedupe_key.endswith(":1") for r in first)
    for row in first:
        m = _msg(row)
        req = next(r for r in case.requests if r.agency == _agency_of(b, row))
        assert m["In-Reply-To"].strip() == req.message_id and req.message_id in m["References"]
        assert m["Subject"].startswith("Reminder: Scoping request [WS-2026-0001]")
        assert row.recipients == [req.contact_email] and m["Cc"] is None
        assert row.dedupe_key == f"west-sussex:chase:{req.id}:1"

    second = chases[D(2026, 3, 9)]
    assert {_agency_of(b, r) for r in second} == {r.agency for r in case.requests} - {POLICE, SCHOOL}
    directory = {a.name: a for a in b.board.config.agencies}
    for row in second:
        agency = directory[_agency_of(b, row)]
        assert row.kind == "chase" and row.dedupe_key.endswith(":2")
        assert _msg(row)["Cc"] and agency.senior_manager.email in _msg(row)["Cc"]
        assert row.recipients == [agency.scoping_contacts[0].email, agency.senior_manager.email]

    third = chases[D(2026, 3, 11)]
    assert len(third) == 6 and all(r.kind == "escalation" for r in third)
    assert all(r.recipients == ["businessmanager@westsussex-scb.example"] for r in third)
    assert all("[WS-2026-0001]" in r.subject for r in third)

    # One digest each working day, none at weekends, none before 08:00.
    digests = b.outbox("digest")
    working = [d for d in days(D(2026, 2, 16), D(2026, 3, 16)) if d.weekday() < 5]
    assert [r.created_at.date() for r in digests] == working
    assert all(r.created_at.time() >= dt.time(8, 0) for r in digests)
    assert all(r.status == "sent" for r in b.outbox())

    with b.store.session() as s:
        reqs = {r.agency: r for r in s.scalars(select(ScopingRequest))}
        assert reqs[POLICE].chase_level == 0 and reqs[SCHOOL].chase_level == 1
        assert reqs[GP].chase_level == 3 and reqs[GP].last_chased_on == D(2026, 3, 9)
        actions = [a.action for a in s.scalars(select(AuditEntry).where(AuditEntry.action.like("chase%")))]
        assert actions.count("chase_sent") == 7 + 6 and actions.count("chase_escalated") == 6
        assert "chase_skipped" not in actions


def test_downtime_sends_one_catch_up_per_request(make_board):
    b = make_board(START)
    b.deliver(REFERRAL)
    b.at(london(D(2026, 3, 3), 9))
    b.one_pass()
    assert b.outbox("chase") == []
    # Down on Wednesday 4 and Thursday 5 March; back on Friday at 09:00.
    b.at(london(D(2026, 3, 6), 9))
    b.restart()
    for _ in range(3):
        b.one_pass()
    chases = b.outbox("chase")
    assert len(chases) == AGENCIES and all(r.dedupe_key.endswith(":1") for r in chases)
    assert [r.created_at.date() for r in b.outbox("digest")][-2:] == [D(2026, 3, 3), D(2026, 3, 6)]

    # Down again over reminder 2's day: on Tuesday 10 March only the latest step due goes.
    b.at(london(D(2026, 3, 10), 9))
    b.restart()
    b.one_pass()
    b.one_pass()
    new = [r for r in b.outbox("chase", "escalation") if r.created_at.date() == D(2026, 3, 10)]
    assert len(new) == AGENCIES and all(r.dedupe_key.endswith(":2") for r in new)

    # Back to normal: the escalation on its day, nothing skipped.
    b.at(london(D(2026, 3, 11), 9))
    b.one_pass()
    escalations = b.outbox("escalation")
    assert len(escalations) == AGENCIES
    with b.store.session() as s:
        assert s.scalars(select(AuditEntry).where(AuditEntry.action == "chase_skipped")).all() == []
    assert [r.created_at.date() for r in b.outbox("digest")][-1] == D(2026, 3, 11)


def test_long_downtime_skips_to_the_latest_step_and_audits_the_rest(make_board):
    b = make_board(START)
    b.deliver(REFERRAL)
    b.at(london(D(2026, 3, 12), 10))  # steps 1 (4 Mar), 2 (9 Mar) and 3 (11 Mar) all past
    b.one_pass()
    b.one_pass()
    rows = b.outbox("chase", "escalation")
    assert len(rows) == AGENCIES and {r.kind for r in rows} == {"escalation"}
    with b.store.session() as s:
        skipped = s.scalars(select(AuditEntry).where(AuditEntry.action == "chase_skipped")).all()
        assert len(skipped) == 2 * AGENCIES
        assert {a.detail.split(": step ")[1][:1] for a in skipped} == {"1", "2"}
        assert {r.chase_level for r in s.scalars(select(ScopingRequest))} == {3}
    assert len([r for r in b.outbox("digest") if r.created_at.date() > D(2026, 2, 16)]) == 1


def _easter_request(b, due: D, agency: str = POLICE, case_ref: str = "WS-2026-0090") -> None:
    with b.store.transaction() as s:
        case = s.scalar(select(Case).where(Case.reference == case_ref))
        if case is None:
            case = Case(board="west-sussex", reference=case_ref, year=2026, seq=int(case_ref[-4:]),
                        stage="scoping", status="open", opened_at=dt.datetime(2026, 3, 19, 9), notified_on=D(2026, 3, 19))
            s.add(case)
            s.flush()
        contact = next(a for a in b.board.config.agencies if a.name == agency).scoping_contacts[0].email
        s.add(ScopingRequest(case_id=case.id, agency=agency, contact_email=contact,
                             message_id=f"<req.{case_ref}.{agency[:4]}@westsussex-scb.example>",
                             requested_at=dt.datetime(2026, 3, 19, 9), due_on=due, status="outstanding"))


def test_no_chasing_or_digest_on_weekends_and_bank_holidays(make_board):
    # Due Thursday 2 April 2026; Good Friday 3 and Easter Monday 6 April are bank holidays.
    b = make_board(london(D(2026, 4, 1), 9))
    _easter_request(b, D(2026, 4, 2))
    for day in days(D(2026, 4, 1), D(2026, 4, 17)):
        for hour in (0, 7, 9, 23):  # British Summer Time: London differs from UTC
            b.at(london(day, hour))
            b.one_pass()
    chases = b.outbox("chase", "escalation")
    local = [b.board.calendar.today(r.created_at) for r in chases]
    assert local == [D(2026, 4, 8), D(2026, 4, 13), D(2026, 4, 15)]
    digest_days = [b.board.calendar.today(r.created_at) for r in b.outbox("digest")]
    assert D(2026, 4, 3) not in digest_days and D(2026, 4, 6) not in digest_days
    assert all(b.board.calendar.is_working_day(d) for d in digest_days)
    assert len(digest_days) == len(set(digest_days)) == 11  # 1–17 April less weekends and Easter


def test_one_reminder_a_day_per_agency_across_cases(make_board):
    b = make_board(london(D(2026, 4, 1), 9))
    _easter_request(b, D(2026, 4, 2), case_ref="WS-2026-0090")
    _easter_request(b, D(2026, 4, 2), case_ref="WS-2026-0091")
    b.at(london(D(2026, 4, 8), 9))
    b.one_pass()
    b.one_pass()
    assert len(b.outbox("chase")) == 1
    b.at(london(D(2026, 4, 9), 9))
    b.one_pass()
    rows = b.outbox("chase")
    assert len(rows) == 2 and rows[0].case_id != rows[1].case_id
    assert {b.board.calendar.today(r.created_at) for r in rows} == {D(2026, 4, 8), D(2026, 4, 9)}


def test_bounced_and_answered_requests_are_not_chased(make_board):
    b = make_board(START)
    b.deliver(REFERRAL)
    with b.store.transaction() as s:
        s.execute(update(ScopingRequest).where(ScopingRequest.agency == GP)
                  .values(bounced_at=dt.datetime(2026, 2, 17, 10)))
    _answer(b, POLICE, "returned")
    _answer(b, SCHOOL, "not_known")
    for day in (D(2026, 3, 4), D(2026, 3, 9), D(2026, 3, 11)):
        b.at(london(day, 9))
        b.one_pass()
    chased = {_agency_of(b, r) for r in b.outbox("chase", "escalation")}
    assert chased and not chased & {GP, POLICE, SCHOOL}
    assert len(b.outbox("chase", "escalation")) == 3 * (AGENCIES - 3)
