"""The working-day calendar, pinned against dates checked by hand on gov.uk's
bank-holiday lists (England and Wales) and a paper calendar."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings, strategies as st

from mailbot.calendar import BoardCalendar

ENG = BoardCalendar("england")
WLS = BoardCalendar("wales")

# England and Wales bank holidays 2026 (gov.uk), Boxing Day on a Saturday
# giving the substitute Monday 28 December.
BANK_HOLIDAYS_2026 = [
    date(2026, 1, 1),
    date(2026, 4, 3),  # Good Friday
    date(2026, 4, 6),  # Easter Monday
    date(2026, 5, 4),  # Early May
    date(2026, 5, 25),  # Spring
    date(2026, 8, 31),  # Summer (last Monday of August)
    date(2026, 12, 25),
    date(2026, 12, 28),  # Boxing Day (substitute)
]


@pytest.mark.parametrize("cal", [ENG, WLS], ids=["england", "wales"])
def test_the_2026_bank_holidays_are_exactly_the_england_and_wales_list(cal):
    named = cal.holidays_between(date(2026, 1, 1), date(2026, 12, 31))
    # Boxing Day itself (Saturday 26th) keeps its name; the day off is the 28th.
    assert [d for d, _ in named if d.weekday() < 5] == BANK_HOLIDAYS_2026
    assert (date(2026, 12, 26), "Boxing Day") in named


@pytest.mark.parametrize("cal", [ENG, WLS], ids=["england", "wales"])
@pytest.mark.parametrize(
    "day",
    [
        date(2026, 1, 2),  # Scotland: 2nd January (a Friday)
        date(2022, 1, 4),  # Scotland: 2nd January substitute
        date(2026, 8, 3),  # Scotland: Summer bank holiday, first Monday of August
        date(2026, 11, 30),  # Scotland: St Andrew's Day (a Monday)
        date(2026, 3, 17),  # Northern Ireland: St Patrick's Day (a Tuesday)
        date(2027, 7, 12),  # Northern Ireland: Battle of the Boyne (a Monday)
    ],
)
def test_scottish_and_northern_irish_days_are_working_days(cal, day):
    assert cal.is_working_day(day)
    assert cal.holiday_name(day) is None


@pytest.mark.parametrize("cal", [ENG, WLS], ids=["england", "wales"])
@pytest.mark.parametrize(
    "day",
    [
        date(2021, 12, 27),  # Christmas Day (Saturday) substitute
        date(2021, 12, 28),  # Boxing Day (Sunday) substitute
        date(2022, 1, 3),  # New Year's Day (Saturday) substitute
        date(2027, 12, 27),
        date(2027, 12, 28),
        date(2028, 1, 3),  # 1 January 2028 is a Saturday
        date(2027, 3, 26),  # Good Friday 2027
        date(2027, 3, 29),  # Easter Monday 2027
        date(2022, 9, 19),  # state funeral, a one-off in the package
        date(2023, 5, 8),  # coronation, a one-off in the package
    ],
)
def test_substitute_and_one_off_days_are_holidays(cal, day):
    assert not cal.is_working_day(day)
    assert cal.holiday_name(day)


def test_weekends_are_not_working_days_and_named_days_have_names():
    assert not ENG.is_working_day(date(2026, 1, 10))  # Saturday
    assert not ENG.is_working_day(date(2026, 1, 11))  # Sunday
    assert ENG.is_working_day(date(2026, 1, 12))
    assert ENG.holiday_name(date(2026, 1, 10)) is None  # a weekend is not a holiday
    assert "Good Friday" in ENG.holiday_name(date(2026, 4, 3))
    assert "Easter Monday" in WLS.holiday_name(date(2026, 4, 6))


def test_a_one_off_bank_holiday_from_config():
    cal = BoardCalendar("england", extra_holidays=[date(2026, 6, 15)])  # a Monday
    assert not cal.is_working_day(date(2026, 6, 15))
    assert cal.holiday_name(date(2026, 6, 15))
    # Friday 12 June + 1 working day skips the weekend and the extra Monday.
    assert cal.add_working_days(date(2026, 6, 12), 1) == date(2026, 6, 16)
    assert ENG.add_working_days(date(2026, 6, 12), 1) == date(2026, 6, 15)  # others unaffected


def test_a_named_one_off_bank_holiday():
    cal = BoardCalendar("wales", extra_holidays={date(2026, 6, 15): "Jubilee"})
    assert cal.holiday_name(date(2026, 6, 15)) == "Jubilee"


def test_bad_region_and_datetimes_are_refused():
    with pytest.raises(ValueError, match="england, wales"):
        BoardCalendar("scotland")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ENG.is_working_day(datetime(2026, 1, 12, 9, 0))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ENG.add_working_days("2026-01-12", 1)  # type: ignore[arg-type]


# --- N working days after D ---------------------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # From a Friday: Monday is day 1, the Friday after is day 5.
        (date(2026, 1, 9), 1, date(2026, 1, 12)),
        (date(2026, 1, 9), 5, date(2026, 1, 16)),
        # The sample's scoping requests: Mon 19 Jan + 10 = Mon 2 Feb 2026.
        (date(2026, 1, 19), 10, date(2026, 2, 2)),
        # From the day before Good Friday: Fri 3 and Mon 6 April are holidays,
        # so Tue 7 is day 1 and Mon 13 is day 5.
        (date(2026, 4, 2), 1, date(2026, 4, 7)),
        (date(2026, 4, 2), 5, date(2026, 4, 13)),
        # Christmas 2026: Thu 24 is day 1 from Wed 23; Fri 25 and Mon 28 are off.
        (date(2026, 12, 23), 3, date(2026, 12, 30)),
        # Tue 29=1 Wed 30=2 Thu 31=3 (Fri 1 Jan off) Mon 4=4 Tue 5=5.
        (date(2026, 12, 24), 5, date(2027, 1, 5)),
        # 2021: Christmas and Boxing Day on a weekend, substitutes 27 and 28.
        (date(2021, 12, 24), 1, date(2021, 12, 29)),
        # New Year 2022 on a Saturday, substitute Monday 3 January.
        (date(2021, 12, 31), 1, date(2022, 1, 4)),
        (date(2027, 12, 24), 1, date(2027, 12, 29)),
        (date(2027, 12, 31), 1, date(2028, 1, 4)),
        # Early May (Mon 4 May 2026) and Spring (Mon 25 May 2026).
        (date(2026, 5, 1), 1, date(2026, 5, 5)),
        (date(2026, 5, 22), 1, date(2026, 5, 26)),
        # Summer: Mon 31 Aug 2026 is off in England; Mon 3 Aug is not.
        (date(2026, 8, 28), 1, date(2026, 9, 1)),
        (date(2026, 7, 31), 1, date(2026, 8, 3)),
        # Leap day: Mon 28 Feb 2028 + 1 = Tue 29 Feb.
        (date(2028, 2, 28), 1, date(2028, 2, 29)),
        # n = 0 is the day itself, even a Saturday.
        (date(2026, 1, 10), 0, date(2026, 1, 10)),
        # From a Saturday, Monday is day 1.
        (date(2026, 1, 10), 1, date(2026, 1, 12)),
        # Backwards: 7 working days before Fri 13 Nov 2026 is Wed 4 Nov.
        (date(2026, 11, 13), -7, date(2026, 11, 4)),
        # Backwards over Easter: 1 working day before Tue 7 Apr 2026 is Thu 2 Apr.
        (date(2026, 4, 7), -1, date(2026, 4, 2)),
    ],
)
def test_add_working_days(start, n, expected):
    assert ENG.add_working_days(start, n) == expected


def test_wales_counts_like_england_over_easter_and_christmas():
    assert WLS.add_working_days(date(2026, 4, 2), 5) == date(2026, 4, 13)
    assert WLS.add_working_days(date(2021, 12, 31), 1) == date(2022, 1, 4)


def test_next_and_previous_and_nearest_working_days():
    assert ENG.next_working_day(date(2026, 4, 2)) == date(2026, 4, 7)
    assert ENG.next_working_day(date(2026, 4, 7)) == date(2026, 4, 8)  # strictly after
    assert ENG.previous_working_day(date(2026, 4, 7)) == date(2026, 4, 2)
    assert ENG.on_or_after(date(2026, 4, 3)) == date(2026, 4, 7)
    assert ENG.on_or_after(date(2026, 4, 8)) == date(2026, 4, 8)
    assert ENG.on_or_before(date(2026, 4, 19)) == date(2026, 4, 17)  # Sunday -> Friday
    assert ENG.on_or_before(date(2026, 12, 28)) == date(2026, 12, 24)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (date(2026, 1, 19), date(2026, 2, 2), 10),
        (date(2026, 2, 2), date(2026, 1, 19), -10),
        (date(2026, 4, 8), date(2026, 4, 8), 0),
        (date(2026, 4, 2), date(2026, 4, 7), 1),  # over Easter
        (date(2026, 4, 9), date(2026, 4, 8), -1),  # one day overdue
        (date(2026, 1, 9), date(2026, 1, 10), 0),  # Friday to Saturday
        (date(2026, 4, 17), date(2026, 4, 19), 0),  # Friday to a Sunday deadline
        (date(2026, 12, 24), date(2027, 1, 5), 5),
    ],
)
def test_working_days_between(a, b, expected):
    assert ENG.working_days_between(a, b) == expected


@settings(max_examples=200, deadline=None, database=None)
@given(st.dates(date(2020, 1, 1), date(2030, 12, 31)), st.integers(1, 40))
def test_adding_then_counting_gives_back_n(start, n):
    end = ENG.add_working_days(start, n)
    assert ENG.is_working_day(end)
    assert ENG.working_days_between(start, end) == n
    assert ENG.add_working_days(start, n - 1) < end


# --- calendar periods ---------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
        (date(2028, 2, 29), 1, date(2028, 3, 29)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 3, 19), 1, date(2026, 4, 19)),  # a Sunday: stays there
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
    ],
)
def test_add_months_is_same_day_or_month_end(start, n, expected):
    assert ENG.add_months(start, n) == expected


def test_days_and_weeks_are_calendar_periods():
    assert ENG.add_days(date(2026, 4, 13), 14) == date(2026, 4, 27)
    assert ENG.add_days(date(2028, 2, 28), 1) == date(2028, 2, 29)
    assert ENG.add_weeks(date(2026, 3, 19), 4) == date(2026, 4, 16)
    assert ENG.add_weeks(date(2007, 1, 1), 4) == date(2007, 1, 29)  # Swindon's end week 4


# --- today in London ----------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Summer time: 23:30 UTC is 00:30 the next day in London.
        (datetime(2026, 6, 30, 23, 30, tzinfo=timezone.utc), date(2026, 7, 1)),
        # Winter: London is on UTC.
        (datetime(2026, 12, 31, 23, 30, tzinfo=timezone.utc), date(2026, 12, 31)),
        # The night the clocks go forward (29 March 2026 01:00 UTC).
        (datetime(2026, 3, 28, 23, 59, tzinfo=timezone.utc), date(2026, 3, 28)),
        (datetime(2026, 3, 29, 23, 30, tzinfo=timezone.utc), date(2026, 3, 30)),
        # A naive time is taken as UTC.
        (datetime(2026, 6, 30, 23, 30), date(2026, 7, 1)),
        # Another zone converts: 20:00 in New York is 01:00 next day in London.
        (datetime(2026, 1, 5, 20, 0, tzinfo=timezone(timedelta(hours=-5))), date(2026, 1, 6)),
    ],
)
def test_today_is_the_london_date(now, expected):
    assert ENG.today(now) == expected
