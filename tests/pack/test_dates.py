"""A chronology's date cell gets its place in time: exact, approximate (start of the period) or undated."""

from __future__ import annotations

import datetime as dt

import pytest

from mailbot.pack.dates import read_when, time_key

TODAY = dt.date(2026, 3, 2)


@pytest.mark.parametrize(("text", "start", "precision"), [
    ("June 2014 approx", dt.date(2014, 6, 1), "month"),
    ("June 04 approx", dt.date(2004, 6, 1), "month"),  # Swindon's own example: two-digit years
    ("Jul 22 approx", dt.date(2022, 7, 1), "month"),
    ("approx. Sept 2014", dt.date(2014, 9, 1), "month"),
    ("06/2014", dt.date(2014, 6, 1), "month"),
    ("June/July 2014", dt.date(2014, 6, 1), "month"),
    ("late June 2014", dt.date(2014, 6, 21), "month"),
    ("Spring 2015", dt.date(2015, 3, 1), "season"),
    ("Summer 15", dt.date(2015, 6, 1), "season"),
    ("Winter 2014/15", dt.date(2014, 12, 1), "season"),
    ("Spring term 2015", dt.date(2015, 1, 1), "season"),  # school terms start earlier than seasons
    ("Autumn term 2025", dt.date(2025, 9, 1), "season"),
    ("Q3 2015", dt.date(2015, 7, 1), "season"),
    ("2013", dt.date(2013, 1, 1), "year"),
    ("c.2013", dt.date(2013, 1, 1), "year"),
    ("2013/14", dt.date(2013, 1, 1), "year"),
    ("early 2014", dt.date(2014, 1, 1), "part"),
    ("mid-2019", dt.date(2019, 5, 1), "part"),
    ("12/05/14 approx", dt.date(2014, 5, 12), "day"),
    ("w/c 3 March 2015", dt.date(2015, 3, 3), "day"),
    ("Christmas 2014", dt.date(2014, 12, 25), "day"),
])
def test_approximate_dates_sort_at_the_start_of_their_period_and_keep_their_text(text, start, precision):
    when = read_when(None, text, TODAY)
    assert (when.start, when.precision, when.approximate) == (start, precision, True)
    assert when.shown == text


@pytest.mark.parametrize("text", ["N/K", "Unknown", "date not recorded", "sometime in the autumn", "", None,
                                  "Market day", "the 22nd"])
def test_cells_that_name_no_period_are_undated(text):
    when = read_when(None, text, TODAY)
    assert when.start is None and not when.dated and when.precision == "none"
    assert when.shown == " ".join((text or "").split())


def test_exact_dates_are_shown_in_full_and_the_record_date_wins():
    assert read_when(None, "23/12/24", TODAY).shown == "23/12/2024"
    assert read_when("2024-12-23", "23/12/24", TODAY) == read_when(None, "23rd December 2024", TODAY)
    assert not read_when("2024-12-23", "23/12/24", TODAY).approximate
    assert read_when("2024-12-23", None, TODAY).start == dt.date(2024, 12, 23)


def test_words_that_only_look_like_months_are_not_months():
    assert read_when(None, "Market 2014", TODAY).precision == "year"  # "Mar…" is not March
    assert read_when(None, "Junior 2014", TODAY).start == dt.date(2014, 1, 1)


def test_coarser_periods_sort_before_finer_ones_starting_the_same_day():
    year, month, day = (read_when(None, t, TODAY) for t in ("2014", "January 2014", "01/01/2014"))
    assert year.start == month.start == day.start
    assert year.rank < month.rank < day.rank


def test_time_of_day_orders_untimed_then_am_then_times_with_pm_at_noon():
    times = [None, "14:20", "pm", "am", "00:05", "12:00", "09:30"]
    assert sorted(times, key=time_key) == [None, "am", "00:05", "09:30", "pm", "12:00", "14:20"]
