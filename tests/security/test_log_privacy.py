"""No child's or family member's personal data in any log, whatever the log level.

Runs the whole sample flow through ``mailbot demo`` (every sample email, the
Chair's approval by reply, twelve working days of chasing, escalations,
draft reminders and daily digests) with every logger in the process at
DEBUG, mailbot's and every library's, and no encryption key (so nothing is
hidden by it). Two views are searched for every personal value the samples
hold (see ``personal.py``): each record as it was logged, before any
redaction, and the text the real log set-up writes.

This supersedes the smaller check in ``tests/flow/test_logs_privacy.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging

import pytest

from mailbot.logs import setup_logging
from mailbot.settings import KEY_ENV, KEY_FILE_ENV
from tests.conftest import SAMPLES
from tests.security.personal import found_in, personal_values


class _Capture(logging.Handler):
    """Every record, as logged: message, arguments and exception, unredacted."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.loggers: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string: keep what there is
            message = f"{record.msg} {record.args!r}"
        extra = logging.Formatter().formatException(record.exc_info) if record.exc_info else ""
        self.lines.append(f"{record.name} {message} {extra}")
        self.loggers.add(record.name)


@pytest.fixture(scope="module")
def logged_flow(tmp_path_factory):  # noqa: ANN201
    import parsers.pdf_reader  # noqa: F401 - its loggers exist before every logger is set to DEBUG
    from mailbot.commands import demo

    stream = io.StringIO()
    capture = _Capture()
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    levels = {name: lg.level for name, lg in logging.root.manager.loggerDict.items()
              if isinstance(lg, logging.Logger)}
    setup_logging("DEBUG", stream=stream)  # the real set-up: its handler and redaction filter
    root.handlers.insert(0, capture)  # first, so it sees each record before the filter masks it
    root.setLevel(logging.DEBUG)
    for lg in logging.root.manager.loggerDict.values():
        if isinstance(lg, logging.Logger):
            lg.setLevel(logging.NOTSET)  # every library logger too, down to DEBUG
    workspace = tmp_path_factory.mktemp("logged") / "demo"
    try:
        with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(io.StringIO()):
            mp.delenv(KEY_ENV, raising=False)
            mp.delenv(KEY_FILE_ENV, raising=False)
            args = argparse.Namespace(workspace=str(workspace), samples=str(SAMPLES), days=12,
                                      config_dir=None, database_url=None)
            assert demo.run(args) == 0
    finally:
        root.setLevel(saved[0])
        root.handlers[:] = saved[1]
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
    return capture, stream.getvalue(), workspace


def test_every_logger_at_debug_logs_no_personal_data(logged_flow):
    capture, _written, _workspace = logged_flow
    # The flow did run and log, in mailbot and in the libraries it uses.
    assert {"mailbot.inbound", "mailbot.outbound", "sqlalchemy.engine.Engine"} <= capture.loggers
    assert any(name.startswith("pdfminer") for name in capture.loggers)
    assert len(capture.lines) > 1000
    assert found_in("\n".join(capture.lines)) == []


def test_the_written_log_holds_no_personal_data(logged_flow):
    _capture, written, _workspace = logged_flow
    assert "mailbot.inbound" in written and "message " in written
    assert found_in(written) == []


def test_the_values_searched_for_were_really_handled(logged_flow):
    """A check that cannot fail is no check: the flow's own database holds these values."""
    _capture, _written, workspace = logged_flow
    db = b"\n".join(p.read_bytes() for p in workspace.glob("mailbot.db*")).decode("latin-1")
    handled = found_in(db)
    assert {"Olivia Jessop", "Chloe Oakley", "137 Coopers Yard"} <= set(handled)
    assert len(handled) >= 20 and len(personal_values()) > 200


def _pdf_quoting(text: bytes) -> bytes:
    """A one-page PDF whose content stream misuses a text string as a font size."""
    content = b"BT /F1 (" + text + b") Tf 72 700 Td (Hello) Tj ET"
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
             b"/Resources << /Font << /F1 5 0 R >> >> >>"),
            b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = b"%PDF-1.4\n", []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)


def test_a_damaged_pdf_quoting_a_childs_name_keeps_it_out_of_the_real_log():
    """pdfminer's warnings quote the document ("b'Olivia Jessop' is an invalid float value")."""
    from mailbot.errors import ParseError
    from parsers import parse_document
    from tests.parsers.helpers import all_mappings

    root = logging.getLogger()
    saved = (root.level, list(root.handlers), logging.getLogger("mailbot").level)
    stream = io.StringIO()
    setup_logging("DEBUG", stream=stream)
    try:
        with pytest.raises(ParseError):
            parse_document(_pdf_quoting(b"Olivia Jessop"), "referral.pdf", board="west-sussex",
                           mappings=all_mappings())
    finally:
        root.setLevel(saved[0])
        root.handlers[:] = saved[1]
        logging.getLogger("mailbot").setLevel(saved[2])
    assert found_in(stream.getvalue(), frozenset({"Olivia Jessop"})) == []
