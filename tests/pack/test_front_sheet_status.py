"""The case front sheet says, for every milestone, met or missed once done, due or overdue until then."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from mailbot.pack.build import front_sheet_for
from mailbot.store.models import Case
from tests.pack.conftest import REFERENCE


def statuses(rt) -> dict[str, tuple]:  # noqa: ANN001
    with rt.store.session() as s:
        case = s.scalar(select(Case).where(Case.reference == REFERENCE))
        _data, rows, _child = front_sheet_for(s, rt, case)
    return {r.label: (r.due, r.done, r.status) for r in rows if r.milestone}


def test_the_seeded_case_on_monday_16_february(rt):  # noqa: ANN001
    # Notified Fri 16 Jan, requests Mon 19 Jan, decided Tue 10 Feb (the sample bot state).
    got = statuses(rt)
    D = dt.date
    assert got["Chair's decision on a serious case review (statutory)"] == (
        D(2026, 2, 16), D(2026, 2, 10), "done 10/02/2026, met with 6 days to spare")
    # Due Mon 2 Feb, two of eight still out: T3 W4 T5 F6 M9 T10 W11 T12 F13 M16.
    assert got["Scoping returns due from agencies"] == (D(2026, 2, 2), None, "overdue by 10 working days")
    # 5 working days after Tue 10 Feb: Tue 17.
    assert got["Ofsted, DfE and the National Panel told of the SCR decision (statutory)"] == (
        D(2026, 2, 17), None, "due in 1 working day")


def test_a_late_decision_says_missed_by_how_many_days(rt):  # noqa: ANN001
    rt.clock.set(dt.datetime(2026, 2, 25, 9, 0, tzinfo=dt.timezone.utc))
    with rt.store.transaction() as s:
        s.scalar(select(Case).where(Case.reference == REFERENCE)).decided_on = dt.date(2026, 2, 20)
    got = statuses(rt)
    assert got["Chair's decision on a serious case review (statutory)"][2] == "done 20/02/2026, missed by 4 days"
    # Now counted from Fri 20 Feb: M23 T24 W25 T26 Fri 27, due in 2 working days on Wed 25.
    assert got["Ofsted, DfE and the National Panel told of the SCR decision (statutory)"][2] == (
        "due in 2 working days")
