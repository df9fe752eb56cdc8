"""The outbound fast paths send and write exactly what the libraries' own paths do.

``SmtpSender`` builds DATA's payload with ``bytes.replace`` instead of
smtplib's regex; ``DocumentTemplate`` skips docxtpl's ``resolve_listing``
when the body has no tab or break for it to rewrite. Each is compared with
the library's own result, byte for byte.
"""

from __future__ import annotations

import io
import smtplib
import zipfile
from pathlib import Path

import docx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailbot.outbound import smtp as smtp_module
from mailbot.outbound.compose import DocumentTemplate
from mailbot.outbound.smtp import SmtpSender, _data, _data_payload
from tests.conftest import REPO

pytestmark = pytest.mark.timeout(60)

HEAD = b"From: board@lscb.example\r\nTo: scoping@health.example\r\nSubject: dots\r\n\r\n"
MESSAGES = [
    b"",
    b".",
    b".\r\n",
    b"..\r\n",
    b".starts with a dot\r\nsecond line\r\n",
    HEAD + b"line\r\n.\r\n..two\r\n.three\r\nlast",  # a lone "." line, stuffed and unstuffed ones
    HEAD + b"no final line end",
    HEAD + b"ends in CR\r",
    HEAD + b"ends in LF\n",
    HEAD + b"bare LF\n.dot after it\n..\r\n",
    HEAD + b"bare CR\r.dot after it\r\n",
    HEAD + b"\r\n.\r\n\r\n.\r\n",
    HEAD + b"\xff\x00 binary .\r\n.\xff\r\n",
]


def _smtplib_payload(raw: bytes) -> bytes:
    """What ``smtplib.SMTP.data`` sends for bytes (its own steps)."""
    q = smtplib._quote_periods(raw)
    if q[-2:] != smtplib.bCRLF:
        q = q + smtplib.bCRLF
    return q + b"." + smtplib.bCRLF


@pytest.mark.parametrize("raw", MESSAGES)
def test_payload_is_smtplibs(raw: bytes) -> None:
    assert _data_payload(raw) == _smtplib_payload(raw)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([b".", b"..", b"\r\n", b"\n", b"\r", b"x", b" ", b"\r\n."]), max_size=30)
       .map(b"".join) | st.binary(max_size=200))
def test_payload_is_smtplibs_for_any_bytes(raw: bytes) -> None:
    assert _data_payload(raw) == _smtplib_payload(raw)


def test_payload_of_a_real_outgoing_message() -> None:
    from mailbot.outbound.mime import write

    form = (REPO / "templates/documents/letter.docx").read_bytes()
    raw = write([b"From: a@lscb.example\r\n", b"Subject: x\r\n"], ".\nA line.\n.. and more\n" * 50, "<p>.</p>",
                [(form, "application/octet-stream", "letter.docx")])
    assert b"\r\n." in raw
    assert _data_payload(raw) == _smtplib_payload(raw)


class _Scripted(smtplib.SMTP):
    """An unconnected SMTP whose replies are scripted and whose output is recorded."""

    def __init__(self, replies: list[tuple[int, bytes]]) -> None:
        super().__init__()
        self.replies = list(replies)
        self.calls: list[tuple[str, object]] = []

    def putcmd(self, cmd, args=""):
        self.calls.append(("putcmd", (cmd, args)))

    def getreply(self):
        self.calls.append(("getreply", None))
        return self.replies.pop(0)

    def send(self, s):
        self.calls.append(("send", s))


def _outcome(call, conn: _Scripted):
    try:
        result = call()
    except smtplib.SMTPDataError as err:
        result = ("SMTPDataError", err.smtp_code, err.smtp_error)
    return result, conn.calls


@pytest.mark.parametrize("replies", [
    [(354, b"go ahead"), (250, b"queued")],
    [(354, b"go ahead"), (554, b"rejected")],
    [(354, b"go ahead"), (451, b"try later")],
    [(554, b"no DATA for you"), (250, b"unused")],
    [(451, b"busy"), (250, b"unused")],
])
def test_data_takes_smtplibs_steps(replies: list[tuple[int, bytes]]) -> None:
    raw = MESSAGES[5]
    theirs, ours = _Scripted(replies), _Scripted(replies)
    assert _outcome(lambda: _data(ours, raw), ours) == _outcome(lambda: theirs.data(raw), theirs)


