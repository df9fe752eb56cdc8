"""The approval protocol beyond the samples: edited documents, reuse, expiry, tokens, threads."""

from __future__ import annotations

import datetime as dt
import io

from docx import Document

from mailbot.workflow.drafts import DOCX
from tests.approvals.conftest import CHAIR, NOTIFY, addresses, draft, outgoing, parsed, reply_to_draft, run, sample

D1, D4 = "#V85YF8", "#JUZDZ5"


def _edited_docx() -> bytes:
    doc = Document()
    doc.add_paragraph("EDITED BY THE CHAIR: the lead reviewer is Dr Imogen Tasker.")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def test_approve_with_an_edited_document_sends_the_edited_one(rt):
    edited = _edited_docx()
    raw = reply_to_draft(rt, D1, "Approved with my amendments attached\n\nRosalind\n",
                         message_id="<edit-1@westsussex-scb.example>",
                         attachments=[("notification v2.docx", edited, DOCX)])
    run(rt, [raw])
    sent = outgoing(rt, "notification")
    assert len(sent) == 1
    msg = parsed(sent[0])
    docs = [p for p in msg.iter_attachments() if p.get_filename().endswith(".docx")]
    assert len(docs) == 1 and docs[0].get_content() == edited
    assert addresses(msg, "To") == sorted(NOTIFY) and addresses(msg, "Cc") == [CHAIR]
    assert draft(rt, D1).edited_document_id is not None


def test_a_second_approve_sends_nothing_more(rt):
    run(rt, [sample("09")])
    again = reply_to_draft(rt, D1, "APPROVE", message_id="<again-1@westsussex-scb.example>")
    run(rt, [again])
    assert len(outgoing(rt, "notification")) == 1
    told = outgoing(rt, "approval_refused")
    assert len(told) == 1 and "token is used" in parsed(told[0]).get_body(("plain",)).get_content()


def test_an_approval_after_expiry_sends_nothing(rt, clock):
    clock.set(dt.datetime(2026, 2, 17, 15, 32, tzinfo=dt.timezone.utc))  # D1 expired at 15:31
    run(rt, [reply_to_draft(rt, D1, "APPROVE", message_id="<late-1@westsussex-scb.example>")])
    assert outgoing(rt, "notification") == []
    assert draft(rt, D1).status == "awaiting_approval"
    assert "expired" in parsed(outgoing(rt, "approval_refused")[0]).get_body(("plain",)).get_content()


def test_a_wrong_token_sends_nothing(rt):
    raw = reply_to_draft(rt, D1, "APPROVE", message_id="<wrong-1@westsussex-scb.example>",
                         subject="RE: Draft for approval [WS-2026-0001] #ZZZZZ2")
    run(rt, [raw])
    assert outgoing(rt, "notification") == []
    assert draft(rt, D1).status == "awaiting_approval"
    assert len(outgoing(rt, "approval_refused")) == 1 and len(outgoing(rt, "notice")) == 1


def test_a_token_from_another_draft_thread_sends_nothing(rt):
    """D4's token in the subject of a reply threaded to D1: the token must match the thread."""
    d4 = draft(rt, D4)
    raw = reply_to_draft(rt, D1, "APPROVE", message_id="<mixed-1@westsussex-scb.example>",
                         subject=f"RE: Draft for approval: {d4.title} [WS-2026-0001] {D4}")
    run(rt, [raw])
    assert outgoing(rt, "notification") == []
    assert draft(rt, D1).status == draft(rt, D4).status == "awaiting_approval"


def test_a_reply_without_threading_headers_or_a_forward_sends_nothing(rt):
    bare = reply_to_draft(rt, D1, "APPROVE", message_id="<bare-1@westsussex-scb.example>", thread=False)
    fwd = reply_to_draft(rt, D1, "APPROVE", message_id="<fwd-1@westsussex-scb.example>",
                         subject=f"FW: Draft for approval [WS-2026-0001] {D1}")
    run(rt, [bare, fwd])
    assert outgoing(rt, "notification") == []
    assert len(outgoing(rt, "approval_refused")) == 2
    assert draft(rt, D1).status == "awaiting_approval" and len(draft(rt, D1).refusals) == 2


