"""The Graph mailbox against the fake Graph: delta rounds, 410, throttling, expired tokens, refusals."""

from __future__ import annotations

import argparse
import json

import pytest
from sqlalchemy import func, select

from mailbot.commands import status as status_command
from mailbot.daemon import drain, one_pass
from mailbot.errors import MailboxAuthError, MailboxError
from mailbot.inbound.pipeline import handle_message
from mailbot.mailbox.base import Folder
from mailbot.mailbox.graph import GraphMailbox
from mailbot.mailbox.graph_client import GRAPH_SCOPES, GraphClient
from mailbot.mailbox.graph_state import FileDeltaState, MemoryDeltaState
from mailbot.mailbox.oauth import MsalClientCredentialsProvider
from mailbot.demo.seed import load_state
from mailbot.store.models import MailboxStatus, MessageSeen, OutboxMail
from tests.conftest import SAMPLES
from tests.flow.conftest import sample_emails
from tests.graph.conftest import LocalEntra, graph_runtime_for
from tests.graph.fake_graph import CLIENT_ID, TENANT


def _mail(n: int) -> bytes:
    return (f"From: someone{n}@agency.example\r\nTo: lscb@westsussex-scb.example\r\n"
            f"Message-ID: <m{n}@agency.example>\r\nSubject: test {n}\r\n\r\nBody {n}\r\n").encode()


def _client(server, sleeps: list[float] | None = None, **kw) -> GraphClient:  # noqa: ANN001, ANN003
    tokens = MsalClientCredentialsProvider(TENANT, CLIENT_ID, "fictional-secret", scopes=GRAPH_SCOPES,
                                           http_client=LocalEntra(server))
    record = sleeps.append if sleeps is not None else (lambda s: None)
    return GraphClient(tokens, server.graph.user, endpoint=f"{server.url}/v1.0", sleep=record, **kw)


def _box(server, state=None, sleeps=None, **kw) -> GraphMailbox:  # noqa: ANN001, ANN003
    return GraphMailbox("graph:test", _client(server, sleeps), state=state or MemoryDeltaState(), **kw)


def _handle_all(box: GraphMailbox) -> list[bytes]:
    got = []
    for incoming in box.fetch_new():
        got.append(incoming.raw)
        box.move(incoming.ref, Folder.PROCESSED)
    return got


def test_pages_are_followed_and_mail_comes_oldest_first(graph_server):
    g = graph_server.graph
    for n in range(7):
        g.deliver(_mail(n))
    box = _box(graph_server, page_size=3)
    assert _handle_all(box) == [_mail(n) for n in range(7)]
    assert g.count("GET", "/messages/delta") == 3  # 3 + 3 + 1, the last page with the delta link
    assert len(g.folder_ids("processed")) == 7 and g.folder_ids("Inbox") == []
    assert set(g.folders[f][0] for f in g.folders) >= {"processed", "needs-attention"}


def test_folders_are_made_once_and_found_after(graph_server):
    g = graph_server.graph
    _box(graph_server).fetch_new().close()
    list(_box(graph_server).fetch_new())
    assert g.count("POST", "/childFolders") == 2
    assert sorted(name for name, parent in g.folders.values() if parent == "inbox-id") == [
        "needs-attention", "processed"]


def test_delta_link_is_kept_only_once_everything_it_passes_is_moved(graph_server, tmp_path):
    g = graph_server.graph
    state = FileDeltaState(tmp_path / "delta.json", mailbox="t/u")
    box = _box(graph_server, state=state)
    list(box.fetch_new())
    empty_link = state.load()
    assert empty_link and "$deltatoken=" in empty_link
    assert oct((tmp_path / "delta.json").stat().st_mode & 0o777) == "0o600"
    g.deliver(_mail(1))
    g.deliver(_mail(2))
    first, second = list(box.fetch_new())
    box.move(first.ref, Folder.PROCESSED)
    assert state.load() == empty_link  # one still waits: a restart must see it again
    box.move(second.ref, Folder.NEEDS_ATTENTION)
    assert state.load() != empty_link
    restarted = _box(graph_server, state=FileDeltaState(tmp_path / "delta.json", mailbox="t/u"))
    assert list(restarted.fetch_new()) == []
    assert FileDeltaState(tmp_path / "delta.json", mailbox="another/box").load() is None


