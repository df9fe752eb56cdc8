"""The date a business manager sets for the scoping pack: ``PACK <ref> ON <date>`` and ``mailbot pack --on``.

All on the sample West Sussex board and its fictional case WS-2026-0001 (the
clock starts on Monday 16 February 2026, 09:00 UTC).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from mailbot.cli import main
from mailbot.inbound import classify as k
from mailbot.inbound.classify import pack_command, pack_command_date
from mailbot.pack.build import front_sheet_for
from mailbot.pack.scheduled import parse_date
from mailbot.schedule import due
from mailbot.store.models import AuditEntry, MessageSeen
from mailbot.workflow import digest
from tests.conftest import REPO
from tests.inbound.test_classify import mail, run
from tests.pack.conftest import (
    BM,
    HEALTH,
    POLICE,
    REFERENCE,
    case_of,
    command,
    outgoing,
    packs,
    parsed,
    run_mail,
    sample,
)
from tests.pack.test_sending import answer_all_but, doc_text

D = dt.date
LONDON = ZoneInfo("Europe/London")
CONFIRMED = ("The scoping pack for WS-2026-0001 will be sent on Thursday 12 March 2026, "
             "or sooner if every agency answers first.")
_ids = iter(range(1, 1000))


def london(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LONDON).astimezone(dt.timezone.utc)


def ask(rt, subject: str, sender: str = BM) -> MessageSeen:  # noqa: ANN001
    """A business manager's command email, each with its own Message-ID: answered, never held as an error."""
    run_mail(rt, [command(rt, subject, sender=sender, message_id=f"<date-{next(_ids)}@westsussex-scb.example>")])
    with rt.store.session() as s:
        row = s.scalar(select(MessageSeen).order_by(MessageSeen.id.desc()))
    assert sender != BM or not pack_command(subject) or row.outcome == "processed", row.reason
    return row


def answers(rt) -> list[str]:  # noqa: ANN001
    """The body lines of every answer to a PACK command, oldest first."""
    out = []
    for row in outgoing(rt, "pack_answer"):
        body = parsed(row).get_body(("plain",)).get_content()
        out.append(body.splitlines()[2].strip())
    return out


def pack_on(rt) -> dt.date | None:  # noqa: ANN001
    with rt.store.session() as s:
        return case_of(s).pack_on


def due_pass(rt, when: dt.datetime) -> None:  # noqa: ANN001
    rt.clock.set(when)
    due.run_due_work(rt)


# --------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(("subject", "reference", "written"), [
    ("PACK WS-2026-0001 ON 12/03/2026", "WS-2026-0001", "12/03/2026"),
    ("pack ws-2026-0001 on 12 March 2026", "WS-2026-0001", "12 March 2026"),
    ("PACK [WS-2026-0001] On: 2/3/2026 ", "WS-2026-0001", "2/3/2026"),
    ("PACK WS-2026-0001 ON next Tuesday", "WS-2026-0001", "next Tuesday"),
    ("PACK WS-2026-0001 ON", "WS-2026-0001", ""),
    ("PACK WS-2026-0001", "WS-2026-0001", None),
    ("Re: PACK WS-2026-0001 ON 12/03/2026", None, None),
    ("PACK WS-2026-0001 ONE 12/03/2026", None, None),
    ("PACK WS-2026-0001 please ON 12/03/2026", None, None),
    ("FW: PACK WS-2026-0001 on 12 March 2026", None, None),
])
def test_the_date_is_part_of_the_whole_subject_command(subject, reference, written):
    assert pack_command(subject) == reference
    assert pack_command_date(subject) == written


@pytest.mark.parametrize(("written", "day"), [
    ("12/03/2026", D(2026, 3, 12)), ("2/3/2026", D(2026, 3, 2)), ("12.03.2026", D(2026, 3, 12)),
    ("12 March 2026", D(2026, 3, 12)), ("12 mar 2026", D(2026, 3, 12)), ("Thursday 12th March 2026", D(2026, 3, 12)),
    ("1 Sept 2026", D(2026, 9, 1)), ("2026-03-12", D(2026, 3, 12)),
])
def test_dates_are_read_day_first_or_in_words(written, day):
    assert parse_date(written) == day


