"""Attachments wherever mail clients put them; the type is decided by content."""

from __future__ import annotations

import email
import struct
from email import policy
from email.message import EmailMessage

from mailbot.inbound.attachments import MAX_ATTACHMENTS, safe_filename
from mailbot.inbound.message import read_message
from tests.conftest import SAMPLES

DOCX = (SAMPLES / "forms/west-sussex/summary-of-involvement/summary-01.docx").read_bytes()
PDF = (SAMPLES / "forms/west-sussex/summary-of-involvement/summary-02.pdf").read_bytes()


def _base() -> EmailMessage:
    m = EmailMessage()
    m["From"] = "a@police.sussex.example"
    m["To"] = "lscb@westsussex-scb.example"
    m["Subject"] = "form"
    m.set_content("see attached")
    return m


def test_inline_octet_stream_and_wrong_extension():
    m = _base()
    m.add_attachment(DOCX, maintype="application", subtype="octet-stream", filename="form.pdf")
    m.add_attachment(PDF, maintype="application", subtype="pdf", filename="return", disposition="inline")
    atts = read_message(bytes(m)).attachments
    assert [(a.filename, a.declared_type, a.data) for a in atts] == [
        ("form.pdf", "application/octet-stream", DOCX), ("return", "application/pdf", PDF)]
    from parsers import sniff_type

    assert sniff_type(atts[0].data, atts[0].filename) == "docx"  # content, not label
    assert sniff_type(atts[1].data, atts[1].filename) == "pdf"


def test_forwarded_message_is_opened():
    inner = _base()
    inner.add_attachment(DOCX, maintype="application", subtype="vnd.openxmlformats-officedocument.wordprocessingml.document", filename="referral.docx")
    outer = _base()
    outer.add_attachment(inner)  # message/rfc822
    atts = read_message(bytes(outer)).attachments
    assert [(a.filename, a.via) for a in atts] == [("referral.docx", "forwarded")]
    assert atts[0].data == DOCX


def _tnef(filename: str, data: bytes) -> bytes:
    """A minimal winmail.dat with one attachment (TNEF attributes by hand)."""
    def attr(level: int, ident: int, payload: bytes) -> bytes:
        return bytes([level]) + struct.pack("<I", ident) + struct.pack("<I", len(payload)) + payload + struct.pack("<H", sum(payload) & 0xFFFF)
    out = struct.pack("<I", 0x223E9F78) + struct.pack("<H", 1)
    out += attr(1, 0x00089006, b"\x01\x00\x00\x00")  # attLevel message: attTnefVersion-ish placeholder
    out += attr(2, 0x00069002, b"\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")  # attAttachRenddata
    out += attr(2, 0x00018010, filename.encode() + b"\x00")  # attAttachTitle
    out += attr(2, 0x0006800F, data)  # attAttachData
    return out


def test_winmail_dat_is_unpacked():
    m = _base()
    m.add_attachment(_tnef("return.docx", DOCX), maintype="application", subtype="ms-tnef", filename="winmail.dat")
    atts = read_message(bytes(m)).attachments
    assert [(a.filename, a.via, a.data == DOCX) for a in atts] == [("return.docx", "tnef", True)]


def test_damaged_winmail_dat_is_a_problem_not_a_crash():
    m = _base()
    m.add_attachment(b"\x78\x9f\x3e\x22garbage", maintype="application", subtype="ms-tnef", filename="winmail.dat")
    atts = read_message(bytes(m)).attachments
    # Either refused with a reason, or simply nothing to take out: never raw garbage as a "form".
    assert all(a.problem == "a winmail.dat attachment could not be unpacked" for a in atts)


def test_too_many_attachments_is_reported_once():
    m = _base()
    for i in range(MAX_ATTACHMENTS + 5):
        m.add_attachment(b"x", maintype="application", subtype="octet-stream", filename=f"f{i}.bin")
    atts = read_message(bytes(m)).attachments
    assert len(atts) == MAX_ATTACHMENTS + 1
    assert atts[-1].problem and "more than" in atts[-1].problem


def test_path_tricks_in_file_names():
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\Users\\x\\form.docx") == "form.docx"
    assert safe_filename("a\x00b\r\n.docx") == "ab.docx"
    assert safe_filename("..") == "attachment"
    assert len(safe_filename("x" * 500 + ".docx")) <= 120


def test_latin1_body_and_encoded_subject_decode():
    raw = (SAMPLES / "emails/05-scoping-return-latin1.eml").read_bytes()
    msg = read_message(raw)
    assert "WS-2026-0001" in msg.subject and "=?" not in msg.subject
    assert "\ufffd" not in msg.text


def test_mislabelled_form_is_read_by_content(maildir_runtime):
    from mailbot.inbound.pipeline import read_forms

    m = _base()
    m.add_attachment(DOCX, maintype="application", subtype="pdf", filename="Summary.pdf")
    [form] = read_forms(maildir_runtime.board, read_message(bytes(m)), [])
    assert form.error is None and form.record.form == "west-sussex/summary-of-involvement"


def test_outlook_msg_attachment_is_opened():
    from tests.inbound.outlook_msg import build_msg

    m = _base()
    carried = build_msg("FW: return", "see the attached form", [("return.docx", DOCX), ("chronology.pdf", PDF)])
    m.add_attachment(carried, maintype="application", subtype="vnd.ms-outlook", filename="Scoping return.msg")
    atts = read_message(bytes(m)).attachments
    assert [(a.filename, a.via, a.problem) for a in atts] == [
        ("return.docx", "msg", None), ("chronology.pdf", "msg", None)]
    assert atts[0].data == DOCX and atts[1].data == PDF


def test_damaged_outlook_msg_is_a_problem_not_a_crash():
    from tests.inbound.outlook_msg import build_msg

    m = _base()
    carried = build_msg("FW: return", "see attached", [("return.docx", DOCX)])
    m.add_attachment(carried[:1536], maintype="application", subtype="octet-stream", filename="return.msg")
    (att,) = read_message(bytes(m)).attachments
    assert att.problem == "an attached Outlook message could not be opened"
    assert att.filename == "return.msg"
