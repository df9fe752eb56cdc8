"""Stage 1 over the Graph backend: the sample mail read by delta query, moved, answered by sendMail.

The same sample mail and the same outcomes as the Dovecot + aiosmtpd flow
(tests/flow/test_intake_imap.py), through the fake Graph on loopback.
"""

from __future__ import annotations

from sqlalchemy import func, select

from mailbot.daemon import drain
from mailbot.inbound.pipeline import handle_message
from mailbot.demo.seed import load_state
from mailbot.store.models import Case, MessageSeen, ScopingRequest
from tests.conftest import SAMPLES
from tests.flow.conftest import sample_emails
from tests.graph.conftest import graph_runtime_for


def _drain_all(rt) -> None:  # noqa: ANN001
    while drain(rt).handled:
        pass


def test_samples_through_graph(graph_runtime, graph_server):
    rt, g = graph_runtime, graph_server.graph
    load_state(rt, SAMPLES / "emails" / "bot-state.json", SAMPLES)
    for _name, _meta, raw in sample_emails():
        g.deliver(raw)
    _drain_all(rt)
    assert g.folder_ids("Inbox") == []
    with rt.store.session() as s:
        held = s.scalar(select(func.count()).select_from(MessageSeen).where(MessageSeen.outcome == "needs-attention"))
        assert s.scalar(select(func.count()).select_from(MessageSeen)) == 14
        assert s.scalar(select(Case).where(Case.reference == "WS-2026-0002")) is not None
        police = s.scalar(select(ScopingRequest).where(ScopingRequest.case_id == 1,
                                                       ScopingRequest.agency == "Sussex Police"))
        assert police.status == "returned"
    assert len(g.folder_ids("needs-attention")) == held
    assert len(g.folder_ids("processed")) == 14 - held

    sent = g.received()
    by_kind: dict[str, list] = {}
    for rcpts, msg in sent:
        by_kind.setdefault(msg["X-Mailbot-Kind"], []).append((rcpts, msg))
    assert all(m["From"] == "WSSCB Mailbox <lscb@westsussex-scb.example>" for _r, m in sent)
    assert [r for r, _m in by_kind["acknowledgement"]] == [["harvey.radcliffe@childrens.westsussex-cc.example"],
                                                           ["liam.farrant@childrens.westsussex-cc.example"]]
    assert len(by_kind["scoping_request"]) == 16
    for _r, m in by_kind["thanks"]:
        assert m["In-Reply-To"] and m["In-Reply-To"] in m["References"]
    notes = by_kind["notification"]
    assert len(notes) == 2
    statutory = [r for r, m in notes if "panel@nationalpanel.example" in r]
    assert statutory == [["notifications@ofsted.example", "scr.notifications@dfe.example",
                          "panel@nationalpanel.example", "chair@westsussex-scb.example"]]
    assert all(any(p.get_filename() for p in m.iter_attachments()) for _r, m in notes)
    # Our own Message-IDs went out as they were, and each is in Sent Items once.
    ids = [str(m["Message-ID"]).strip() for _r, m in sent]
    assert len(ids) == len(set(ids)) and all(i.endswith("@westsussex-scb.example>") for i in ids)
    assert sorted(g.messages[i].internet_message_id for i in g.folder_ids("Sent Items")) == sorted(ids)
    # Immutable ids: what the ledger stored is the id the message still has in its folder.
    with rt.store.session() as s:
        stored = set(s.scalars(select(MessageSeen.uid)))
    assert stored == set(g.folder_ids("processed")) | set(g.folder_ids("needs-attention"))
    # Nothing twice: the same mail delivered again is recognised.
    for _name, _meta, raw in sample_emails():
        g.deliver(raw)
    _drain_all(rt)
    assert len(g.received()) == len(sent)
    assert g.folder_ids("Inbox") == []


def test_an_idle_poll_is_one_small_request(graph_runtime, graph_server):
    rt, g = graph_runtime, graph_server.graph
    drain(rt)  # the first round: folders found or made, the inbox listed
    before = len(g.log)
    for _ in range(5):
        assert drain(rt).handled == 0
    assert [(m, p.rsplit("/", 2)[-2:]) for m, p, _s in g.log[before:]] == [("GET", ["messages", "delta"])] * 5


def test_restart_mid_batch_over_graph(graph_board, store, tmp_path, clock, graph_server):
    """Killed after handling a message but before moving it: the restarted daemon resumes from the
    stored delta link, the message comes again, the ledger knows it; nothing lost, nothing twice."""
    g = graph_server.graph
    data = tmp_path / "data"
    first = graph_runtime_for(graph_board, store, data, clock, graph_server)
    load_state(first, SAMPLES / "emails" / "bot-state.json", SAMPLES)
    _drain_all(first)  # an empty inbox: a delta link is stored
    for _name, _meta, raw in sample_emails():
        g.deliver(raw)
    batch = list(first.mailbox.fetch_new())
    for incoming in batch[:4]:
        first.mailbox.move(incoming.ref, handle_message(first, incoming))
    handle_message(first, batch[4])  # committed, then the daemon dies before moving it or sending
    first.close()
    second = graph_runtime_for(graph_board, store, data, clock, graph_server)
    assert second.mailbox._link == first.mailbox._saved  # resumed from the link stored before the batch
    _drain_all(second)
    second.close()
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(MessageSeen)) == 14
    ids = [m["Message-ID"] for _r, m in g.received()]
    assert len(ids) == len(set(ids))
    assert g.folder_ids("Inbox") == []
