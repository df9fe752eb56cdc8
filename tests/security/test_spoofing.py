"""Spoofed and look-alike senders: held for a person, never acted on, never answered.

A sender is trusted only when the From header names exactly one address,
literally, that the directory lists (or on a listed domain, exactly), and
the board's own server stamped no DKIM/SPF/DMARC failure. The attacks go
through the real intake (Maildir mailbox, classifier, workflow, outbox);
the tests check what was recorded, moved and sent.
"""

from __future__ import annotations

import email
from email import policy

import pytest
from sqlalchemy import func, select

from mailbot.config import Agency, Person
from mailbot.directory import Directory
from mailbot.inbound.message import read_message
from mailbot.store.models import Case, OutboxMail
from tests.approvals.conftest import BM, run
from tests.conftest import SAMPLES
from tests.inbound.test_classify import BOARD
from tests.security.mails import (
    OURS_FAIL,
    OURS_PASS,
    POLICE,
    RETURN_DOCX,
    held_files,
    ledger,
    police_request,
    police_return,
    record_count,
    sent_to,
    variant,
)

#: Another server's header claiming a pass under a name that merely starts with ours.
FORGED_PASS = "mx.westsussex-scb.example.attacker.example; dkim=pass; spf=pass; dmarc=pass"
#: Headers not stamped by our server: a failure in them counts for nothing either.
OTHER_SERVERS = [
    "mx.attacker.example; dkim=fail; spf=fail; dmarc=fail",
    "mx.westsussex-scb.example.attacker.example; dmarc=fail",
    "westsussex-scb.example; dmarc=fail",
]


def _notices(rt) -> list[OutboxMail]:  # noqa: ANN001
    with rt.store.session() as s:
        return list(s.scalars(select(OutboxMail).where(OutboxMail.kind == "notice").order_by(OutboxMail.id)))


def test_only_our_servers_authentication_results_decide(rt):
    records = record_count(rt)
    spoofs = [
        # From the police, threaded to the police's request, a valid return attached: our server says fail.
        police_return(message_id="<spoof-1@police.sussex.example>", auth=[FORGED_PASS, OURS_FAIL]),
        # An attacker can write our authserv-id into its own header: a failure in any copy still wins.
        police_return(message_id="<spoof-2@police.sussex.example>", auth=[OURS_PASS, OURS_FAIL],
                      attachment=variant(RETURN_DOCX, "spoof-2")),
    ]
    run(rt, spoofs)
    rows = ledger(rt)
    assert [(r.kind, r.outcome, r.case_id) for r in rows] == [("failed_authentication", "needs-attention", None)] * 2
    assert rows[0].reason == "the board's mail server reports dmarc, dkim, spf failed"
    assert police_request(rt).status == "outstanding" and record_count(rt) == records
    assert [(k, to, case) for k, to, case in sent_to(rt)] == [("notice", [BM], None)] * 2  # never answered
    body = email.message_from_bytes(_notices(rt)[0].raw, policy=policy.default).get_body(("plain",)).get_content()
    assert "WS-2026-0001" not in _notices(rt)[0].subject  # the notice does not thread into the case
    assert "It says it is about WS-2026-0001; it was not added to that case" in body
    assert held_files(rt) == 2

    # Failures stamped by anyone else are ignored; the loop goes on with the genuine mail.
    genuine = [police_return(message_id=f"<ok-{i}@police.sussex.example>", auth=[ar, OURS_PASS],
                             attachment=variant(RETURN_DOCX, f"ok-{i}"),
                             extra={"Reply-To": "collect@attacker.example", "Sender": "collect@attacker.example"})
               for i, ar in enumerate(OTHER_SERVERS)]
    run(rt, genuine)
    assert [(r.kind, r.outcome) for r in ledger(rt)[2:]] == [("scoping_return", "processed")] * 3
    assert police_request(rt).status == "returned" and record_count(rt) == records + 3
    thanked = [to for kind, to, _c in sent_to(rt) if kind == "thanks"]
    assert thanked == [[POLICE]] * 3  # Reply-To and Sender never redirect mailbot's answer


