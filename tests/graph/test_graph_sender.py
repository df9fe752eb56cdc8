"""The Graph sender: our MIME through sendMail, and a lost answer settled in Sent Items, never resent blindly."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from sqlalchemy import select

from mailbot.errors import SendAuthError, SendError
from mailbot.outbound import outbox
from mailbot.outbound.graph_sender import GraphSender, GraphSendNotes, with_bcc
from mailbot.store.models import OutboxMail
from tests.graph.test_graph_mailbox import _client

NOW = dt.datetime(2026, 2, 16, 9, 0, tzinfo=dt.timezone.utc)


def _raw(n: int = 1) -> bytes:
    return (f"From: WSSCB Mailbox <lscb@westsussex-scb.example>\r\nTo: agency{n}@police.example\r\n"
            f"Message-ID: <out-{n}.ws-2026-0001@westsussex-scb.example>\r\nSubject: Scoping request {n}\r\n"
            f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease return the form.\r\n").encode()


class Clock:
    def __init__(self) -> None:
        self.t = NOW

    def __call__(self) -> dt.datetime:
        return self.t


def _sender(server, tmp_path, clock=None, sleeps=None) -> GraphSender:  # noqa: ANN001
    return GraphSender(_client(server, sleeps if sleeps is not None else []),
                       notes=GraphSendNotes(tmp_path / "sending.json"), now=clock or Clock())


def test_our_mime_goes_as_base64_text_plain_and_lands_in_sent_items(graph_server, tmp_path, monkeypatch):
    g = graph_server.graph
    sender = _sender(graph_server, tmp_path)
    bodies: list[tuple[str, bytes]] = []
    real = sender.client._session.request

    def spy(method, url, **kw):  # noqa: ANN001, ANN003, ANN202
        if url.endswith("/sendMail"):
            bodies.append((kw["headers"]["Content-Type"], kw["data"]))
        return real(method, url, **kw)

    monkeypatch.setattr(sender.client._session, "request", spy)
    sender.send_raw(_raw(), ["agency1@police.example"])
    [(ctype, body)] = bodies
    assert ctype == "text/plain" and base64.b64decode(body) == _raw()
    [(rcpts, msg)] = g.received()
    assert rcpts == ["agency1@police.example"] and msg["Message-ID"] == "<out-1.ws-2026-0001@westsussex-scb.example>"
    assert sender.in_sent_items("<out-1.ws-2026-0001@westsussex-scb.example>")
    assert not sender.in_sent_items("<never-sent@westsussex-scb.example>")
    assert '"accepted"' in (tmp_path / "sending.json").read_text()
    sender.send_raw(_raw(), ["agency1@police.example"])  # offered again (a crash lost the "sent" mark)
    assert len(g.received()) == 1


def test_recipients_the_headers_do_not_name_go_as_bcc_and_are_not_shown():
    raw = _raw()
    assert with_bcc(raw, ["agency1@police.example"]) == raw
    hidden = with_bcc(raw, ["agency1@police.example", "Chair@WestSussex-scb.example"])
    assert hidden.startswith(b"Bcc: Chair@WestSussex-scb.example\r\n") and hidden.endswith(raw)


def test_a_bcc_recipient_is_delivered_without_the_header(graph_server, tmp_path):
    g = graph_server.graph
    _sender(graph_server, tmp_path).send_raw(_raw(), ["agency1@police.example", "chair@westsussex-scb.example"])
    [(rcpts, msg)] = g.received()
    assert rcpts == ["agency1@police.example", "chair@westsussex-scb.example"] and msg["Bcc"] is None


def test_a_lost_answer_is_settled_in_sent_items_not_by_sending_again(graph_server, tmp_path):
    g = graph_server.graph
    sender = _sender(graph_server, tmp_path)
    g.fault("POST /v1.0/users/", drop=True)  # Graph takes the mail; the answer never arrives
    with pytest.raises(SendError) as lost:
        sender.send_raw(_raw(), ["agency1@police.example"])
    assert not lost.value.permanent and lost.value.server_side
    assert len(g.received()) == 1
    sender.send_raw(_raw(), ["agency1@police.example"])  # the outbox's retry
    assert len(g.received()) == 1 and g.count("POST", "/sendMail") == 1
    assert g.count("GET", "/mailFolders/sentitems/messages") == 1


def test_a_crash_mid_send_is_settled_by_the_next_process(graph_server, tmp_path):
    g = graph_server.graph
    g.fault("POST /v1.0/users/", drop=True)
    with pytest.raises(SendError):
        _sender(graph_server, tmp_path).send_raw(_raw(), ["agency1@police.example"])
    restarted = _sender(graph_server, tmp_path)  # the note is on disk
    restarted.send_raw(_raw(), ["agency1@police.example"])
    assert len(g.received()) == 1


def test_an_attempt_that_did_not_go_is_sent_once_sent_items_had_time(graph_server, tmp_path):
    g = graph_server.graph
    clock = Clock()
    sender = _sender(graph_server, tmp_path, clock)
    g.fault("POST /v1.0/users/", status=500)  # an error after the request left: it may have gone
    with pytest.raises(SendError):
        sender.send_raw(_raw(), ["agency1@police.example"])
    clock.t += dt.timedelta(seconds=30)  # Exchange may not have filed the copy yet: wait, do not resend
    with pytest.raises(SendError, match="not known yet"):
        sender.send_raw(_raw(), ["agency1@police.example"])
    assert g.received() == []
    clock.t += dt.timedelta(seconds=200)
    sender.send_raw(_raw(), ["agency1@police.example"])
    assert len(g.received()) == 1


def test_throttled_send_waits_and_sends_once(graph_server, tmp_path):
    g = graph_server.graph
    sleeps: list[float] = []
    g.fault("/sendMail", status=429, retry_after=4)
    _sender(graph_server, tmp_path, sleeps=sleeps).send_raw(_raw(), ["agency1@police.example"])
    assert sleeps == [4.0] and len(g.received()) == 1


def test_refusals_are_permanent_or_auth(graph_server, tmp_path):
    g = graph_server.graph
    sender = _sender(graph_server, tmp_path)
    g.fault("/sendMail", status=400)  # e.g. ErrorInvalidRecipients: this email will never go
    with pytest.raises(SendError) as bad:
        sender.send_raw(_raw(), ["agency1@police.example"])
    assert bad.value.permanent and not bad.value.server_side
    g.forbidden = True
    with pytest.raises(SendAuthError, match="Mail.Send"):
        sender.send_raw(_raw(), ["agency1@police.example"])
    assert (tmp_path / "sending.json").read_text() == "{}"


def test_through_the_outbox_a_lost_answer_is_marked_sent_once(graph_server, tmp_path, store):
    from email import message_from_bytes, policy

    g = graph_server.graph
    sender = _sender(graph_server, tmp_path)
    with store.transaction() as s:
        outbox.queue(s, board="b", kind="scoping_request", dedupe_key="b:1",
                     message=message_from_bytes(_raw(), policy=policy.default), now=NOW)
    g.fault("POST /v1.0/users/", drop=True)
    assert outbox.deliver_pending(store, sender, "b", NOW) == (0, 0)
    with store.session() as s:
        assert s.scalar(select(OutboxMail.status)) == "pending"
    later = NOW + dt.timedelta(hours=1)
    assert outbox.deliver_pending(store, sender, "b", later) == (1, 0)
    with store.session() as s:
        assert s.scalar(select(OutboxMail.status)) == "sent"
    assert len(g.received()) == 1


def test_a_mime_beyond_graphs_request_limit_is_refused_before_it_goes(graph_server, tmp_path):
    big = _raw().replace(b"Please return the form.", b"x" * (3_200_000))
    with pytest.raises(SendError, match="without its attachments it is still over the 4 MB") as err:
        _sender(graph_server, tmp_path).send_raw(big, ["agency1@police.example"])
    assert err.value.permanent and graph_server.graph.count("POST", "/sendMail") == 0
    assert graph_server.graph.count("POST", "/messages") == 0


def test_a_bare_503_on_send_is_settled_in_sent_items_but_a_throttling_503_is_waited_out(graph_server, tmp_path):
    g = graph_server.graph
    sleeps: list[float] = []
    sender = _sender(graph_server, tmp_path, sleeps=sleeps)
    g.fault("/sendMail", status=503, retry_after=2)  # throttled: not done, try again after 2 s
    sender.send_raw(_raw(1), ["agency1@police.example"])
    assert sleeps == [2.0] and len(g.received()) == 1
    g.fault("/sendMail", status=503)  # no Retry-After: it may have gone
    with pytest.raises(SendError, match="answer lost"):
        sender.send_raw(_raw(2), ["agency2@police.example"])
    assert sender.notes.get("<out-2.ws-2026-0001@westsussex-scb.example>")[0] == "sending"
