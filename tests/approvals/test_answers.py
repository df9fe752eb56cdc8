"""Reading the Chair's answer: clear or nothing."""

from __future__ import annotations

import pytest

from mailbot.inbound.message import read_message
from mailbot.workflow.answers import APPROVE, REJECT, UNCLEAR, read_answer, read_decision
from tests.approvals.conftest import sample

SIGNATURE = "\n\nRosalind\n\nDr Rosalind Ashcombe\nIndependent Chair\nWest Sussex Safeguarding Children Board"


@pytest.mark.parametrize("text", [
    "APPROVE", "approve", "Approved", "Approved, thanks", "APPROVED.", "Approve - thank you",
    "Yes, approved", "I approve", "OK, approved, please send", "APPROVE" + SIGNATURE,
])
def test_clear_approvals(text):
    assert read_answer(text).verb == APPROVE


@pytest.mark.parametrize("text", [
    "Approved with my amendments attached", "APPROVE – but I have reworded the second paragraph, see attached",
    "Approved. I've made a few changes, please find attached",
])
def test_an_approval_that_mentions_edits_approves_the_attached_document_only(text):
    assert read_answer(text, document_attached=True).verb == APPROVE
    got = read_answer(text)
    assert got.verb == UNCLEAR and "attached" in got.why
    assert read_answer(text, other_attached=True).verb == UNCLEAR  # a PDF is no edited document


def test_an_approval_that_mentions_an_enclosure_needs_one():
    assert read_answer("Approved - SIN attached", other_attached=True).verb == APPROVE
    assert read_answer("Approved - SIN attached").verb == UNCLEAR


@pytest.mark.parametrize("text", [
    "ok?", "ok", "approve? not sure", "Approve?", "Not approved", "I don't approve", "approve but change para 2",
    "Can't approve this yet", "Looks fine", "Thanks", "", "Approve if the Panel agrees", "approved unless Ian objects",
    "> APPROVE", "Will approve later",
])
def test_ambiguous_words_are_not_an_answer(text):
    assert read_answer(text).verb == UNCLEAR


def test_reject_keeps_the_reason_without_the_signature():
    got = read_answer("REJECT – the lead reviewer has not confirmed yet. Please hold." + SIGNATURE)
    assert got == read_answer("Reject: the lead reviewer has not confirmed yet. Please hold.")
    assert got.verb == REJECT and got.reason == "the lead reviewer has not confirmed yet. Please hold."
    assert read_answer("REJECT").reason is None


@pytest.mark.parametrize("prefix, verb", [("08", REJECT), ("09", APPROVE), ("10", APPROVE), ("13", APPROVE)])
def test_sample_replies_new_text(prefix, verb):
    """Outlook's 'From: … Sent:' block, iPhone's footer and '>' quotes are not read."""
    assert read_answer(read_message(sample(prefix)).new_text).verb == verb


def test_approve_quoted_in_history_only_is_not_an_answer():
    raw = (b"From: Dr Rosalind Ashcombe <chair@westsussex-scb.example>\r\nTo: lscb@westsussex-scb.example\r\n"
           b"Subject: RE: Draft\r\nMessage-ID: <q@x.example>\r\n\r\nLet me think about it.\r\n\r\n"
           b"From: WSSCB Mailbox <lscb@westsussex-scb.example>\r\nSent: 10 February 2026 15:31\r\n\r\n"
           b"Reply APPROVE to send it.\r\nAPPROVE\r\n")
    assert read_answer(read_message(raw).new_text).verb == UNCLEAR


@pytest.mark.parametrize("text, decision, detail", [
    ("SCR", "scr", None),
    ("scr - thanks", "scr", None),
    ("ALTERNATIVE REVIEW: multi-agency learning review", "alternative_review", "multi-agency learning review"),
    ("NO REVIEW: the criteria are not met; single-agency learning only", "no_review",
     "the criteria are not met; single-agency learning only"),
])
def test_decisions(text, decision, detail):
    got = read_decision(text + SIGNATURE)
    assert (got.decision, got.detail) == (decision, detail)


def test_decision_with_reviewers():
    got = read_decision("SCR\nLead reviewer: Dr Imogen Tasker and Paul Ferris")
    assert got.decision == "scr" and got.reviewers == ["Dr Imogen Tasker", "Paul Ferris"]


@pytest.mark.parametrize("text", ["SCR?", "NO REVIEW", "ALTERNATIVE REVIEW", "not an SCR", "maybe", "SCR not needed"])
def test_unclear_decisions(text):
    assert read_decision(text).decision is None
