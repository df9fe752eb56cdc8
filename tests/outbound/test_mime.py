"""The MIME writer against the stdlib: the same bytes, boundaries aside; and correct MIME on its own."""

from __future__ import annotations

import datetime as dt
import email
import io
import re
from email import policy
from email.generator import BytesGenerator
from email.message import EmailMessage

import pytest

from mailbot.config import load_board
from mailbot.outbound import mime
from mailbot.outbound.compose import POLICY, Composer, OutgoingAttachment, recipients_of
from tests.conftest import REPO

NOW = dt.datetime(2026, 2, 16, 9, 0, tzinfo=dt.timezone.utc)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LONG = ("Thank you for your referral. The board has received it and opened the case; we are asking "
        "every agency involved for a summary of their involvement.\n")
TEXTS = [
    "Short and plain.\n",
    "Zoë's case: a short line, not ASCII.\n",
    LONG * 3,
    "Zoë — " + LONG * 14,  # long lines, more than ten: the whole body encoded
    "é" * 200 + "\n",  # base64 beats quoted-printable
    "line\r\nwith a CR\rand a lone LF\n",
    "",
]
SUBJECTS = [
    "Referral received [WS-2026-0001]",
    "Referral received [WS-2026-0001] – WSSCB",
    "A very long subject line that goes well past the seventy-eight characters a header line should keep to",
    "Looks like =?utf-8?q?an_encoded_word?= but is not",
    "Two  spaces",
]
NAMES = ["WSSCB Mailbox <lscb@westsussex-scb.example>", "Zoë Ünal <zoe@example.org>",
         '"Smith, A." <a.smith@example.org>', "a@example.org, Dr B. Jones <b@example.org>"]
FILES = ["form.docx", "Scoping form – Sussex Police (WS-2026-0001).docx", "résumé.pdf",
         "a name with spaces.pdf", 'quote"d;name\\.pdf', "x" * 70 + ".docx", "tab\there.pdf",
         "Scoping form – Agence Française de Protection de l'Enfance et de la Jeunesse (WS-2026-0001).docx",
         *(f"{'é' * n}{'x' * (n % 7)} – n.docx" for n in range(8, 30, 3)),  # around the line-length edges
         *("y" * n + ".pdf" for n in range(24, 40))]


def _stdlib(fields: list[tuple[str, str]], text: str, html: str | None,
            attachments: list[tuple[bytes, str, str]]) -> bytes:
    """What ``Composer.build`` wrote before ``mime``: an EmailMessage flattened with CRLF."""
    msg = EmailMessage(policy=POLICY)
    for name, value in fields:
        msg[name] = value
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    for data, ctype, filename in attachments:
        maintype, _, subtype = ctype.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    out = io.BytesIO()
    BytesGenerator(out, policy=POLICY.clone(linesep="\r\n")).flatten(msg)
    return out.getvalue()


def _ours(fields: list[tuple[str, str]], text: str, html: str | None,
          attachments: list[tuple[bytes, str, str]]) -> bytes:
    return mime.write([mime.header(n, v)[0] for n, v in fields], text, html, attachments)


def _same_boundaries(raw: bytes) -> bytes:
    found = list(dict.fromkeys(re.findall(rb'boundary="([^"]+)"', raw)))
    for n, b in enumerate(found):
        raw = raw.replace(b, b"BOUNDARY-%d" % n)
    return raw


def _fields(subject: str, to: str) -> list[tuple[str, str]]:
    return [("From", "WSSCB Mailbox <lscb@westsussex-scb.example>"), ("To", to), ("Subject", subject),
            ("Date", "Mon, 16 Feb 2026 09:00:00 +0000"),
            ("Message-ID", "<20260216090000.scoping_request.af6d19a1.ws-2026-0001@westsussex-scb.example>"),
            ("In-Reply-To", "<a@b.example>"), ("References", "<c@d.example> <a@b.example>"),
            ("Auto-Submitted", "auto-generated"), ("X-Mailbot-Kind", "scoping_request")]


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("html", [None, "<p>Zoë</p>\n"])
@pytest.mark.parametrize("count", [0, 1, 2])
def test_bodies_match_the_stdlib(text: str, html: str | None, count: int) -> None:
    attachments = [(bytes(range(256)) * (40 + n), DOCX, FILES[n]) for n in range(count)]
    fields = _fields(SUBJECTS[1], NAMES[1])
    assert _same_boundaries(_ours(fields, text, html, attachments)) == \
        _same_boundaries(_stdlib(fields, text, html, attachments))