def test_an_expired_delta_link_is_a_full_resync_that_handles_nothing_twice(graph_board, store, tmp_path, clock,
                                                                           graph_server):
    g = graph_server.graph
    data = tmp_path / "data"
    first = graph_runtime_for(graph_board, store, data, clock, graph_server)
    load_state(first, SAMPLES / "emails" / "bot-state.json", SAMPLES)
    drain(first)
    emails = {name: raw for name, _m, raw in sample_emails()}
    g.deliver(emails["06-referral-outlook.eml"])
    g.deliver(emails["03-scoping-return-police.eml"])
    batch = list(first.mailbox.fetch_new())
    first.mailbox.move(batch[0].ref, handle_message(first, batch[0]))
    handle_message(first, batch[1])  # handled, never moved: the daemon died here
    drain_sent = len(g.received())
    first.close()
    g.expire_delta_tokens()  # the stored link is older than Graph keeps
    second = graph_runtime_for(graph_board, store, data, clock, graph_server)
    stats = drain(second)
    assert second.mailbox.full_syncs == 1
    assert ("GET", f"/v1.0/users/{g.user}/mailFolders('inbox')/messages/delta", 410) in g.log
    assert stats.handled == 1 and g.folder_ids("Inbox") == []
    while drain(second).handled:
        pass
    second.close()
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(MessageSeen)) == 2
        rows = s.scalars(select(OutboxMail.dedupe_key).where(~OutboxMail.dedupe_key.contains(":seed:"))).all()
    assert len(rows) == len(set(rows))
    ids = [str(m["Message-ID"]) for _r, m in g.received()]
    assert len(ids) == len(set(ids)) and len(ids) >= drain_sent
    kinds = [m["X-Mailbot-Kind"] for _r, m in g.received()]
    assert kinds.count("acknowledgement") == 1 and kinds.count("thanks") == 1


@pytest.mark.parametrize("status", [429, 503])
def test_throttling_waits_for_retry_after_and_loses_nothing(graph_server, status):
    g = graph_server.graph
    g.deliver(_mail(1))
    sleeps: list[float] = []
    box = _box(graph_server, sleeps=sleeps)
    g.fault("/messages/delta", status=status, retry_after=7, times=2)
    g.fault("/$value", status=status, retry_after=3)
    g.fault("/move", status=status, retry_after=1)
    assert _handle_all(box) == [_mail(1)]
    assert sleeps == [7.0, 7.0, 3.0, 1.0]
    assert g.folder_ids("Inbox") == [] and len(g.folder_ids("processed")) == 1


def test_throttling_beyond_the_attempts_is_a_mailbox_error(graph_server):
    graph_server.graph.fault("/messages/delta", status=429, retry_after=1, times=10)
    box = _box(graph_server, sleeps=[])
    box.client.max_attempts = 3
    with pytest.raises(MailboxError, match="busy"):
        list(box.fetch_new())


def test_an_expired_token_is_renewed_once_and_the_request_repeated(graph_server):
    g = graph_server.graph
    box = _box(graph_server)
    list(box.fetch_new())
    assert g.token_requests == 1
    g.deliver(_mail(1))
    g.expire_access_tokens()  # revoked or expired early: Graph answers 401
    assert _handle_all(box) == [_mail(1)]
    assert g.token_requests == 2
    assert sum(1 for _m, _p, s in g.log if s == 401) == 1


def test_a_token_refused_again_is_an_auth_error(graph_server, monkeypatch):
    box = _box(graph_server)
    monkeypatch.setattr(box.client, "_token", lambda: "not-a-token-graph-knows")
    with pytest.raises(MailboxAuthError, match="401 InvalidAuthenticationToken"):
        list(box.fetch_new())


