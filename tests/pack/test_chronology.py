"""Eight agencies' returns merged into one integrated chronology (process.md stage 1 step 6, Swindon Part 4)."""

from __future__ import annotations

import datetime as dt
import functools
import json

from mailbot.pack.build import build_pack
from mailbot.pack.chronology import Chronology, Source, integrate
from mailbot.pack.family import family_key
from tests.conftest import SAMPLES
from tests.pack.conftest import (
    CSC,
    EIGHT_RETURNS,
    GP,
    HEALTH,
    ICB,
    POLICE,
    PROBATION,
    SCHOOL,
    YJS,
    case_of,
)

#: (agency, date as shown, time, the start of the text): the order the sub-group must read.
EXPECTED = [
    (PROBATION, "2024", None, "NW released on licence"),
    (HEALTH, "2025", None, "New birth visit"),
    (CSC, "Spring 2025", None, "Referral from the health visitor about PN's low mood"),
    (HEALTH, "05/03/2025", None, "Reviewed by Dr Poppy Carstairs"),
    (POLICE, "June 2025 approx", None, "Intelligence report: NW known to police"),
    (CSC, "01/06/2025", None, "Home visit by Niamh Lomax, social worker; PN and EN seen."),
    (ICB, "01/06/2025", None, "GP practice asked for advice about EN's weight."),
    (GP, "Jul 25 approx", None, "Missed the 8-week check."),
    (SCHOOL, "Autumn term 2025", None, "Attendance of SM fell below 85%."),
    (SCHOOL, "12/09/2025", None, "SM said at school that she was frightened of NW."),
    (GP, "12/09/2025", "10:05", "PN seen by GP for low mood"),
    (PROBATION, "03/11/2025", None, "Licence review meeting with NW."),
    (POLICE, "24/12/2025", None, "Neighbour reported shouting at the address. Officers attended; PN said"),
    (POLICE, "13/01/2026", None, "Strategy discussion held with Children's Services and the paediatrician about EN"),
    (HEALTH, "13/01/2026", "am", "Call from PN to the ward"),
    (GP, "13/01/2026", "pm", "GP informed of the admission"),
    (HEALTH, "13/01/2026", "14:20", "EN brought to the Emergency Department"),
    (CSC, "13/01/2026", "16:30", "Strategy discussion with Sussex Police and the paediatrician"),
    (YJS, "20/01/2026", None, "Records checked"),
]
FAMILY_NAMES = ["Ethan", "Poppy Newbold", "Poppy's", "Neil Whitcombe", "Shannon", "Newbold", "Whitcombe"]


@functools.cache
def merged() -> Chronology:
    """The eight returns merged as the pack merges them (the store's part is tested below)."""
    referral = json.loads((SAMPLES / "forms/west-sussex/referral/referral-01.docx.expected.json").read_text())
    sources = [Source(i, 100 + i, data["form_type"], agency, data, filename, dt.datetime(2026, 2, 12, 10))
               for i, (agency, filename, data) in enumerate(EIGHT_RETURNS)]
    return integrate(sources, family_key(referral), dt.date(2026, 2, 16))


def test_the_pack_merges_the_returns_stored_on_the_case(eight):
    with eight.store.session() as s:
        built = build_pack(s, eight, case_of(s), "test")
    stored, expected = built.chronology, merged()
    shape = lambda c: [(r.number, r.agency_key, r.when, r.time, r.text, r.source.filename, r.same_as)  # noqa: E731
                       for r in c.rows]
    assert shape(stored) == shape(expected)
    assert [m.initials for m in built.key.members] == ["EN", "PN", "SM", "NW", "NN"]


def test_eight_agencies_rows_are_merged_in_date_order_with_time_of_day():
    chron = merged()
    got = [(r.agency_key, r.when.shown, r.time, r.text) for r in chron.dated]
    assert len(got) == len(EXPECTED) == 19
    for (agency, shown, time, text), row in zip(EXPECTED, got):
        assert (row[0], row[1], row[2]) == (agency, shown, time), row
        assert row[3].startswith(text), row
    assert [r.number for r in chron.rows] == list(range(1, 22))
    assert len({r.agency_key for r in chron.rows}) == 8


def test_every_row_keeps_its_agency_subject_and_source_document():
    chron = merged()
    home_visit = next(r for r in chron.dated if r.text.startswith("Home visit"))
    assert home_visit.agency == "West Sussex Children's Services – Niamh Lomax"  # the column as written
    assert home_visit.subject == "PN" and home_visit.family == "PN, EN" and home_visit.contact == "Home visit"
    assert home_visit.source.filename == "chronology-csc.docx" and home_visit.source.form_type == "chronology"
    police = [r for r in chron.rows if r.agency_key == POLICE]
    assert {r.source.filename for r in police} == {"summary-police.docx"}
    assert {r.subject for r in police} == {"EN"}  # a return's events are about the child
    assert all(r.subject and r.source.filename for r in chron.rows)


def test_approximate_dates_sort_at_the_start_of_their_period_and_show_their_text():
    chron = merged()
    approx = {r.when.shown: (r.when.start, r.when.precision) for r in chron.dated if r.when.approximate}
    assert approx == {
        "2024": (dt.date(2024, 1, 1), "year"), "2025": (dt.date(2025, 1, 1), "year"),
        "Spring 2025": (dt.date(2025, 3, 1), "season"), "June 2025 approx": (dt.date(2025, 6, 1), "month"),
        "Jul 25 approx": (dt.date(2025, 7, 1), "month"), "Autumn term 2025": (dt.date(2025, 9, 1), "season"),
    }
    june = [r.when.shown for r in chron.dated if r.when.start == dt.date(2025, 6, 1)]
    assert june == ["June 2025 approx", "01/06/2025", "01/06/2025"]  # the month before the days in it


def test_undated_rows_are_listed_apart_never_dropped():
    chron = merged()
    assert [(r.number, r.agency_key, r.when.shown, r.text) for r in chron.undated] == [
        (20, CSC, "N/K", "Anonymous call about NW staying at the address."),
        (21, ICB, "date not recorded", "Designated nurse advice given to the GP practice."),
    ]
    assert all(not r.when.dated for r in chron.undated) and all(r.when.dated for r in chron.dated)


def test_family_members_appear_by_initials_and_professionals_keep_their_names():
    chron = merged()
    cells = [c for r in chron.rows for c in (r.subject, r.text, r.action, r.family) if c]
    for name in FAMILY_NAMES:
        assert not any(name in c for c in cells), name
    text = " ".join(cells)
    assert "Dr Poppy Carstairs" in text and "Niamh Lomax" in text  # professionals are not anonymised
    assert {"EN", "PN", "NW", "SM"} <= {w.strip(".;:,'s") for w in text.split()}


def test_the_same_event_from_two_agencies_is_marked_not_merged():
    chron = merged()
    marked = [r for r in chron.rows if r.same_as]
    assert [(r.number, r.agency_key, r.same_as, r.group) for r in marked] == [
        (14, POLICE, [18], "S1"), (18, CSC, [14], "S1")]
    assert len(chron.rows) == 21  # both rows are still there
