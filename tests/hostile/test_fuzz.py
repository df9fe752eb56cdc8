"""Fuzzing the mail and form parsers: any bytes in, a reading or a one-line refusal out, quickly.

Hypothesis builds malformed MIME trees (bad and missing boundaries, bogus
charsets and transfer encodings, hostile file names, forwarded messages),
mutates the real sample emails and forms (Word, password-protected Word,
PDF) byte by byte and part by part, and floods the text helpers with the
characters their patterns care about.
Whatever comes in, the readers must return or refuse with their own error
(``MailProblem``, ``ParseError``) and a one-line reason, never raise
anything else, and stay fast; the intake must file every message.

The suite runs a fixed, derandomised set of examples within a budget of
about 15 seconds (``EXAMPLES`` below). For a longer hunt set
``MAILBOT_FUZZ_SCALE`` (e.g. 20) and ``MAILBOT_FUZZ_SEED`` (any integer, a
new random set).
"""

from __future__ import annotations

import io
import json
import os
import random
import time
import zipfile

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from mailbot.errors import ParseError
from mailbot.inbound.message import (
    MAX_THREAD_IDS,
    MailProblem,
    html_to_text,
    new_text,
    read_message,
)
from tests.conftest import SAMPLES

#: A failing example can be large; Hypothesis warning that its repr is large must not hide the failure.
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")
SCALE = float(os.environ.get("MAILBOT_FUZZ_SCALE", "1"))
SEED = os.environ.get("MAILBOT_FUZZ_SEED")
#: Examples per test in the normal suite (about 15 s in all on a laptop).
EXAMPLES = {"mime": 150, "mutated_mail": 120, "text": 120, "docx": 30, "pdf": 8, "intake": 20}


def fuzz(name: str):  # noqa: ANN201 - a hypothesis settings decorator
    def wrap(test):  # noqa: ANN001, ANN202
        test = settings(max_examples=max(1, int(EXAMPLES[name] * SCALE)), deadline=None, database=None,
                        derandomize=SEED is None, print_blob=True,
                        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                               HealthCheck.large_base_example])(test)
        return seed(int(SEED))(test) if SEED is not None else test
    return wrap


def one_line(reason: str) -> bool:
    return bool(reason) and "\n" not in reason and "Traceback" not in reason and len(reason) <= 300


# --- MIME trees -------------------------------------------------------------------------

TOKENS = st.sampled_from([
    b"", b" ", b"\r\n", b"\n", b"\r\n ", b"=?utf-8?b?", b"=?utf-8?q?", b"?=", b"=?x-bogus?q?a?=", b"=?utf-8?b?!!?=",
    b"\xff\xfe", b"\xc3\x28", b"\x00", b"\"", b"<", b">", b"@", b";", b",", b"(", b")", b"\\", b"=", b"--",
    b"%00", b"../", b"/etc/passwd", b"CON", b"\xe2\x80\xae", b"public.protection.reviews@police.sussex.example",
    b"x@attacker.example", b"boundary=", b"charset=", b"name=", b"filename*=utf-8''", b"a" * 300,
])
SOUP = st.lists(st.one_of(TOKENS, st.binary(max_size=12)), max_size=12).map(b"".join)
CTYPES = st.sampled_from([b"text/plain", b"text/html", b"application/octet-stream", b"application/pdf",
                          b"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                          b"application/ms-tnef", b"application/vnd.ms-outlook", b"message/delivery-status",
                          b"text/rfc822-headers", b"image/png", b"x-bogus/x", b""])
CTES = st.sampled_from([b"7bit", b"8bit", b"base64", b"quoted-printable", b"binary", b"x-uuencode", b"", b"base64 x"])
CHARSETS = st.sampled_from([b"utf-8", b"iso-8859-1", b"windows-1252", b"utf-16", b"x-unknown", b"", b'"utf-8'])
BODIES = st.one_of(SOUP, st.binary(max_size=300), st.sampled_from([
    b"PK\x03\x04" + b"\x00" * 40, b"%PDF-1.7\n", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64,
    b"\x78\x9f\x3e\x22\x01\x00", b"=ZZ=\r\n=", b"!!!not base64!!!", b"<html><script>" * 20,
]))


@st.composite
def leaf(draw) -> bytes:  # noqa: ANN001
    head = b"Content-Type: " + draw(CTYPES) + b"; charset=" + draw(CHARSETS)
    if draw(st.booleans()):
        head += b"; name=\"" + draw(SOUP) + b"\""
    head += b"\r\nContent-Transfer-Encoding: " + draw(CTES) + b"\r\n"
    if draw(st.booleans()):
        head += b"Content-Disposition: " + draw(st.sampled_from([b"attachment", b"inline", b""])) + (
            b"; filename=\"" + draw(SOUP) + b"\"\r\n")
    return head + b"\r\n" + draw(BODIES)


