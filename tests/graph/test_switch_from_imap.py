"""A board that switches its mailbox from IMAP (here: its Maildir stand-in) to Graph keeps its ledger.

Exchange hands the same message out over Graph with other bytes than over
IMAP (its own headers, its own MIME layout), so the sha256 differs; the
ledger also knows each message by its Message-ID, and nothing already
handled is acted on again. The folders IMAP made at the top level are
the ones the Graph mailbox uses (``folders_under: msgfolderroot``). A copy
from a sender the directory does not know is held for a person, as the
ledger holds any such copy; nothing is acted on.
"""

from __future__ import annotations

from sqlalchemy import func, select

from mailbot.config import GraphSending
from mailbot.daemon import drain
from mailbot.demo.seed import load_state
from mailbot.store.models import MessageSeen, OutboxMail
from tests.approvals.conftest import run
from tests.conftest import SAMPLES
from tests.flow.conftest import sample_emails
from tests.graph.conftest import graph_runtime_for, graph_settings


def _as_exchange_serves_it(raw: bytes) -> bytes:
    return (b"Received: from mail.example (10.0.0.1) by EXCH01.council.example with Microsoft SMTP Server\r\n"
            b"X-MS-Exchange-Organization-AuthAs: Anonymous\r\n" + raw)


def _outbox_count(store) -> int:  # noqa: ANN001
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(OutboxMail))


def test_switching_to_graph_acts_on_nothing_twice(maildir_runtime, ws_board, store, tmp_path, clock, graph_server,
                                                 monkeypatch):
    rt = maildir_runtime
    load_state(rt, SAMPLES / "emails" / "bot-state.json", SAMPLES)
    samples = [raw for _n, _m, raw in sample_emails()]
    run(rt, samples)  # a month on IMAP: everything handled
    queued = _outbox_count(store)
    g = graph_server.graph
    g.folders["AAMkFolder-old"] = ("processed", "root-id")  # made by IMAP at the top level
    monkeypatch.setenv("MAILBOT_TEST_GRAPH_SECRET", "fictional-client-secret")
    ws_board.config = ws_board.config.model_copy(update={
        "mailbox": graph_settings(graph_server, folders_under="msgfolderroot"), "sending": GraphSending(kind="graph")})
    rt.close()
    for raw in samples:  # the move into folders was lost for all of them, say: back in the Inbox
        g.deliver(_as_exchange_serves_it(raw))
    switched = graph_runtime_for(ws_board, store, tmp_path / "data", clock, graph_server)
    while drain(switched).handled:
        pass
    switched.close()
    with store.session() as s:
        again = dict(s.execute(select(MessageSeen.id, MessageSeen.reason)
                               .where(MessageSeen.mailbox == switched.mailbox.name)).all())
        new_mail = s.execute(select(OutboxMail.kind, OutboxMail.recipients).where(OutboxMail.id > queued)).all()
    assert len(again) == len(samples)  # each one recognised by its Message-ID, whatever its bytes:
    known = [r for r in again.values() if r == "the same message (Message-ID) was received before"]
    held = [r for r in again.values() if r == "a copy of an earlier message from a different sender"]
    assert len(known) + len(held) == len(samples) and len(known) >= 10
    # nothing acted on again: no acknowledgement, request, thanks or notification; a copy whose
    # sender the directory does not know is held for a person, as any such copy is
    assert [(k, r) for k, r in new_mail] == [("notice", ["businessmanager@westsussex-scb.example"])] * len(held)
    assert [r for r, _m in g.received()] == [["businessmanager@westsussex-scb.example"]] * len(held)
    assert g.folder_ids("Inbox") == []
    processed = [fid for fid, (name, parent) in g.folders.items() if name == "processed"]
    assert processed == ["AAMkFolder-old"]  # the folder IMAP made, found and used
