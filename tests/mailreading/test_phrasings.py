"""The free-text rules as a table of phrasings that boards meet (issue 14, items 3-5).

Each row is a phrasing a person or a client really writes; the rules they
test live in ``mailbot/workflow/answers.py`` (answers), ``mailbot/inbound/
replytext.py`` (new text) and ``mailbot/inbound/autoreply.py`` (auto-replies).
"""

from __future__ import annotations

import pytest

from mailbot.inbound import classify as k
from mailbot.inbound.autoreply import auto_reply_reasons, automatic
from mailbot.inbound.classify import machine_kind
from mailbot.inbound.message import read_message
from mailbot.inbound.replytext import new_text
from mailbot.workflow.answers import APPROVE, REJECT, UNCLEAR, read_answer, says_not_known
from tests.mailreading.corpora import as_message

# --- approve / reject -----------------------------------------------------------------

ANSWERS = [
    ("APPROVE", APPROVE),
    ("Approved, thanks", APPROVE),
    ("Yes, approved - thank you", APPROVE),
    ("APPROVE – good work, thank you all", APPROVE),
    ("Approved. Well written, thanks Sam.", APPROVE),
    ("Hi Sam,\n\nApproved, thanks.\n\nRosalind", APPROVE),
    ("APPROVE\n\nThanks,\nAlex", APPROVE),
    ("I approve", APPROVE),
    ("REJECT – the lead reviewer has not confirmed yet", REJECT),
    ("Rejected: please check the dates with the police first", REJECT),
    ("Approve once the dates are corrected", UNCLEAR),
    ("Approve if the Panel agrees", UNCLEAR),
    ("Approved subject to legal advice", UNCLEAR),
    ("Approved provided health have seen it", UNCLEAR),
    ("approved unless Ian objects", UNCLEAR),
    ("Approve but change para 2", UNCLEAR),
    ("APPROVE - please amend the date in the second paragraph", UNCLEAR),
    ("Approve? I have not read the chronology", UNCLEAR),
    ("Can I approve this before the meeting?", UNCLEAR),
    ("I don't approve", UNCLEAR),
    ("Not approved", UNCLEAR),
    ("Will approve later", UNCLEAR),
    ("Looks fine", UNCLEAR),
    ("APPROVE – but I have reworded the second paragraph, see attached", UNCLEAR),  # nothing attached
    ("> APPROVE", UNCLEAR),
]


@pytest.mark.parametrize("text, verb", ANSWERS)
def test_answers(text, verb):
    assert read_answer(text).verb == verb


def test_approve_with_remarks_and_the_edited_document_approves():
    text = "APPROVE – but I have reworded the second paragraph, see attached"
    assert read_answer(text, document_attached=True).verb == APPROVE


def test_html_paragraphs_are_kept_apart():
    """Outlook's HTML: 'APPROVE' then 'Thanks, / Alex' in their own paragraphs is a plain approval."""
    html = ('<html><body><p class=MsoNormal>APPROVE<o:p></o:p></p><p class=MsoNormal>&nbsp;</p>'
            '<p class=MsoNormal>Thanks,<o:p></o:p></p><p class=MsoNormal>Alex<o:p></o:p></p>'
            '<div style="border:none;border-top:solid #E1E1E1 1.0pt"><p class=MsoNormal><b>From:</b> WSSCB '
            '&lt;lscb@board.example&gt;<br><b>Sent:</b> 10 February 2026 15:31<br><b>To:</b> Alex<br>'
            '<b>Subject:</b> Draft</p></div><p>Reply APPROVE or REJECT</p></body></html>')
    msg = read_message(as_message(html, html=True))
    assert "Reply APPROVE" not in msg.new_text
    assert read_answer(msg.new_text).verb == APPROVE


# --- the new text -------------------------------------------------------------------

QUOTED = "> Please reply APPROVE or REJECT.\n> REJECT"
NEW_TEXT = [
    ("APPROVE\n\n2016-03-03 17:21 GMT+01:00 WSSCB <lscb@board.example>:\n" + QUOTED, "APPROVE"),
    ("APPROVE\n\nAt 10:31 on 3 March you wrote:\n" + QUOTED, "APPROVE"),
    ("APPROVE\n\nWSSCB <lscb@board.example> wrote:\n" + QUOTED, "APPROVE"),
    ("APPROVE\n\n---- On Tue, 03 Mar 2026 10:31:00 +0000 lscb@board.example wrote ----\nReply REJECT", "APPROVE"),
    ("APPROVE\n\n-------- Original Message --------\nSubject: Draft\nREJECT", "APPROVE"),
    ("APPROVE\n\nFrom: WSSCB\nReply-To: lscb@board.example\nDate: 3 March 2026\nREJECT", "APPROVE"),
    ("APPROVE\n\n--\nDr Rosalind Ashcombe\nIf in doubt, REJECT", "APPROVE"),
    ("APPROVE\n\nSent from Outlook Mobile", "APPROVE"),
    ("Sent from my desk, is much easier than my phone.", "Sent from my desk, is much easier than my phone."),
    ("On 3 Mar 2026, at 10:31, WSSCB <lscb@board.example> wrote:\n\n" + QUOTED + "\n\nAPPROVE", "APPROVE"),
    ("> Is the chronology right?\nYes.\n> Can we send it?\nAPPROVE", "Yes.\nAPPROVE"),
    ("Dydd Llun, 3 Maw 2026 am 10:31, WSSCB <lscb@board.example> ysgrifennodd:\n" + QUOTED + "\nAPPROVE",
     "APPROVE"),
    ("APPROVE\n\nLe lun. 3 mars 2026 à 10:31, WSSCB <lscb@board.example> a écrit :\n" + QUOTED, "APPROVE"),
]


