"""The National Panel's answer to a decision not to hold an SCR (West Sussex, seed 000)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from mailbot.store.models import Case
from mailbot.workflow.challenge import CHALLENGE, NO_CHALLENGE, UNCLEAR, read_panel_answer
from tests.stage2.conftest import addresses, decide, make_board, opened_case, to_chair

CHAIR = "chair@westsussex-scb.example"
BM = "businessmanager@westsussex-scb.example"
PANEL = "panel@nationalpanel.example"
NOTIFY = ["notifications@ofsted.example", PANEL, "scr.notifications@dfe.example"]


@pytest.fixture
def ws(dovecot, smtp_server, store, tmp_path, monkeypatch):  # noqa: ANN001, ANN201
    b = make_board("west-sussex", dovecot, smtp_server, store, tmp_path, monkeypatch)
    yield b
    b.rt.close()


def _kind(msgs, kind):  # noqa: ANN001, ANN202
    return [m for m in msgs if m["X-Mailbot-Kind"] == kind]


def _no_scr_sent(b):  # noqa: ANN001, ANN202
    """A case decided NO REVIEW and the notification approved and sent to the Panel."""
    ref = opened_case(b, {})
    b.day(dt.date(2026, 3, 2))
    decide(b, ref, "no_review", "The threshold is not met.")
    (d,) = b.drafts("no_scr_notification")
    b.reply(f"Dr Rosalind Ashcombe <{CHAIR}>", to_chair(b, d.token, b.mail()), "APPROVE")
    (note,) = _kind(b.mail(), "notification")
    assert addresses(note, "To") == [PANEL]
    return ref, note


def _case(b, ref):  # noqa: ANN001, ANN202
    with b.rt.store.session() as s:
        return s.scalar(select(Case).where(Case.reference == ref))


def test_a_challenge_returns_the_case_to_the_chair_and_the_final_outcome_goes_on_approval(ws):
    b = ws
    ref, note = _no_scr_sent(b)
    b.day(dt.date(2026, 3, 9))
    b.reply(f"National Panel <{PANEL}>", note, "Dear colleagues,\n\nThe Panel challenges this decision and asks "
            "the Chair to reconsider in the light of the second incident.\n\nPanel secretariat")
    got = b.mail()
    (asked,) = _kind(got, "draft")
    assert addresses(asked, "To") == [CHAIR]
    text = asked.get_body(("plain",)).get_content()
    # The new deadline: 10 working days after Mon 9 March.
    assert "challenged the decision" in text and "23 March 2026" in text
    assert [addresses(m, "To") for m in _kind(got, "notice")] == [[BM]]
    case = _case(b, ref)
    assert case.stage == "awaiting_decision" and case.status == "open"
    (redo,) = b.drafts("redecision_request")
    assert redo.due_on == dt.date(2026, 3, 23)

    b.day(dt.date(2026, 3, 12))
    b.reply(f"Dr Rosalind Ashcombe <{CHAIR}>", asked, "NO REVIEW: the Panel's point is answered by the "
            "single-agency review already under way")
    (final,) = b.drafts("final_outcome_notification")
    assert final.status == "awaiting_approval" and _kind(b.mail(), "notification") == []
    b.reply(f"Dr Rosalind Ashcombe <{CHAIR}>", to_chair(b, final.token, b.sent), "APPROVE")
    (sent,) = _kind(b.mail(), "notification")
    assert addresses(sent, "To") == NOTIFY and addresses(sent, "Cc") == [CHAIR]
    assert "single-agency review" in sent.get_body(("plain",)).get_content()
    case = _case(b, ref)
    assert case.decided_on == dt.date(2026, 3, 12) and case.status == "closed"


def test_a_reply_that_does_not_challenge_closes_the_matter(ws):
    b = ws
    ref, note = _no_scr_sent(b)
    b.day(dt.date(2026, 3, 9))
    b.reply(f"National Panel <{PANEL}>", note, "The Panel does not wish to challenge the decision.")
    got = b.mail()
    assert _kind(got, "draft") == [] and [addresses(m, "To") for m in _kind(got, "notice")] == [[BM]]
    case = _case(b, ref)
    assert case.status == "closed" and case.stage == "closed"


def test_an_unclear_or_unthreaded_panel_reply_goes_to_the_business_manager(ws):
    b = ws
    ref, note = _no_scr_sent(b)
    b.day(dt.date(2026, 3, 9))
    b.reply(f"National Panel <{PANEL}>", note, "We have some questions about this decision: could you call us?")
    b.send(f"National Panel <{PANEL}>", f"About {ref}", "The Panel challenges the decision.")  # no thread
    got = b.mail()
    assert _kind(got, "draft") == [] and len(_kind(got, "notice")) == 2
    assert _case(b, ref).stage == "awaiting_notification" and b.drafts("redecision_request") == []
    assert b.dovecot.folder_uids("needs-attention")


def test_a_forged_panel_reply_changes_nothing(ws):
    b = ws
    ref, note = _no_scr_sent(b)
    b.reply(f"National Panel <{PANEL}>", note, "The Panel challenges this decision.",
            auth=f"{b.cfg.authserv_id}; dmarc=fail header.from=nationalpanel.example")
    assert b.drafts("redecision_request") == [] and _case(b, ref).stage == "awaiting_notification"


@pytest.mark.parametrize("text, verdict", [
    ("The Panel challenges this decision.", CHALLENGE),
    ("The Panel disagrees with the decision and asks the board to reconsider.", CHALLENGE),
    ("The Panel does not wish to challenge the decision.", NO_CHALLENGE),
    ("The Panel will not be challenging this decision. Thank you.", NO_CHALLENGE),
    ("The Panel agrees with the decision; no further action.", NO_CHALLENGE),
    ("The Panel agrees with the reasons but challenges the decision.", UNCLEAR),
    ("Please could you send the SIN?", UNCLEAR),
    ("", UNCLEAR),
    ("Thanks.\n\n> The Panel challenges nothing here", UNCLEAR),
])
def test_reading_the_panels_answer(text, verdict):
    assert read_panel_answer(text) == verdict


def test_a_panel_that_never_answers_is_noticed_once_and_its_late_answer_still_counts(ws):
    b = ws
    ref, note = _no_scr_sent(b)  # sent Mon 2 March 2026
    b.day(dt.date(2026, 3, 30))  # 20 working days later: not yet
    assert [m for m in _kind(b.mail(), "notice") if "has not answered" in m["Subject"] + str(m)] == []
    b.day(dt.date(2026, 3, 31))
    (told,) = [m for m in _kind(b.mail(), "notice") if "not answered" in m.get_body(("plain",)).get_content()]
    assert addresses(told, "To") == [BM]
    text = told.get_body(("plain",)).get_content().replace("\r\n", " ")
    assert f"The notification for {ref} went to the Panel on 02/03/2026" in text and "stays open" in text
    b.day(dt.date(2026, 4, 1))
    assert [m for m in _kind(b.mail(), "notice") if "not answered" in m.get_body(("plain",)).get_content()] == []
    assert _case(b, ref).status == "open"
    b.reply(f"National Panel <{PANEL}>", note, "The Panel accepts the decision; no further action.")
    b.mail()
    assert _case(b, ref).status == "closed"