@pytest.mark.parametrize(("written", "reason"), [
    ("31/02/2026", 'there is no such day as "31/02/2026"'),
    ("12/03/26", "could not be read as a date: write it as 12/03/2026 or 12 March 2026"),
    ("next Tuesday", "could not be read as a date"),
    ("12 Marchember 2026", "could not be read as a date"),
    ("Friday 12 March 2026", "Thursday 12 March 2026 is not a Friday"),
    ("", "no date was given"),
])
def test_an_unreadable_date_gives_a_one_line_reason(written, reason):
    with pytest.raises(ValueError) as err:
        parse_date(written)
    assert reason in str(err.value) and "\n" not in str(err.value)


def test_only_a_business_managers_dated_command_is_a_pack_request():
    bm = "Martin Kellaway <businessmanager@westsussex-scb.example>"
    got = run(mail(frm=bm, subject="PACK WS-2026-0001 ON 12/03/2026"), thread=None)
    assert got.kind == k.PACK_REQUEST and got.case_reference == "WS-2026-0001"
    assert run(mail(subject="PACK WS-2026-0001 ON 12/03/2026"), thread=None).kind != k.PACK_REQUEST
    assert run(mail(frm=bm, subject="Re: PACK WS-2026-0001 ON 12/03/2026"), thread=None).kind == k.BOARD_MAIL


# --------------------------------------------------------------------------- by email, then the due pass


def test_the_date_is_stored_confirmed_and_the_pack_goes_on_it_once(rt):
    ask(rt, f"PACK {REFERENCE} ON 12/03/2026")
    assert pack_on(rt) == D(2026, 3, 12) and packs(rt) == []
    (answer,) = outgoing(rt, "pack_answer")
    assert answer.recipients == [BM] and parsed(answer)["Subject"] == f"Re: PACK {REFERENCE} ON 12/03/2026 [{REFERENCE}]"
    assert answers(rt) == [CONFIRMED]

    due_pass(rt, london(D(2026, 3, 11), 23, 30))  # the evening before (London time): nothing yet
    due_pass(rt, london(D(2026, 3, 12), 6, 30))  # the day itself, before the hour mail starts going
    assert packs(rt) == [] and pack_on(rt) == D(2026, 3, 12)
    due_pass(rt, london(D(2026, 3, 12), 9))
    (pack,) = packs(rt)
    assert sorted(pack.recipients) == ["businessmanager@westsussex-scb.example", "crsg.chair@westsussex-scb.example"]
    text = doc_text(next(p.get_content() for p in parsed(pack).iter_attachments()
                         if p.get_filename() == f"{REFERENCE} scoping pack v1.docx"))
    assert "It is sent because this is the date a business manager set for it." in text
    assert pack_on(rt) is None
    due_pass(rt, london(D(2026, 3, 12), 9, 1))
    due_pass(rt, london(D(2026, 3, 13), 9))
    assert len(packs(rt)) == 1
    with rt.store.session() as s:
        actions = list(s.scalars(select(AuditEntry.action).where(AuditEntry.action.like("pack_%"))
                                 .order_by(AuditEntry.id)))
    assert actions == ["pack_date_set", "pack_sent", "pack_date_reached"]


def test_a_date_on_a_weekend_is_kept_and_a_later_command_replaces_the_date(rt):
    ask(rt, f"PACK {REFERENCE} ON 12/03/2026")
    ask(rt, f"pack {REFERENCE} on Saturday 7 March 2026")
    assert pack_on(rt) == D(2026, 3, 7)
    assert answers(rt)[1] == ("The scoping pack for WS-2026-0001 will be sent on Saturday 7 March 2026, or sooner "
                              "if every agency answers first. This replaces the date set before, Thursday 12 "
                              "March 2026.")
    due_pass(rt, london(D(2026, 3, 6), 12))
    assert packs(rt) == []
    due_pass(rt, london(D(2026, 3, 7), 10))  # a Saturday: a working day is not required
    assert len(packs(rt)) == 1 and pack_on(rt) is None
    due_pass(rt, london(D(2026, 3, 12), 9))  # the replaced date: nothing more
    assert len(packs(rt)) == 1


