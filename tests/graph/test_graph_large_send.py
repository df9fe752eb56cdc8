"""Emails over Graph's 4 MB request limit: draft from our MIME, attachments uploaded, sent once."""

from __future__ import annotations

import datetime as dt
import random
from email import policy
from email.message import EmailMessage

import pytest

from mailbot.config.schema import GraphSending
from mailbot.errors import SendError
from mailbot.outbound.graph_sender import GraphSender, GraphSendNotes
from tests.graph.test_graph_mailbox import _client
from tests.graph.test_graph_sender import Clock

MID = "<pack-7.ws-2026-0042@westsussex-scb.example>"
FILES = {"scoping-form.docx": 4_500_000, "chronology.pdf": 3_200_000, "genogram.pdf": 2_000_000,
         "cover-note.txt": 300_000}


def _pack() -> tuple[bytes, dict[str, bytes]]:
    """A 10 MB scoping pack (fictional, random bytes), answering an earlier email."""
    rng = random.Random(15)
    files = {name: rng.randbytes(size) for name, size in FILES.items()}
    msg = EmailMessage()
    msg["From"] = "WSSCB Mailbox <lscb@westsussex-scb.example>"
    msg["To"] = "agency1@police.example"
    msg["Subject"] = "Scoping pack WS-2026-0042"
    msg["Message-ID"] = MID
    msg["In-Reply-To"] = "<ask-1@police.example>"
    msg["References"] = "<ask-1@police.example>"
    msg.set_content("Please find the scoping pack attached.\n")
    for name, data in files.items():
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return msg.as_bytes(policy=policy.SMTP), files


def _sender(server, tmp_path, sleeps=None, **kw) -> GraphSender:  # noqa: ANN001, ANN003
    return GraphSender(_client(server, sleeps if sleeps is not None else []),
                       notes=GraphSendNotes(tmp_path / "sending.json"), now=Clock(), **kw)


def _assert_one_intact(g, files: dict[str, bytes]) -> None:  # noqa: ANN001
    [(rcpts, msg)] = g.received()
    assert rcpts == ["agency1@police.example"]
    assert msg["Message-ID"] == MID and msg["In-Reply-To"] == "<ask-1@police.example>"
    assert msg["References"] == "<ask-1@police.example>"
    got = {p.get_filename(): p.get_content() for p in msg.iter_attachments()}
    assert got == files
    assert g.folder_ids("Drafts") == [] and len(g.folder_ids("Sent Items")) == 1


def test_a_10mb_pack_goes_as_one_message_by_draft_and_upload_sessions(graph_server, tmp_path):
    g = graph_server.graph
    raw, files = _pack()
    assert 10_000_000 < len(raw) < 35 * 2**20
    _sender(graph_server, tmp_path).send_raw(raw, ["agency1@police.example"])
    _assert_one_intact(g, files)
    assert g.count("POST", "/sendMail") == 0 and g.count("POST", "/send") == 1
    assert g.count("POST", "/createUploadSession") == 2  # the two of 3 MB or more
    assert g.count("POST", "/attachments") == 3  # and one under 3 MB as a fileAttachment
    assert g.count("PUT", "/upload/") == 3  # 4.5 MB in two chunks of 10 x 320 KiB at most, 3.2 MB in one
    assert '"accepted"' in (tmp_path / "sending.json").read_text()


def test_a_crash_while_the_draft_is_built_settles_at_once_without_a_duplicate(graph_server, tmp_path, monkeypatch):
    g = graph_server.graph
    raw, files = _pack()
    crashing = _sender(graph_server, tmp_path)
    real, calls = crashing.large.attach, []

    def attach_then_die(draft_id, item):  # noqa: ANN001, ANN202
        calls.append(item.name)
        if len(calls) == 2:
            raise SystemExit("killed")  # the process dies between two uploads
        return real(draft_id, item)

    monkeypatch.setattr(crashing.large, "attach", attach_then_die)
    with pytest.raises(SystemExit):
        crashing.send_raw(raw, ["agency1@police.example"])
    assert len(g.folder_ids("Drafts")) == 1 and g.received() == []
    restarted = _sender(graph_server, tmp_path)  # the "drafting" note is on disk: nothing was sent
    restarted.send_raw(raw, ["agency1@police.example"])
    _assert_one_intact(g, files)
    assert g.count("DELETE", "/messages/") == 1
    restarted.send_raw(raw, ["agency1@police.example"])  # offered again: already accepted
    assert len(g.received()) == 1


def test_a_crash_after_the_draft_just_before_send_waits_for_sent_items_then_sends_once(graph_server, tmp_path,
                                                                                       monkeypatch):
    g = graph_server.graph
    raw, files = _pack()
    crashing = _sender(graph_server, tmp_path)

    def killed(draft_id: str) -> None:
        raise SystemExit("killed")  # noted "sending", then dead: the send may or may not have left

    monkeypatch.setattr(crashing.large, "send_draft", killed)
    with pytest.raises(SystemExit):
        crashing.send_raw(raw, ["agency1@police.example"])
    clock = Clock()
    restarted = GraphSender(_client(graph_server, []), notes=GraphSendNotes(tmp_path / "sending.json"), now=clock)
    with pytest.raises(SendError, match="not known yet"):  # Exchange may not have filed it yet: do not resend
        restarted.send_raw(raw, ["agency1@police.example"])
    assert g.received() == [] and len(g.folder_ids("Drafts")) == 1
    clock.t += dt.timedelta(seconds=200)  # not in Sent Items after the grace: it never went
    restarted.send_raw(raw, ["agency1@police.example"])
    _assert_one_intact(g, files)
    assert g.count("DELETE", "/messages/") == 1


def test_a_lost_answer_to_the_send_is_settled_in_sent_items(graph_server, tmp_path):
    g = graph_server.graph
    raw, files = _pack()
    sender = _sender(graph_server, tmp_path)
    g.fault("/send", drop=True)  # Graph sends the draft; the answer never arrives
    with pytest.raises(SendError) as lost:
        sender.send_raw(raw, ["agency1@police.example"])
    assert not lost.value.permanent and lost.value.server_side
    sender.send_raw(raw, ["agency1@police.example"])  # the outbox's retry
    _assert_one_intact(g, files)
    assert g.count("POST", "/send") == 1


def test_an_upload_chunk_that_fails_with_503_is_sent_again(graph_server, tmp_path):
    g = graph_server.graph
    raw, files = _pack()
    sleeps: list[float] = []
    g.fault("PUT /upload/", status=503, times=2)
    _sender(graph_server, tmp_path, sleeps=sleeps).send_raw(raw, ["agency1@police.example"])
    _assert_one_intact(g, files)
    assert len(sleeps) == 2 and [s for _m, p, s in g.log if "/upload/" in p].count(503) == 2


def test_over_the_tenants_maximum_is_refused_in_one_line(graph_server, tmp_path):
    assert GraphSending(kind="graph").max_message_mb == 35  # Exchange Online's default
    raw, _files = _pack()
    with pytest.raises(SendError) as err:
        _sender(graph_server, tmp_path, max_message_bytes=8 * 2**20).send_raw(raw, ["agency1@police.example"])
    assert err.value.permanent and "\n" not in str(err.value)
    assert "maximum message size is 8 MB" in str(err.value)
    assert not any("/users/" in p for _m, p, _s in graph_server.graph.log)  # refused before any request
