"""Bracknell Forest, shipped as configuration only: its LISG and its CPIR, from referral to decision.

The board file (``config/boards/bracknell-forest.yaml``) names its
Learning and Improvement Sub-Group as the sub-group and the Child
Protection Incident Review as its alternative review; it reads the West
Sussex layouts (the seed prints no form of its own). Nothing in the code
names the board: these tests show the words and the decision come from
its YAML alone.
"""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from mailbot.config import load_board
from mailbot.pack.build import front_sheet_for
from mailbot.pack.frontsheet import sheet_context
from mailbot.records import Decision, SubgroupDecision
from mailbot.runtime import FixedClock, build_runtime
from mailbot.store.approvals_models import Draft
from mailbot.store.models import Case
from mailbot.workflow import digest
from mailbot.workflow.cases import AWAITING_DECISION
from mailbot.workflow.decisions import record_decision
from tests.approvals.conftest import outgoing, parsed, run
from tests.conftest import REPO, SAMPLES

LISG = "Learning and Improvement Sub-Group (LISG)"
CPIR = "Child Protection Incident Review (CPIR)"
CHAIR = "chair@bracknellforest-lscb.example"
POLICE = "ppu.reviews@tvp-police.example"
AUTH = "mx.bracknellforest-lscb.example; dkim=pass header.d={d}; spf=pass smtp.mailfrom={d}; dmarc=pass header.from={d}"


@pytest.fixture
def bf(store, tmp_path: Path):  # noqa: ANN001, ANN201
    board = load_board("bracknell-forest", REPO / "config")
    rt = build_runtime(board, store, tmp_path / "data", FixedClock(dt.datetime(2027, 1, 4, 9, 0,
                                                                              tzinfo=dt.timezone.utc)))
    yield rt
    rt.close()


def _mail(rt, sender: str, subject: str, body: str, mid: str, *, reply_to: str | None = None,  # noqa: ANN001
          attachment: Path | None = None) -> bytes:
    msg = EmailMessage()
    msg["Authentication-Results"] = AUTH.format(d=sender.split("@")[1])
    msg["From"] = sender
    msg["To"] = rt.board.config.mailbox_address.formatted()
    msg["Subject"] = subject
    msg["Date"] = format_datetime(rt.now())
    msg["Message-ID"] = mid
    if reply_to:
        msg["In-Reply-To"] = msg["References"] = reply_to
    msg.set_content(body)
    if attachment is not None:
        msg.add_attachment(attachment.read_bytes(), maintype="application",
                           subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
                           filename=attachment.name)
    return bytes(msg)


def _open_case(rt) -> Case:  # noqa: ANN001
    form = SAMPLES / "forms" / "west-sussex" / "referral" / "referral-01.docx"
    run(rt, [_mail(rt, f"DS Kirsty Hollowell <{POLICE}>", "CRNF A: notification of a serious incident",
                   "Please find the notification attached.", "<crnf-1@tvp-police.example>", attachment=form)])
    with rt.store.session() as s:
        (case,) = s.scalars(select(Case).where(Case.board == "bracknell-forest"))
        s.expunge(case)
        return case


def test_the_board_speaks_of_its_lisg_from_the_first_email(bf):
    case = _open_case(bf)
    assert case.reference == "BF-2027-0001"
    (ack,) = outgoing(bf, "acknowledgement")
    assert f"The {LISG} will consider the case" in parsed(ack).get_body(("plain",)).get_content()
    requests = outgoing(bf, "scoping_request")
    assert requests and all(f"for consideration by the {LISG}" in parsed(m).get_body(("plain",)).get_content()
                            for m in requests)


def test_a_cpir_decision_is_recorded_from_the_chairs_one_word_reply(bf):
    case = _open_case(bf)
    with bf.store.transaction() as s:
        record_decision(s, bf, s.get(Case, case.id), Decision(board=bf.slug, form="test", subgroup=SubgroupDecision(
            recommendation="alternative_review", reasons="Learning about practice, criteria not met.")),
            source="test")
    (asked,) = [m for m in outgoing(bf, "draft") if "Decision needed" in m.subject]
    assert asked.recipients == [CHAIR]
    text = " ".join(parsed(asked).get_body(("plain",)).get_content().split())
    assert f"the {LISG}'s recommendation is recorded: {CPIR}" in text
    assert "CPIR to hold a Child Protection Incident Review" in text
    due = case.notified_on + relativedelta(months=1)  # within one month of the notification
    assert f"Your decision is due by {due.day} {due:%B %Y}" in text

    run(bf, [_mail(bf, f"Harriet Quenby <{CHAIR}>", f"RE: {asked.subject}", "CPIR\n\nHarriet\n",
                   "<cpir-1@bracknellforest-lscb.example>", reply_to=asked.message_id)])
    with bf.store.session() as s:
        decided = s.get(Case, case.id)
        assert (decided.decision, decided.decided_on) == ("alternative_review", dt.date(2027, 1, 4))
        drafts = {d.kind: d for d in s.scalars(select(Draft).where(Draft.case_id == case.id))}
    assert drafts["decision_request"].status == "answered"
    notice = drafts["no_scr_notification"]
    assert notice.status == "awaiting_approval"
    (chair_copy,) = [m for m in outgoing(bf, "draft") if m.message_id == notice.message_id]
    body = " ".join(parsed(chair_copy).get_body(("plain",)).get_content().split())
    assert f"The board will instead undertake: {CPIR}." in body


def test_the_digest_and_front_sheet_name_the_lisg_and_the_cpir(bf):
    case = _open_case(bf)
    with bf.store.transaction() as s:
        c = s.get(Case, case.id)
        c.stage = AWAITING_DECISION  # every agency has answered
        record_decision(s, bf, c, Decision(board=bf.slug, form="test",
                                           subgroup=SubgroupDecision(recommendation="alternative_review")),
                        source="test")
    with bf.store.session() as s:
        _data, composed = digest.build(s, bf, bf.today())
    text = " ".join(composed.message().get_body(("plain",)).get_content().split())
    assert f"Awaiting the {LISG} and Chair's decision" in text
    with bf.store.session() as s:
        c = s.get(Case, case.id)
        _docx, rows, child = front_sheet_for(s, bf, c)
        sheet = sheet_context(bf, c, rows, child)
    assert {"label": f"{LISG} chair", "value": "Declan Ashworth-Pyne"} in sheet["header"]
    assert "LISG meeting to consider the case and recommend to the Chair" in [r.label for r in rows]


def test_the_timeline_names_the_cpir(capsys):
    from mailbot.commands import timeline

    assert timeline.main(["--board", "bracknell-forest", "--notified", "04/01/2027", "--decided", "28/01/2027",
                          "--decision", "alternative_review"]) == 0
    out = capsys.readouterr().out
    assert CPIR in out


@pytest.mark.parametrize(("reply", "decision"), [
    ("CPIR", "alternative_review"),
    ("cpir.\n\nHarriet", "alternative_review"),
    ("CPIR – thanks", "alternative_review"),
    ("CPIR but not until the police have finished", None),
    ("CPIR?", None),
    ("SCR", "scr"),
    ("NO REVIEW: criteria not met and learning captured elsewhere", "no_review"),
    ("CPIRS are not right here", None),
])
def test_the_one_word_alternative_is_read_only_where_the_board_names_it(reply, decision):
    from mailbot.workflow.answers import read_decision

    got = read_decision(reply, ("CPIR", CPIR))
    assert got.decision == decision
    if decision == "alternative_review":
        assert got.detail == CPIR
    assert read_decision("CPIR").decision is None  # a board without the word: not a decision
