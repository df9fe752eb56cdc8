"""Replayed and misdirected approvals send nothing.

The Chair's approval of D1 (sample 09) is captured and replayed: byte for
byte, relayed again with a new Received header, re-sent with a new
Message-ID days later, pointed at a superseded or expired draft, sent on by
the business manager, the sub-group chair or an agency, spoofed in the
Chair's name, padded with guessed tokens, or carrying more attachments than
are read. Each must leave every draft as it was and send no notification:
the one approval sends the one notification, once.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from mailbot.store.models import MessageSeen
from tests.approvals.conftest import BM, CHAIR, draft, outgoing, parsed, reply_to_draft, run, sample
from tests.security.mails import OURS_FAIL

D0, D1, D4 = "#AEWA2Q", "#V85YF8", "#JUZDZ5"
SUBGROUP = "crsg.chair@westsussex-scb.example"


def _rows(rt) -> list[MessageSeen]:  # noqa: ANN001
    with rt.store.session() as s:
        return list(s.scalars(select(MessageSeen).order_by(MessageSeen.id)))


def test_a_captured_approval_replayed_every_way_sends_nothing_more(rt, clock):
    approval = sample("09")
    run(rt, [approval])
    (sent,) = outgoing(rt, "notification")
    assert draft(rt, D1).status == "sent"

    relayed = b"Received: from relay.attacker.example by mx.westsussex-scb.example; Thu, 12 Feb 2026\r\n" + approval
    clock.advance(days=3)
    new_id = approval.replace(b"<CWLP265MB19406843139BABEC4FAD94B38A5E@", b"<REPLAYED0000000000000000000000000000@")
    run(rt, [approval, relayed, new_id])

    rows = _rows(rt)
    assert len(rows) == 3  # the exact bytes again are recognised by the ledger and not even recorded
    assert (rows[1].outcome, rows[1].reason) == ("processed", "the same message (Message-ID) was received before")
    assert rows[2].outcome == "needs-attention" and "its token is used" in rows[2].reason
    assert [m.id for m in outgoing(rt, "notification")] == [sent.id]
    (told,) = outgoing(rt, "approval_refused")
    assert told.recipients == [CHAIR]


def test_approvals_for_the_wrong_draft_or_from_the_wrong_person_send_nothing(rt, clock):
    d4 = draft(rt, D4)
    replies = [
        # The Chair's APPROVE for the superseded first version of D1.
        reply_to_draft(rt, D0, "APPROVE", message_id="<r-d0@westsussex-scb.example>"),
        # Everyone but the Chair, each threaded correctly and naming D4's token.
        reply_to_draft(rt, D4, "APPROVE", message_id="<r-bm@westsussex-scb.example>", sender=BM),
        reply_to_draft(rt, D4, "APPROVE", message_id="<r-sg@westsussex-scb.example>", sender=SUBGROUP),
        reply_to_draft(rt, D4, "APPROVE", message_id="<r-ag@police.sussex.example>",
                       sender="public.protection.reviews@police.sussex.example"),
        # The Chair's own address, but our server says it did not come from the Chair's domain.
        reply_to_draft(rt, D4, "APPROVE", message_id="<r-spoof@westsussex-scb.example>",
                       auth=OURS_FAIL.replace("police.sussex.example", "westsussex-scb.example")),
        # The Chair's address with a subject stuffed with guessed tokens around D4's.
        reply_to_draft(rt, D4, "APPROVE", message_id="<r-guess@westsussex-scb.example>",
                       subject=f"RE: Draft [WS-2026-0001] {D4} #AAAAA2 #AAAAA3 #AAAAA4 #AAAAA5 #AAAAA6"),
        # The Chair's address, D4 threaded and named, but more attachments than are ever read.
        reply_to_draft(rt, D4, "APPROVE", message_id="<r-many@westsussex-scb.example>",
                       attachments=[(f"page{i}.png", b"x%d" % i, "image/png") for i in range(60)]),
    ]
    run(rt, replies)
    kinds = [(r.kind, r.outcome) for r in _rows(rt)]
    assert kinds == [("chair_reply", "needs-attention"), ("board_mail", "needs-attention"),
                     ("board_mail", "needs-attention"), ("unmatched", "needs-attention"),
                     ("failed_authentication", "needs-attention"), ("chair_reply", "needs-attention"),
                     ("chair_reply", "needs-attention")]
    assert "names more than one draft" in _rows(rt)[5].reason
    assert "more than 50 attachments" in _rows(rt)[6].reason
    assert draft(rt, D0).status == "superseded" and draft(rt, D4).status == "awaiting_approval"
    assert outgoing(rt, "notification") == []
    # Only the real Chair is answered (about D0); nobody else hears anything.
    assert {tuple(m.recipients) for m in outgoing(rt) if m.kind != "notice"} == {(CHAIR,)}
    assert "replaced by a newer version" in parsed(outgoing(rt, "approval_refused")[0]).get_body(
        ("plain",)).get_content()

    # Once D4 has expired, even the Chair's genuine, well-threaded APPROVE sends nothing.
    clock.set(d4.expires_at.replace(tzinfo=dt.timezone.utc) + dt.timedelta(minutes=1))
    run(rt, [reply_to_draft(rt, D4, "APPROVE", message_id="<r-late@westsussex-scb.example>")])
    assert _rows(rt)[-1].reason == "Chair's reply not acted on: this draft has expired"
    assert outgoing(rt, "notification") == []