def multipart(children: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    @st.composite
    def build(draw) -> bytes:  # noqa: ANN001
        boundary = draw(st.sampled_from([b"b1", b"=_x", b"", b"\"q\"", b"--", b"a b"]) | SOUP)
        declared = boundary if draw(st.integers(0, 4)) else draw(st.sampled_from([b"other", b""]))
        parts = draw(st.lists(children, max_size=4))
        body = b"".join(b"--" + boundary + b"\r\n" + p + b"\r\n" for p in parts)
        if draw(st.booleans()):
            body += b"--" + boundary + b"--\r\n"
        subtype = draw(st.sampled_from([b"mixed", b"alternative", b"related", b"report; report-type=delivery-status",
                                        b"signed", b"x-bogus"]))
        return b"Content-Type: multipart/" + subtype + b"; boundary=\"" + declared + b"\"\r\n\r\n" + body
    return build()


def forwarded(children: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    return children.map(lambda inner: b"Content-Type: message/rfc822\r\n\r\nFrom: x@y.example\r\nSubject: fw\r\n"
                        + inner)


PARTS = st.recursive(leaf(), lambda inner: st.one_of(multipart(inner), forwarded(inner)), max_leaves=10)
FROMS = st.sampled_from([b"DS Ruth Calloway <public.protection.reviews@police.sussex.example>",
                         b"chair@westsussex-scb.example", b"MAILER-DAEMON@mx.westsussex-scb.example",
                         b"=?utf-8?q?x=40police.sussex.example?=", b"a@b.example, c@d.example", b"<>", b""]) | SOUP


@st.composite
def messages(draw) -> bytes:  # noqa: ANN001
    headers = [b"From: " + draw(FROMS), b"To: lscb@westsussex-scb.example", b"Subject: " + draw(SOUP),
               b"Message-ID: <" + draw(SOUP) + b">"]
    for name in draw(st.lists(st.sampled_from([b"In-Reply-To", b"References", b"Authentication-Results",
                                               b"Auto-Submitted", b"Reply-To", b"Sender", b"List-Id",
                                               b"MIME-Version", b"X-" + b"y" * 50]), max_size=6)):
        headers.append(name + b": " + draw(SOUP))
    return b"\r\n".join(headers) + b"\r\n" + draw(PARTS)


def check_message(raw: bytes) -> None:
    started = time.perf_counter()
    try:
        msg = read_message(raw)
    except MailProblem as err:
        assert one_line(str(err))
        return
    assert isinstance(msg.subject, str) and isinstance(msg.new_text, str) and isinstance(msg.text, str)
    assert msg.from_addr == "" or (msg.from_addr.isascii() and msg.from_addr.count("@") == 1)
    assert len(msg.thread_ids) <= MAX_THREAD_IDS and len(msg.attachments) <= 51
    assert all(a.problem is None or one_line(a.problem) for a in msg.attachments)
    assert all("/" not in a.filename and "\x00" not in a.filename for a in msg.attachments)
    assert time.perf_counter() - started < 5


@fuzz("mime")
@given(messages())
def test_malformed_mime_is_read_or_refused_with_a_reason(raw):
    check_message(raw)


SAMPLE_MAIL = [p.read_bytes() for p in sorted((SAMPLES / "emails").glob("*.eml"))]


@st.composite
def mutated(draw, corpus: list[bytes]) -> bytes:  # noqa: ANN001
    data = bytearray(draw(st.sampled_from(corpus)))
    for _ in range(draw(st.integers(1, 8))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(["flip", "cut", "insert", "repeat", "truncate"]))
        if op == "flip":
            data[at] ^= draw(st.integers(1, 255))
        elif op == "cut":
            del data[at: at + draw(st.integers(1, 400))]
        elif op == "insert":
            data[at:at] = draw(TOKENS | st.binary(min_size=1, max_size=40))
        elif op == "repeat":
            chunk = bytes(data[at: at + draw(st.integers(1, 60))])
            data[at:at] = chunk * draw(st.integers(1, 30))
        else:
            del data[at:]
    return bytes(data)


@fuzz("mutated_mail")
@given(mutated(SAMPLE_MAIL))
def test_mutated_sample_mail_is_read_or_refused_with_a_reason(raw):
    check_message(raw)


# --- the text helpers: linear whatever the text ---------------------------------------------

TEXT_BITS = st.sampled_from(["\n", " ", "\t", "\r", ">", "> ", "-", "--", "_", "<", "</", "<script", "<div ",
                             "id=\"divRplyFwdMsg\"", "<br", "<hr", "From: x", "Sent: y", "Sent from my iPhone",
                             "-----Original Message-----", "On Mon, 1 Jan 2026, X wrote:", "APPROVE", "a", "é"])


@fuzz("text")
@given(st.lists(TEXT_BITS, min_size=1, max_size=6), st.integers(2_000, 40_000), st.integers(0, 2**32))
def test_text_helpers_stay_fast_on_adversarial_text(alphabet, length, stream):
    rng = random.Random(stream)  # a plain generator: drawing 40,000 choices through Hypothesis is slow
    text = "".join(rng.choices(alphabet, k=length))
    started = time.perf_counter()
    assert isinstance(new_text(text), str) and isinstance(new_text(html_to_text(text)), str)
    assert time.perf_counter() - started < 2


# --- form parsers ---------------------------------------------------------------------------

SAMPLE_DOCX = [p.read_bytes() for p in sorted(SAMPLES.glob("forms/*/*/*.docx")) if "protected" not in p.name][:6]
SAMPLE_PDF = [p.read_bytes() for p in sorted(SAMPLES.glob("forms/*/*/*.pdf"))]
PROTECTED = sorted(SAMPLES.glob("forms/*/*/*-protected.docx"))
SAMPLE_PROTECTED = [p.read_bytes() for p in PROTECTED]
PASSWORDS = [json.loads(p.with_name(p.name + ".expected.json").read_text("utf-8"))["_password"] for p in PROTECTED]
XML_BITS = st.sampled_from([b"<w:tbl>", b"</w:tbl>", b"<w:tr>", b"<w:tc>", b"</w:tc>", b"<w:p>", b"</w:p>",
                            b"<w:t>", b"</w:t>", b"<w:fldChar w:fldCharType=\"begin\"/>", b"<!DOCTYPE x>",
                            b"<!ENTITY a \"b\">", b"&a;", b"&#0;", b"\x00", b"\xff", b"<w:gridSpan w:val=\"99999\"/>",
                            b"<w:vMerge/>", b"<w:sdt>", b"<w:checkBox><w:checked/></w:checkBox>", b"]]>"])


@st.composite
def mutated_docx(draw) -> bytes:  # noqa: ANN001
    src = zipfile.ZipFile(io.BytesIO(draw(st.sampled_from(SAMPLE_DOCX))))
    out = io.BytesIO()
    target = draw(st.sampled_from(["word/document.xml", "[Content_Types].xml", "_rels/.rels",
                                   "word/_rels/document.xml.rels"]))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            blob = src.read(info)
            if info.filename == target:
                blob = bytearray(blob)
                for _ in range(draw(st.integers(1, 6))):
                    at = draw(st.integers(0, len(blob)))
                    if draw(st.booleans()):
                        blob[at:at] = draw(XML_BITS | st.binary(min_size=1, max_size=20))
                    else:
                        del blob[at: at + draw(st.integers(1, 200))]
                blob = bytes(blob)
            if info.filename != target or draw(st.integers(0, 9)) != 0:  # sometimes the part goes
                z.writestr(info, blob)
    return out.getvalue()


def check_form(data: bytes, name: str) -> None:
    from parsers import parse_document
    from tests.parsers.helpers import all_mappings

    started = time.perf_counter()
    try:
        parse_document(data, name, board="west-sussex", mappings=all_mappings(), passwords=PASSWORDS)
    except ParseError as err:
        assert one_line(str(err)) and err.kind
    assert time.perf_counter() - started < 10


@fuzz("docx")
@given(st.one_of(mutated_docx(), mutated(SAMPLE_DOCX), mutated(SAMPLE_PROTECTED)))
def test_damaged_word_forms_are_read_or_refused_with_a_reason(data):
    check_form(data, "form.docx")


@fuzz("pdf")
@given(mutated(SAMPLE_PDF))
def test_damaged_pdf_forms_are_read_or_refused_with_a_reason(data):
    check_form(data, "form.pdf")


# --- the intake: every fuzzed message is filed ------------------------------------------------


def test_the_intake_files_every_fuzzed_message(maildir_runtime):
    from sqlalchemy import select

    from mailbot.inbound.pipeline import handle_message
    from mailbot.mailbox.base import Folder, IncomingMessage, MailRef
    from mailbot.store.models import MessageSeen

    rt = maildir_runtime
    seen: list[str] = []

    @fuzz("intake")
    @given(st.one_of(messages(), mutated(SAMPLE_MAIL)))
    def handle(raw: bytes) -> None:
        uid = f"fuzz-{len(seen)}"
        folder = handle_message(rt, IncomingMessage(MailRef("maildir", "INBOX", uid), raw))
        assert folder in (Folder.PROCESSED, Folder.NEEDS_ATTENTION)
        seen.append(uid)

    handle()
    with rt.store.session() as s:
        rows = s.scalars(select(MessageSeen)).all()
    assert rows and all(r.kind != "error" for r in rows)  # no message fell through to the catch-all
    assert all(r.outcome == "processed" or (r.reason and one_line(r.reason)) for r in rows)
