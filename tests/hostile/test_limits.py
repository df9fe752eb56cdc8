"""The mail reader's costs stay linear: each case here once took minutes (found by fuzzing).

The reply parser's ``On … wrote:`` pattern, ``^\\s*`` patterns that cross
lines, ``.*?`` searches for a closing tag that never comes, one ``get_all``
per distinct header name, and a duplicate check over every References id
were all quadratic or worse in what a sender controls.
"""

from __future__ import annotations

import time

import pytest

from mailbot.inbound.message import MAX_THREAD_IDS, html_to_text, new_text, read_message

HEAD = b"From: a@police.sussex.example\r\nTo: lscb@westsussex-scb.example\r\nSubject: x\r\n"


def _fast(call, seconds: float = 2.0):  # noqa: ANN001, ANN202
    started = time.perf_counter()
    result = call()
    assert time.perf_counter() - started < seconds
    return result


@pytest.mark.parametrize("text", [
    "On Mon, 1 Jan 2026, X wrote:" * 1200,   # one 32 KB line of reply headers (was 48 s)
    "\n" * 200_000 + "x",                     # blank lines (was minutes)
    " \n" * 100_000 + "x",
    "On " * 12_000,
    "-" * 100_000,
])
def test_new_text_is_linear(text):
    assert isinstance(_fast(lambda: new_text(text)), str)


@pytest.mark.parametrize("html", ["<script>" * 60_000, "<a" * 60_000, "<div " * 60_000, "<br" * 60_000])
def test_html_to_text_is_linear(html):
    assert isinstance(_fast(lambda: html_to_text(html)), str)


def test_many_distinct_headers_are_read_in_one_pass():
    raw = HEAD + b"".join(b"X-H%d: v\r\n" % i for i in range(8_000)) + b"\r\nbody"
    msg = _fast(lambda: read_message(raw), 4.0)
    assert msg.header("x-h7999") == "v" and msg.from_addr == "a@police.sussex.example"


def test_threading_ids_are_capped():
    refs = b" ".join(b"<%d@x.example>" % i for i in range(10_000))
    msg = _fast(lambda: read_message(HEAD + b"References: " + refs + b"\r\nIn-Reply-To: <a@x.example>\r\n\r\nhi"))
    assert len(msg.thread_ids) == MAX_THREAD_IDS
    assert msg.thread_ids[:2] == ["<a@x.example>", "<9999@x.example>"]  # nearest first


def test_html_replies_still_lose_their_quoted_history():
    html = ('<html><head><style>p{}</style></head><body><p>APPROVE</p><br>'
            '<div id="divRplyFwdMsg"><b>From:</b> mailbot</div><p>old text</p></body></html>')
    assert new_text(html_to_text(html)) == "APPROVE"
