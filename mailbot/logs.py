"""Logging set-up, with a last line of defence for personal data.

mailbot's code logs ids, kinds, counts and agency names, never a child's or
family member's details. As a safety net every record passes a filter that
masks anything shaped like an email address, a phone number or a date in
the message and its arguments before any handler sees it.
"""

from __future__ import annotations

import logging
import re
import sys

_PATTERNS = [
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "<address>"),
    (re.compile(r"\b0\d{2,4}[ )]*\d{3}[ ]?\d{3,4}\b"), "<phone>"),
    (re.compile(r"\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b"), "<date>"),
]


def redact(text: str) -> str:
    for pattern, mask in _PATTERNS:
        text = pattern.sub(mask, text)
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not crash logging
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info:
            # Exception texts may quote input: keep only the type name.
            record.exc_text = f"{record.exc_info[0].__name__ if record.exc_info[0] else 'Exception'}"
            record.exc_info = None
        return True


def setup_logging(level: str = "INFO", stream=sys.stderr) -> None:  # noqa: ANN001
    root = logging.getLogger()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root.handlers[:] = [handler]
    # Libraries log protocol traffic and document text at DEBUG (imapclient
    # logs whole commands): only mailbot's own loggers go below WARNING.
    root.setLevel(logging.WARNING)
    logging.getLogger("mailbot").setLevel(level)
