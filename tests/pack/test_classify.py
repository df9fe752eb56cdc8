"""``PACK <reference>`` from a business manager is a command; anything else is not."""

from __future__ import annotations

import pytest

from mailbot.inbound import classify as k
from mailbot.inbound.classify import pack_command
from tests.inbound.test_classify import mail, run

BM = "Martin Kellaway <businessmanager@westsussex-scb.example>"


@pytest.mark.parametrize(("subject", "reference"), [
    ("PACK WS-2026-0001", "WS-2026-0001"), ("pack ws-2026-0001", "WS-2026-0001"),
    ("  PACK: [WS-2026-0001] ", "WS-2026-0001"), ("Pack SW-2026-0011", "SW-2026-0011"),
    ("Re: PACK WS-2026-0001", None), ("PACK WS-2026-0001 please", None), ("Scoping pack [WS-2026-0001]", None),
    ("PACKAGE WS-2026-0001", None), ("PACK", None), ("", None),
])
def test_pack_command_is_the_whole_subject(subject, reference):
    assert pack_command(subject) == reference


def test_a_business_managers_pack_command_is_a_pack_request():
    got = run(mail(frm=BM, subject="PACK WS-2026-0001"), thread=None)
    assert got.kind == k.PACK_REQUEST and got.case_reference == "WS-2026-0001"
    assert "business manager" in got.reasons[0]


def test_the_same_subject_from_anyone_else_is_not():
    assert run(mail(subject="PACK WS-2026-0001"), thread=None).kind != k.PACK_REQUEST  # an agency
    chair = "Dr Rosalind Ashcombe <chair@westsussex-scb.example>"
    assert run(mail(frm=chair, subject="PACK WS-2026-0001"), thread=None).kind == k.CHAIR_REPLY
    assert run(mail(frm=BM, subject="Re: PACK WS-2026-0001"), thread=None).kind == k.BOARD_MAIL
    spoof = "mx.westsussex-scb.example; dkim=fail; spf=fail; dmarc=fail"
    assert run(mail(frm=BM, subject="PACK WS-2026-0001", Authentication_Results=spoof),
               thread=None).kind == k.SPOOFED


def test_a_pack_recipient_is_board_mail_not_an_unknown_sender():
    from mailbot.config import Person
    from mailbot.directory import Directory
    from tests.inbound.test_classify import BOARD

    panel = Person(name="Case Review Panel", email="case.review.panel@westsussex-scb.example")
    directory = Directory(BOARD.config.model_copy(update={"pack_recipients": [panel]}))
    assert directory.identify("case.review.panel@westsussex-scb.example").role == "pack_recipient"
    assert Directory(BOARD.config).identify("case.review.panel@westsussex-scb.example").role == "unknown"