def test_wrong_scope_or_consent_alerts_at_once_and_shows_in_status(graph_runtime, graph_server, capsys, monkeypatch):
    """An application access policy (or RBAC scope) that leaves the board mailbox out answers 403."""
    rt, g = graph_runtime, graph_server.graph
    g.forbidden = True
    one_pass(rt)
    with rt.store.session() as s:
        status = s.get(MailboxStatus, rt.slug)
        assert "403 ErrorAccessDenied" in status.last_error and "Mail.ReadWrite" in status.last_error
        alerts = s.scalars(select(OutboxMail).where(OutboxMail.kind == "alert")).all()
    assert len(alerts) == 1  # authentication trouble alerts at once
    monkeypatch.setattr(status_command._common, "store", lambda args: rt.store)
    monkeypatch.setattr(status_command._common, "boards", lambda args: [rt.board])
    status_command.run(argparse.Namespace(check=True, max_age_minutes=30))
    line = capsys.readouterr().out
    assert "unavailable since" in line and "403 ErrorAccessDenied" in line and "lscb@westsussex-scb.example" in line
    g.forbidden = False
    one_pass(rt)
    with rt.store.session() as s:
        assert s.get(MailboxStatus, rt.slug).down_since is None


def test_an_outage_backs_off_then_resumes_with_nothing_lost(graph_server):
    g = graph_server.graph
    sleeps: list[float] = []
    box = _box(graph_server, sleeps=sleeps)
    box.client.max_attempts = 3
    list(box.fetch_new())
    g.deliver(_mail(1))
    graph_server.stop()
    with pytest.raises(MailboxError, match="unreachable after 3 attempts"):
        list(box.fetch_new())
    assert len(sleeps) == 2 and sleeps[1] > sleeps[0] * 0.9
    graph_server.start()
    assert _handle_all(box) == [_mail(1)]


def test_a_message_moved_away_by_a_person_meanwhile_is_skipped(graph_server):
    g = graph_server.graph
    box = _box(graph_server)
    list(box.fetch_new())
    mid = g.deliver(_mail(1))
    g.deliver(_mail(2))
    messages = box.fetch_new()
    del g.messages[mid]  # deleted in Outlook between the delta round and the fetch
    assert [m.raw for m in messages] == [_mail(2)]


def test_every_request_asks_for_immutable_ids(graph_server, monkeypatch):
    seen: list[str] = []
    box = _box(graph_server)
    real = box.client._session.request

    def spy(method, url, **kw):  # noqa: ANN001, ANN003, ANN202
        seen.append(kw["headers"]["Prefer"])
        return real(method, url, **kw)

    monkeypatch.setattr(box.client._session, "request", spy)
    graph_server.graph.deliver(_mail(1))
    _handle_all(box)
    assert seen and all('IdType="ImmutableId"' in p for p in seen)
    assert json.dumps(seen).count("odata.maxpagesize") == 1


def test_a_limited_fetch_keeps_the_rest_and_the_link_waits_for_them(graph_server, tmp_path):
    g = graph_server.graph
    state = FileDeltaState(tmp_path / "delta.json", mailbox="t/u")
    box = _box(graph_server, state=state)
    list(box.fetch_new())
    empty = state.load()
    for n in range(3):
        g.deliver(_mail(n))
    for incoming in box.fetch_new(limit=2):
        box.move(incoming.ref, Folder.PROCESSED)
    assert state.load() == empty  # the third was reported but not handled yet
    assert _handle_all(box) == [_mail(2)]  # offered from memory, though the next round reports nothing
    assert state.load() != empty and g.folder_ids("Inbox") == []


def test_moves_go_twenty_to_a_batch_and_a_throttled_one_is_moved_alone(graph_server, tmp_path):
    g = graph_server.graph
    state = FileDeltaState(tmp_path / "delta.json", mailbox="t/u")
    box = _box(graph_server, state=state)
    list(box.fetch_new())
    empty = state.load()
    for n in range(25):
        g.deliver(_mail(n))
    incoming = list(box.fetch_new())
    g.fault(f"/messages/{incoming[3].ref.uid}/move", status=429, retry_after=1)
    before = g.count("POST", "/move")
    box.move_many([(m.ref, Folder.PROCESSED) for m in incoming])
    assert g.count("POST", "/$batch") == 2 and g.count("POST", "/move") - before == 1  # 20 + 5, one again alone
    assert g.folder_ids("Inbox") == [] and len(g.folder_ids("processed")) == 25
    assert state.load() != empty