def test_bad_commands_are_answered_in_one_line_and_change_nothing(rt):
    ask(rt, f"PACK {REFERENCE} ON 12/03/2026")
    ask(rt, f"PACK {REFERENCE} ON 13/02/2026")  # the clock says Monday 16 February 2026
    ask(rt, f"PACK {REFERENCE} ON 31/02/2026")
    ask(rt, f"PACK {REFERENCE} ON next Tuesday")
    ask(rt, f"PACK {REFERENCE} ON")
    ask(rt, "PACK WS-2026-0099 ON 12/03/2026")
    assert answers(rt)[1:] == [
        ("Friday 13 February 2026 has passed, so no date was set for the scoping pack for WS-2026-0001; to send "
         "it now, email PACK WS-2026-0001."),
        'No date was set for the scoping pack for WS-2026-0001: there is no such day as "31/02/2026".',
        ('No date was set for the scoping pack for WS-2026-0001: "next Tuesday" could not be read as a date: '
         "write it as 12/03/2026 or 12 March 2026."),
        ("No date was set for the scoping pack for WS-2026-0001: no date was given: write it as 12/03/2026 or "
         "12 March 2026."),
        "There is no case WS-2026-0099, so no date was set for a scoping pack.",
    ]
    assert pack_on(rt) == D(2026, 3, 12) and packs(rt) == []
    with rt.store.transaction() as s:
        case_of(s).status = "closed"
    ask(rt, f"PACK {REFERENCE} ON 13/03/2026")
    assert answers(rt)[-1] == "Case WS-2026-0001 is closed, so no date was set for its scoping pack."
    assert pack_on(rt) == D(2026, 3, 12)
    due_pass(rt, london(D(2026, 3, 12), 9))  # a closed case's date is not acted on
    assert packs(rt) == []


def test_today_is_not_in_the_past(rt):
    ask(rt, f"PACK {REFERENCE} ON 16 February 2026")
    assert pack_on(rt) == D(2026, 2, 16)
    due_pass(rt, london(D(2026, 2, 16), 9, 5))
    assert len(packs(rt)) == 1


def test_the_same_command_from_anyone_but_a_business_manager_is_not_a_command(rt):
    agency = ask(rt, f"PACK {REFERENCE} ON 12/03/2026", sender="public.protection.reviews@police.sussex.example")
    reply = ask(rt, f"Re: PACK {REFERENCE} ON 12/03/2026")
    assert (agency.kind, reply.kind) == ("unmatched", "board_mail")
    assert pack_on(rt) is None and outgoing(rt, "pack_answer") == []


def test_all_returns_in_before_the_date_sends_the_pack_then_and_not_again_on_the_date(rt):
    ask(rt, f"PACK {REFERENCE} ON 12/03/2026")
    answer_all_but(rt, POLICE, not_known=(HEALTH,))
    run_mail(rt, [sample("03")])  # the last answer: the pack goes now
    (pack,) = packs(rt)
    assert "every agency asked has now answered" in parsed(pack).get_body(("plain",)).get_content()
    assert pack_on(rt) is None
    due_pass(rt, london(D(2026, 3, 12), 9))
    assert len(packs(rt)) == 1
    ask(rt, f"PACK {REFERENCE} ON 20/03/2026")  # a date after the pack went would send nothing new: refused
    assert answers(rt)[-1] == ("The scoping pack for WS-2026-0001 has already been sent, and an updated one goes "
                               "whenever an agency answers, so no date was set.")
    assert pack_on(rt) is None