@pytest.mark.parametrize("raw", [MESSAGES[5], MESSAGES[6], HEAD + b".\r\n..\r\n.x\r\n", b".x\r\n" + HEAD])
def test_the_server_receives_what_smtplib_delivers(smtp_server, monkeypatch, raw: bytes) -> None:
    sent: list[bytes] = []
    original = smtplib.SMTP.send
    monkeypatch.setattr(smtplib.SMTP, "send", lambda self, s: (sent.append(s), original(self, s))[1])
    sender = SmtpSender(smtp_server.host, smtp_server.port, security="plain", timeout=10,
                        envelope_from="board@lscb.example")
    try:
        sender.send_raw(raw, ["scoping@health.example"])
    finally:
        sender.close()
    assert _smtplib_payload(raw) in sent  # on the wire, byte for byte
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as conn:
        conn.sendmail("board@lscb.example", ["scoping@health.example"], raw)  # smtplib's own DATA
    ours, theirs = smtp_server.received()
    assert ours.raw == theirs.raw
    assert (ours.mail_from, ours.rcpt_tos) == (theirs.mail_from, theirs.rcpt_tos)


def test_the_sender_uses_the_fast_data(smtp_server, monkeypatch) -> None:
    monkeypatch.setattr(smtplib.SMTP, "data", lambda *a: pytest.fail("smtplib's data() was used"))
    calls: list[bytes] = []
    monkeypatch.setattr(smtp_module, "_data_payload", lambda raw: calls.append(raw) or _smtplib_payload(raw))
    sender = SmtpSender(smtp_server.host, smtp_server.port, security="plain", timeout=10)
    try:
        sender.send_raw(MESSAGES[5], ["scoping@health.example"])
    finally:
        sender.close()
    assert calls == [MESSAGES[5]] and len(smtp_server.received()) == 1


# ------------------------------------------------------------- Word templates

def _template(tmp_path: Path) -> bytes:
    document = docx.Document()
    document.add_paragraph("Child: {{ name }}")
    run = document.add_paragraph().add_run("Address: {{ address }}")
    run.bold = True
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Notes"
    table.rows[0].cells[1].text = "{{ notes }}"
    path = tmp_path / "template.docx"
    document.save(path)
    return path.read_bytes()


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


PLAIN = {"name": "Tom O'Neil & <Sam>", "address": "Flat 2", "notes": "none"}
LISTINGS = [
    {"name": "Tom\tO'Neil", "address": "Flat 2\n3 Rear Road\nExampletown", "notes": "a\fb"},
    {"name": "Tom", "address": "Flat 2\r\nRear Road", "notes": "one\aother"},
    {"name": "\n", "address": "\t", "notes": "\n\t\a\f"},
]


@pytest.mark.parametrize("autoescape", [False, True])
@pytest.mark.parametrize("context", [PLAIN, *LISTINGS])
def test_fast_render_is_docxtpls(tmp_path: Path, autoescape: bool, context: dict) -> None:
    tpl = DocumentTemplate(_template(tmp_path), autoescape=autoescape)
    tpl.render(PLAIN)  # docxtpl's render; sets up the fast path
    assert tpl._fast is not None
    fast, own = _parts(tpl.render(context)), _parts(tpl._docxtpl(context))
    assert fast == own


def test_line_breaks_and_tabs_still_become_word_markup(tmp_path: Path) -> None:
    tpl = DocumentTemplate(_template(tmp_path))
    tpl.render(PLAIN)
    body = _parts(tpl.render(LISTINGS[0]))["word/document.xml"]
    assert body.count(b"<w:br/>") == 2 and b"<w:tab/>" in body and b'w:type="page"' in body
    assert b"\n3 Rear Road" not in body
    text = [p.text for p in docx.Document(io.BytesIO(tpl.render(LISTINGS[0]))).paragraphs]
    assert "Address: Flat 2\n3 Rear Road\nExampletown" in text and "Child: Tom\tO'Neil" in text


def test_resolve_listing_is_skipped_only_when_it_has_nothing_to_do(tmp_path: Path, monkeypatch) -> None:
    from docxtpl import DocxTemplate

    tpl = DocumentTemplate(_template(tmp_path))
    tpl.render(PLAIN)
    real, seen = DocxTemplate.resolve_listing, []
    monkeypatch.setattr(DocxTemplate, "resolve_listing", lambda self, xml: seen.append(xml) or real(self, xml))
    tpl.render(PLAIN)
    assert seen == []
    tpl.render(LISTINGS[0])
    assert len(seen) == 1


def test_a_shipped_form_renders_as_docxtpl_does() -> None:
    data = (REPO / "templates/documents/west-sussex/summary-of-involvement.docx").read_bytes()
    tpl = DocumentTemplate(data, autoescape=True)
    context = {"board_name": "West Sussex Safeguarding Children Board", "case_reference": "WS-2026-0042",
               "agency": "Smith & Jones <Health>", "child_name": "Tom O'Neil", "child_dob": "04/03/2015",
               "child_address": "Flat 2\nRear Road", "due": "02/03/2026", "due_long": "Monday 2 March 2026",
               "incident_date": "01/02/2026", "board_short": "WSSCB", "mailbox": "lscb@example.org"}
    tpl.render({**context, "child_address": "Flat 2"})
    assert tpl._fast is not None
    for ctx in (context, {**context, "child_address": "Flat 2"}):
        assert _parts(tpl.render(ctx)) == _parts(tpl._docxtpl(ctx))