@pytest.mark.parametrize("subject", SUBJECTS)
@pytest.mark.parametrize("to", NAMES)
def test_headers_match_the_stdlib(subject: str, to: str) -> None:
    fields = _fields(subject, to) + [("Reply-To", "lscb+t1@westsussex-scb.example")]
    assert _ours(fields, "Hello.\n", None, []) == _stdlib(fields, "Hello.\n", None, [])
    for name, value in fields:
        msg = EmailMessage(policy=POLICY)
        msg[name] = value
        assert mime.header(name, value)[1] == str(msg[name])


@pytest.mark.parametrize("filename", FILES)
@pytest.mark.parametrize("ctype", [DOCX, "application/pdf"])
def test_attachments_match_the_stdlib(filename: str, ctype: str) -> None:
    attachments = [(b"%PDF-1.4 data" * 100, ctype, filename)]
    fields = _fields(SUBJECTS[0], NAMES[0])
    assert _same_boundaries(_ours(fields, "See attached.\n", None, attachments)) == \
        _same_boundaries(_stdlib(fields, "See attached.\n", None, attachments))


@pytest.mark.parametrize("length", [40, 60, 64, 65, 66, 67, 76, 77, 78, 79, 90])
def test_message_ids_of_every_length_fold_as_the_stdlib_folds_them(length: int) -> None:
    value = "<" + "a" * (length - len("<@example.org>")) + "@example.org>"
    msg = EmailMessage(policy=POLICY)
    msg["Message-ID"] = value
    assert mime.header("Message-ID", value) == (POLICY.clone(linesep="\r\n").fold_binary("Message-ID", msg["Message-ID"]),
                                                str(msg["Message-ID"]))


def test_a_header_with_a_line_break_is_refused_as_the_stdlib_refuses_it() -> None:
    with pytest.raises(ValueError):
        mime.header("Subject", "two\r\nlines that are long enough to miss the fast path of the writer here")


@pytest.fixture(scope="module")
def composer() -> Composer:
    return Composer(load_board("west-sussex", REPO / "config"))


def test_a_composed_email_round_trips_with_non_ascii_names_subject_and_filename(composer: Composer) -> None:
    data = bytes(range(256)) * 150
    msg = composer.build(
        "notices/attention", kind="notice", to=["Zoë Ünal <zoe@example.org>"], cc=["Siân Ó Briain <sian@example.org>"],
        now=NOW, case_reference="WS-2026-0001", in_reply_to="<x@example.org>",
        context={"headline": "Naïve headline – with a dash", "reason": "Because: " + "word " * 40,
                 "details": ["Agency Ω"], "ledger_id": None},
        attachments=[OutgoingAttachment("Scoping form – Agence Française (WS-2026-0001).docx", data)],
    )
    raw = msg.raw
    assert b"\n" not in raw.replace(b"\r\n", b"") and b"\r" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()  # encoded words, not raw UTF-8, in the headers
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed["To"].addresses[0].display_name == "Zoë Ünal"
    assert parsed["Cc"].addresses[0].display_name == "Siân Ó Briain"
    assert parsed["Subject"] == msg["Subject"] and "WS-2026-0001" in parsed["Subject"]
    assert parsed["Message-ID"].strip() == msg["Message-ID"]  # folded onto its own line
    assert parsed["Auto-Submitted"] == "auto-generated" and parsed["X-Mailbot-Kind"] == "notice"
    [att] = list(parsed.iter_attachments())
    assert att.get_filename() == "Scoping form – Agence Française (WS-2026-0001).docx"
    assert att.get_content() == data and att.get_content_type() == DOCX
    assert "Naïve headline – with a dash" in parsed.get_body(("plain",)).get_content()
    assert recipients_of(msg) == ["zoe@example.org", "sian@example.org"]
    assert msg.message()["Subject"] == parsed["Subject"]


def test_composer_output_matches_the_stdlib_build(composer: Composer) -> None:
    """``build`` writes what it wrote through EmailMessage: same rendering, same headers, same body."""
    data = b"PK\x03\x04" + bytes(range(256)) * 140
    att = OutgoingAttachment("Scoping form – Sussex Police (WS-2026-0001).docx", data)
    msg = composer.build("notices/attention", kind="notice", to=["Martin Kellaway <bm@example.org>"], now=NOW,
                         case_reference="WS-2026-0001", references=["<r@example.org>"], attachments=[att],
                         context={"headline": "H", "reason": "R", "details": [], "ledger_id": 7})
    subject, text, html = composer.render("notices/attention", {"case_reference": "WS-2026-0001", "headline": "H",
                                                                 "reason": "R", "details": [], "ledger_id": 7})
    assert msg["Subject"].startswith(subject)
    fields = [(name, msg[name]) for name in msg.keys()]  # noqa: SIM118 - not a dict
    expected = _stdlib(fields, text, html, [(data, DOCX, att.filename)])
    assert _same_boundaries(msg.raw) == _same_boundaries(expected)