LOOK_ALIKES = [
    "x@po1ice.sussex.example",                     # digit for letter
    "x@police-sussex.example",                     # hyphen for dot
    "x@evil.police.sussex.example",                # unlisted sub-domain
    "x@police.sussex.example.attacker.example",    # listed domain as a prefix
    "x@police.sussex.examp1e",                     # look-alike top level
    "x@pоlice.sussex.example",                     # Cyrillic о
    "x@ｐolice.sussex.example",                    # full-width p
    "x@xn--plice-qsa.sussex.example",              # a punycode label
    "x@police.sussex.example.",                    # trailing dot
    f"{POLICE}@attacker.example",                  # the whole address as a local part
    f"{POLICE}\u200b",                             # zero-width space
]


@pytest.mark.parametrize("address", LOOK_ALIKES)
def test_look_alike_addresses_are_unknown(address):
    assert not Directory(BOARD.config).identify(address).known


def test_the_kelvin_sign_does_not_lower_case_into_a_listed_domain():
    """``'\u212a'.lower() == 'k'``: an address spelled with it must not become a listed one."""
    kent = Agency(name="Kent Police", domains=["kent.police.example"],
                  scoping_contacts=[Person(name="K", email="reviews@kent.police.example")])
    cfg = BOARD.config.model_copy(update={"agencies": [*BOARD.config.agencies, kent]})
    raw = "From: x@\u212aent.police.example\r\nTo: lscb@westsussex-scb.example\r\nSubject: s\r\n\r\nhi".encode()
    msg = read_message(raw)
    assert msg.from_addr != "x@kent.police.example"
    assert not Directory(cfg).identify(msg.from_addr).known
    assert not Directory(cfg).identify("x@\u212aent.police.example").known
    assert Directory(cfg).identify("X@KENT.police.example").known  # plain ASCII case still folds


AMBIGUOUS_FROM = [
    "=?utf-8?q?public.protection.reviews=40police.sussex.example?=",  # an encoded-word "address"
    "=?utf-8?b?cHVibGljLnByb3RlY3Rpb24ucmV2aWV3c0Bwb2xpY2Uuc3Vzc2V4LmV4YW1wbGU=?=",
    "public.protection.reviews@=?utf-8?q?police.sussex.example?=",  # an encoded-word domain
    f"{POLICE}, x@attacker.example",  # two authors
    f"x@attacker.example, {POLICE}",
    f'"{POLICE}" <x@attacker.example>',  # the listed address as a display name
    f"x@attacker.example ({POLICE})",  # … or as a comment
    "<x@attacker.example>@police.sussex.example",  # garbage the parser has to repair
    f"{POLICE}\nFrom: x@attacker.example",  # two From headers
    "",
]


def _with_from(from_header: str, message_id: str) -> bytes:
    raw = police_return(message_id=message_id, sender="placeholder@attacker.example",
                        attachment=variant(RETURN_DOCX, message_id))
    return raw.replace(b"From: placeholder@attacker.example", f"From: {from_header}".encode())


@pytest.mark.parametrize("from_header", AMBIGUOUS_FROM)
def test_ambiguous_or_encoded_from_headers_name_no_sender(from_header):
    msg = read_message(_with_from(from_header, "<a@x.example>"))
    assert msg.from_addr != POLICE and not Directory(BOARD.config).identify(msg.from_addr).known


def test_ambiguous_and_look_alike_senders_are_held_through_the_intake(rt):
    referral = (SAMPLES / "forms/west-sussex/referral/referral-02.docx").read_bytes()
    look_alike = police_return(message_id="<lookalike@x.example>", subject="Referral", thread=None,
                               sender="Harvey <harvey.radcliffe@childrens.westsussex-cc.examp1e>",
                               attachment=referral, filename="referral.docx")
    raws = [_with_from(h, f"<amb-{i}@x.example>") for i, h in enumerate(AMBIGUOUS_FROM)] + [look_alike]
    run(rt, raws)
    rows = ledger(rt)
    assert [(r.kind, r.outcome, r.case_id) for r in rows] == [("unknown_sender", "needs-attention", None)] * len(raws)
    assert police_request(rt).status == "outstanding"
    with rt.store.session() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 1  # only the seeded case: none opened
    assert {(k, tuple(to)) for k, to, _c in sent_to(rt)} == {("notice", (BM,))}  # nobody but the BM is written to
    assert held_files(rt) == len(raws)
