"""When the pack goes, to whom, and never the same pack twice (real mail through the embedded Maildir)."""

from __future__ import annotations

import io

import pytest
from docx import Document
from sqlalchemy import select

from mailbot.config import Board, Person
from mailbot.pack.send import send_pack
from mailbot.runtime import build_runtime
from mailbot.store.models import AuditEntry, MessageSeen, ScopingRequest
from tests.pack.conftest import (
    BM,
    EIGHT_RETURNS,
    HEALTH,
    POLICE,
    REFERENCE,
    SUBGROUP_CHAIR,
    add_return,
    attachments,
    case_of,
    command,
    outgoing,
    packs,
    parsed,
    run_mail,
    sample,
)


def answer_all_but(rt, *waiting: str, not_known: tuple[str, ...] = ()) -> None:  # noqa: ANN001
    """Every agency answers except ``waiting``: returns stored, or "not known" for ``not_known``."""
    with rt.store.transaction() as s:
        case = case_of(s)
        for agency, filename, data in EIGHT_RETURNS:
            if agency in waiting:
                continue
            if agency in not_known:
                req = s.scalar(select(ScopingRequest).where(ScopingRequest.case_id == case.id,
                                                            ScopingRequest.agency == agency))
                req.status, req.answered_at = "not_known", req.requested_at
            else:
                add_return(s, rt, case, agency, filename, data)


def doc_text(data: bytes) -> str:
    """The document's text in reading order (paragraphs and table cells as they come)."""
    doc = Document(io.BytesIO(data))
    out = []
    for block in doc.element.body.iterchildren():
        if block.tag.endswith("}p"):
            out.append("".join(t.text or "" for t in block.iter() if t.tag.endswith("}t")))
        elif block.tag.endswith("}tbl"):
            out += ["".join(t.text or "" for t in tc.iter() if t.tag.endswith("}t"))
                    for tc in block.iter() if tc.tag.endswith("}tc")]
    return "\n".join(out)