def test_an_unclear_answer_sends_nothing_and_asks_again(rt):
    run(rt, [reply_to_draft(rt, D1, "approve? not sure about para 2", message_id="<unclear@westsussex-scb.example>")])
    assert outgoing(rt, "notification") == []
    told = outgoing(rt, "approval_refused")
    assert len(told) == 1 and told[0].recipients == [CHAIR]
    assert draft(rt, D1).status == "awaiting_approval"


def test_approve_only_in_quoted_history_sends_nothing(rt):
    body = "Thanks, will look tonight\n\n> Reply APPROVE to send it as it is\n> APPROVE\n"
    run(rt, [reply_to_draft(rt, D1, body, message_id="<quoted@westsussex-scb.example>")])
    assert outgoing(rt, "notification") == []


def test_a_spoofed_chair_with_failed_dmarc_is_refused(rt):
    fail = ("mx.westsussex-scb.example; dkim=fail header.d=westsussex-scb.example; "
            "spf=fail smtp.mailfrom=westsussex-scb.example; dmarc=fail header.from=westsussex-scb.example")
    run(rt, [reply_to_draft(rt, D1, "APPROVE", message_id="<spoof@westsussex-scb.example>", auth=fail)])
    assert outgoing(rt, "notification") == [] and outgoing(rt, "approval_refused") == []
    assert draft(rt, D1).status == "awaiting_approval"


def test_a_forged_pass_header_from_elsewhere_does_not_help(rt):
    """Only the board's server's Authentication-Results counts; a pass from elsewhere is ignored."""
    forged = "mx.attacker.example; dkim=pass; spf=pass; dmarc=pass"
    run(rt, [reply_to_draft(rt, D1, "APPROVE", message_id="<forged@x.example>", sender="ros@mailbox.example",
                            auth=forged)])
    assert outgoing(rt, "notification") == []


def test_plus_addressing_carries_the_token_in_reply_to(rt, store, tmp_path):
    from sqlalchemy import select

    from mailbot.config import Approvals, Board
    from mailbot.records import ChairDecision, Decision
    from mailbot.runtime import build_runtime
    from mailbot.store.models import Case
    from mailbot.workflow.decisions import record_decision

    cfg = rt.board.config.model_copy(update={"approvals": Approvals(plus_addressing=True)})
    plus = build_runtime(Board(config=cfg, path=rt.board.path, form_mappings=rt.board.form_mappings,
                               calendar=rt.board.calendar, regime=rt.board.regime), store, rt.data_dir, rt.clock)
    run(plus, [sample("06")])
    with plus.store.transaction() as s:
        case = s.scalar(select(Case).where(Case.reference == "WS-2026-0002"))
        made = record_decision(s, plus, case, Decision(board=plus.slug, form="t", chair=ChairDecision(decision="scr")),
                               source="test")
        token = made[0].token
    asked = next(m for m in outgoing(plus, "draft") if token in m.subject)
    assert parsed(asked)["Reply-To"] == f"lscb+{token[1:]}@westsussex-scb.example"
    raw = reply_to_draft(plus, token, "APPROVE", message_id="<plus-1@westsussex-scb.example>",
                         subject="RE: Draft for approval [WS-2026-0002]")  # the client dropped the token
    raw = raw.replace(b"To: WSSCB Mailbox <lscb@westsussex-scb.example>",
                      f"To: WSSCB Mailbox <lscb+{token[1:]}@westsussex-scb.example>".encode())
    run(plus, [raw])
    (sent,) = outgoing(plus, "notification")
    assert addresses(parsed(sent), "Cc") == [CHAIR]
    plus.close()