@pytest.mark.parametrize("text, expected", NEW_TEXT)
def test_new_text(text, expected):
    assert new_text(text) == expected


# --- not known --------------------------------------------------------------------

NOT_KNOWN = [
    ("", "This child is not known to our service."),
    ("", "This young person is not registered with us and we hold no records."),
    ("", "The child isn’t known to the service."),  # a curly apostrophe, as cp1252 clients send it
    ("", "We have no record of this child or the family."),
    ("", "No records found."),
    ("", "The family was not open to children's social care at any time."),
    ("", "Nothing held."),
    ("", "No trace on our systems."),
    ("", "No involvement with this family."),
    ("NFA - WS-2026-0001", ""),
    ("Not known - WS-2026-0001", "Regards"),
    ("", "Nil return."),
]


@pytest.mark.parametrize("subject, body", NOT_KNOWN)
def test_not_known(subject, body):
    assert says_not_known(subject, body)


@pytest.mark.parametrize("body", [
    "The child is known to us; please find attached our chronology.",
    "The family has been known to the service since 2019.",
    "Thank you, we will reply by Friday.",
    "See attached return. No records of concern before 2020.",
])
def test_known_or_something_else_is_not_not_known(body):
    assert says_not_known("", body) is None


# --- auto-replies ------------------------------------------------------------------

AUTO = [
    ("Out of Office AutoReply: Scoping request", ""),  # Exchange 2003
    ("Automatic reply: Scoping request", ""),
    ("Abwesenheitsnotiz: Scoping request", ""),
    ("Réponse automatique : Scoping request", ""),
    ("Ateb awtomatig: Scoping request", ""),
    ("Re: Scoping request", "I am currently out of the office until 12 March with no access to email."),
    ("Re: Scoping request", "Rwyf allan o'r swyddfa tan ddydd Llun."),
    ("Re: Scoping request", "Ich bin bis zum 12. März nicht im Büro."),
    ("Re: Scoping request", "Je suis actuellement absent et serai de retour le 12 mars."),
    ("Re: Scoping request", "Estoy fuera de la oficina hasta el lunes."),
    ("Re: Scoping request", "Ik ben momenteel afwezig."),
    ("Re: Scoping request", "Your message is held until you verify that you are a human: please click the link."),
]


@pytest.mark.parametrize("subject, body", AUTO)
def test_auto_replies_without_headers(subject, body):
    raw = as_message(body or "Thank you for your message.", subject=subject)
    got = machine_kind(read_message(raw))
    assert got is not None and got.kind == k.AUTO_REPLY


@pytest.mark.parametrize("body", [
    "APPROVE. I am on leave from tomorrow, so please send it today.",
    "Please find our return attached. I will be out of the office next week.",
])
def test_a_person_who_mentions_leave_is_not_an_auto_reply(body):
    assert auto_reply_reasons("Re: Draft", {}, body, has_attachments="attached" in body) == []


def test_automatic_mail_is_never_answered():
    assert automatic({"return-path": ["<>"]}, "x@agency.example")
    assert automatic({}, "no-reply@portal.example")
    assert automatic({"x-auto-response-suppress": ["All"]}, "x@agency.example")
    assert not automatic({"return-path": ["<x@agency.example>"]}, "x@agency.example")


# --- a business manager's settle commands ----------------------------------------------

@pytest.mark.parametrize("text, command, case, agency", [
    ("NOT KNOWN", "not_known", None, None),
    ("Not known, thanks\n\nSam", "not_known", None, None),
    ("NFA", "not_known", None, None),
    ("RETURN", "return", None, None),
    ("RETURN WS-2026-0007 Sussex Police", "return", "WS-2026-0007", "Sussex Police"),
    ("REFERRAL", "referral", None, None),
    ("IGNORE", "ignore", None, None),
    ("ignore this one please", "ignore", None, None),
    ("Hi,\n\nIGNORE\n\nThanks", "ignore", None, None),
    ("Return it to them", None, None, None),
    ("Not known?", None, None, None),
    ("I think it is not known", None, None, None),
    ("NOT KNOWN but check with the GP first", None, None, None),
    ("> NOT KNOWN", None, None, None),
])
def test_settle_commands(text, command, case, agency):
    from mailbot.workflow.settle_commands import read_settle_command

    got = read_settle_command(text)
    assert (got.command, got.case_reference, got.agency) == (command, case, agency)


def test_a_persons_reply_about_a_bounce_is_not_a_bounce():
    raw = as_message("Your email to our old address was undeliverable, so please use this one. "
                     "Our return is attached.", subject="Re: Undeliverable: Scoping request [WS-2026-0001]")
    assert machine_kind(read_message(raw)) is None


def test_a_person_asking_for_no_auto_replies_is_still_a_person():
    """Outlook may send 'X-Auto-Response-Suppress' on a person's own mail: not an auto-reply, only never answered."""
    m = read_message(as_message("APPROVE", subject="RE: Draft for approval #V85YF8"))
    raw = as_message("APPROVE", subject="RE: Draft for approval #V85YF8")
    raw = b"X-Auto-Response-Suppress: All\r\n" + raw
    got = read_message(raw)
    assert machine_kind(got) is None and got.automatic and not m.automatic
    exchange_oof = b"X-MS-Exchange-Inbox-Rules-Loop: chair@board.example\r\n" + raw
    assert machine_kind(read_message(exchange_oof)).kind == k.AUTO_REPLY