def test_the_dated_pack_then_the_last_return_sends_one_updated_pack_never_the_same_twice(rt):
    answer_all_but(rt, POLICE, not_known=(HEALTH,))
    ask(rt, f"PACK {REFERENCE} ON 12/03/2026")
    due_pass(rt, london(D(2026, 3, 12), 9))
    (first,) = packs(rt)
    assert "Still missing: 1 (Sussex Police)." in parsed(first).get_body(("plain",)).get_content()
    run_mail(rt, [sample("03")])  # the police answer at last: one updated pack, not two
    first, second = packs(rt)
    assert parsed(second)["Subject"].startswith("UPDATED scoping pack, version 2")
    due_pass(rt, london(D(2026, 3, 13), 9))
    ask(rt, f"PACK {REFERENCE}")
    assert len(packs(rt)) == 2 and "has not been sent again" in answers(rt)[-1]


def test_pack_without_a_date_still_sends_now_and_spends_the_date(rt):
    ask(rt, f"PACK {REFERENCE} ON 12/03/2026")
    ask(rt, f"PACK {REFERENCE}")
    assert len(packs(rt)) == 1 and pack_on(rt) is None
    due_pass(rt, london(D(2026, 3, 12), 9))
    assert len(packs(rt)) == 1


# --------------------------------------------------------------------------- where the date shows


def test_the_front_sheet_and_the_digest_show_the_date_until_the_pack_goes(rt):
    ask(rt, f"PACK {REFERENCE} ON 12/03/2026")
    with rt.store.session() as s:
        _data, rows, _child = front_sheet_for(s, rt, case_of(s))
    (row,) = [r for r in rows if r.label.startswith("Scoping pack to be sent")]
    assert (row.due, row.done, row.status) == (D(2026, 3, 12), None, "scheduled")
    _subject, text, html = digest.render(rt, D(2026, 2, 17))
    assert "Scoping pack to be sent on 12/03/2026" in text and "12/03/2026" in (html or "")
    due_pass(rt, london(D(2026, 3, 12), 9))
    with rt.store.session() as s:
        _data, rows, _child = front_sheet_for(s, rt, case_of(s))
    assert not [r for r in rows if r.label.startswith("Scoping pack to be sent")]
    assert "Scoping pack to be sent" not in digest.render(rt, D(2026, 3, 13))[1]


def test_an_admin_sets_the_date_from_the_command_line(rt, database_url, tmp_path, capsys):
    args = ["--database-url", database_url, "--data-dir", str(tmp_path / "cli"), "--config-dir", str(REPO / "config")]
    today = rt.board.calendar.today(dt.datetime.now(dt.timezone.utc))  # the command runs on the real clock
    first, second = today + dt.timedelta(days=30), today + dt.timedelta(days=40)
    assert main([*args, "pack", REFERENCE, "--on", f"{first:%d/%m/%Y}"]) == 0
    assert capsys.readouterr().out.strip() == (
        f"The scoping pack for {REFERENCE} will be sent on {first:%A} {first.day} {first:%B %Y}, or sooner if "
        "every agency answers first.")
    assert main([*args, "pack", REFERENCE.lower(), "--on", f"{second.day} {second:%B %Y}"]) == 0
    assert "This replaces the date set before" in capsys.readouterr().out
    assert pack_on(rt) == second and packs(rt) == []
    assert main([*args, "case", REFERENCE]) == 0
    out = capsys.readouterr().out
    assert "Scoping pack to be sent to the sub-group" in out and f"{second:%d/%m/%Y}" in out

    assert main([*args, "pack", REFERENCE, "--on", "01/01/2020"]) == 2
    err = capsys.readouterr().err
    assert "Wednesday 1 January 2020 has passed, so no date was set" in err and "Traceback" not in err
    assert main([*args, "pack", REFERENCE, "--on", "soon"]) == 2
    assert '"soon" could not be read as a date' in capsys.readouterr().err
    assert main([*args, "pack", REFERENCE, "--on", f"{first:%d/%m/%Y}", "--preview"]) == 2
    assert "cannot be combined" in capsys.readouterr().err
    assert main([*args, "pack", "WS-2026-0042", "--on", f"{first:%d/%m/%Y}"]) == 2
    assert pack_on(rt) == second and packs(rt) == []