def audits(rt, action: str) -> list[str]:  # noqa: ANN001
    with rt.store.session() as s:
        return list(s.scalars(select(AuditEntry.detail).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_the_last_return_sends_the_pack_to_the_subgroup_chair_and_business_manager(rt):
    answer_all_but(rt, POLICE, not_known=(HEALTH,))
    assert packs(rt) == []
    run_mail(rt, [sample("03")])  # the police return: now every agency asked has answered
    (pack,) = packs(rt)
    msg = parsed(pack)
    assert sorted(pack.recipients) == sorted([SUBGROUP_CHAIR, BM])
    assert SUBGROUP_CHAIR in msg["To"] and BM in msg["Cc"]
    assert msg["Subject"] == f"Scoping pack for the sub-group – 8 of 8 agencies answered [{REFERENCE}]"
    files = attachments(pack)
    assert sorted(files) == [f"{REFERENCE} case front sheet.docx", f"{REFERENCE} integrated chronology v1.xlsx",
                             f"{REFERENCE} scoping pack v1.docx"]
    text = doc_text(files[f"{REFERENCE} scoping pack v1.docx"])
    assert "It is sent because every agency asked has now answered." in text
    assert "Asked 8: returned 7, not known to the agency 1, missing 0." in text
    body = msg.get_body(("plain",)).get_content()
    assert "Still missing: 0." in body and "Ethan" not in body and "Newbold" not in body
    with rt.store.session() as s:
        row = s.scalar(select(MessageSeen).order_by(MessageSeen.id.desc()))
        assert (row.kind, row.outcome) == ("scoping_return", "processed")
        assert case_of(s).stage == "awaiting_decision"
    assert outgoing(rt, "thanks")  # the agency is still thanked, in the same step
    (detail,) = audits(rt, "pack_sent")
    assert detail.startswith("version 1; records ") and "all_returns_in" in detail and "Ethan" not in detail


def test_a_later_answer_sends_an_updated_pack_once_and_a_request_without_change_sends_nothing(rt):
    answer_all_but(rt, POLICE, not_known=(HEALTH,))
    run_mail(rt, [sample("03")])
    run_mail(rt, [sample("05")])  # the health trust sends its return after all: the pack is updated
    first, second = packs(rt)
    assert parsed(second)["Subject"].startswith("UPDATED scoping pack, version 2 for the sub-group")
    text = doc_text(attachments(second)[f"{REFERENCE} scoping pack v2.docx"])
    assert "UPDATED PACK – version 2. It replaces version 1 sent on 16/02/2026." in text
    assert "Coastal Sussex Healthcare NHS Trust scoping return (" in text  # listed under "New since then"
    assert "New since the last pack:" in parsed(second).get_body(("plain",)).get_content()
    assert first.dedupe_key != second.dedupe_key
    run_mail(rt, [sample("05")])  # the same message again: the ledger knows it, nothing changes
    run_mail(rt, [command(rt, f"PACK {REFERENCE}")])
    assert len(packs(rt)) == 2  # the same pack is never sent twice
    (answer,) = outgoing(rt, "pack_answer")
    assert answer.recipients == [BM]
    body = parsed(answer).get_body(("plain",)).get_content()
    assert "Nothing has changed on case WS-2026-0001 since version 2" in body and "not been sent again" in body


def test_a_business_manager_asks_for_the_pack_before_everyone_answered(rt):
    run_mail(rt, [command(rt, f"PACK {REFERENCE}")])
    (first,) = packs(rt)
    text = doc_text(attachments(first)[f"{REFERENCE} scoping pack v1.docx"])
    assert "It is sent because Martin Kellaway (business manager) asked for it." in text
    assert "Asked 8: returned 0, not known to the agency 0, missing 8." in text and "Still missing:" in text
    assert "reminder 04/02/2026" in text  # the chase history of an agency still missing
    run_mail(rt, [sample("03")])  # a return after the pack went: an updated pack follows
    second = packs(rt)[1]
    body = parsed(second).get_body(("plain",)).get_content()
    assert "version 2, which replaces version 1" in body and "an agency answered after the last pack went" in body
    assert "- Sussex Police scoping return, received 16/02/2026" in body
    run_mail(rt, [sample("02")])  # the school says the child is not known to it: that changes the pack too
    assert len(packs(rt)) == 3 and "- Downland Academy: not known to the agency" in parsed(
        packs(rt)[2]).get_body(("plain",)).get_content()


def test_pack_commands_that_cannot_be_acted_on_are_answered_or_not_taken_as_commands(rt):
    run_mail(rt, [command(rt, "PACK WS-2026-0099", message_id="<p99@westsussex-scb.example>")])
    (answer,) = outgoing(rt, "pack_answer")
    assert "There is no case WS-2026-0099" in parsed(answer).get_body(("plain",)).get_content()
    police = "public.protection.reviews@police.sussex.example"
    run_mail(rt, [command(rt, f"PACK {REFERENCE}", sender=police, message_id="<p2@police.sussex.example>")])
    assert packs(rt) == []  # only a business manager's email is a command
    with rt.store.session() as s:
        kinds = [r.kind for r in s.scalars(select(MessageSeen).order_by(MessageSeen.id))]
    assert kinds == ["pack_request", "unmatched"]


def test_a_pack_that_cannot_be_made_never_costs_the_return(rt, monkeypatch):
    answer_all_but(rt, POLICE)

    def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("template missing")

    monkeypatch.setattr("mailbot.pack.send.build_pack", broken)
    run_mail(rt, [sample("03")])
    assert packs(rt) == []
    with rt.store.session() as s:
        police = s.scalar(select(ScopingRequest).where(ScopingRequest.agency == POLICE))
        assert police.status == "returned"
    notices = [parsed(m)["Subject"] for m in outgoing(rt, "notice")]
    assert any("The scoping pack could not be made" in subject for subject in notices)
    assert audits(rt, "pack_failed") == ["all_returns_in: RuntimeError"]
    run_mail(rt, [command(rt, f"PACK {REFERENCE}")])  # asked for while still broken: told, nothing sent
    (answer,) = outgoing(rt, "pack_answer")
    assert "could not be made" in parsed(answer).get_body(("plain",)).get_content() and packs(rt) == []


def test_the_pack_is_queued_only_if_its_transaction_commits(rt):
    with pytest.raises(RuntimeError), rt.store.transaction() as s:
        assert send_pack(s, rt, case_of(s), "request_cli").status == "sent"
        raise RuntimeError("the step failed after the pack was queued")
    assert packs(rt) == [] and audits(rt, "pack_sent") == []
    with rt.store.transaction() as s:
        assert send_pack(s, rt, case_of(s), "request_cli").version == 1
    with rt.store.transaction() as s:
        again = send_pack(s, rt, case_of(s), "request_cli")
    assert (again.status, again.version) == ("unchanged", 1)


def test_a_board_can_send_the_pack_to_other_recipients(rt, store, tmp_path):
    panel = Person(name="Case Review Panel", email="case.review.panel@westsussex-scb.example")
    cfg = rt.board.config.model_copy(update={"pack_recipients": [panel, rt.board.config.business_managers[0]]})
    board = Board(config=cfg, path=rt.board.path, form_mappings=rt.board.form_mappings,
                  calendar=rt.board.calendar, regime=rt.board.regime)
    own = build_runtime(board, store, tmp_path / "data2", rt.clock)
    with own.store.transaction() as s:
        send_pack(s, own, case_of(s), "request_cli")
    msg = parsed(packs(own)[0])
    assert "case.review.panel@westsussex-scb.example" in msg["To"] and BM in msg["To"]
    assert msg["Cc"] is None and SUBGROUP_CHAIR not in packs(own)[0].recipients
    own.close()
