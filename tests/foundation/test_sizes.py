"""Size reasons read as a person expects: one decimal for the size, the limit as set."""

from __future__ import annotations

import pytest

from mailbot.errors import ParseError
from mailbot.sizes import MB, limit_mb, size_mb, too_large
from parsers.safety import Limits, check_size


def test_a_25_8_mb_form_is_refused_with_its_size_and_the_limit_as_set():
    with pytest.raises(ParseError) as err:
        check_size(b"x" * round(25.8 * MB))
    assert str(err.value) == "the attachment is too large to read (25.8 MB; the limit is 25 MB)"


@pytest.mark.parametrize(("size", "limit", "shown"), [
    (25 * MB + 4, 25 * MB, "25.1 MB"),  # just over: never "25.0 MB" against a 25 MB limit
    (round(25.04 * MB), 25 * MB, "25.1 MB"),
    (round(25.06 * MB), 25 * MB, "25.1 MB"),
    (round(26.44 * MB), 25 * MB, "26.4 MB"),
    (round(2.53 * MB), int(2.5 * MB), "2.6 MB"),
    (100 * MB, None, "100.0 MB"),
])
def test_sizes_read_with_one_decimal_and_over_the_limit_never_read_as_within_it(size, limit, shown):
    assert size_mb(size, limit) == shown


def test_limits_are_named_as_set():
    assert limit_mb(25 * MB) == "25 MB"
    assert limit_mb(int(2.5 * MB)) == "2.5 MB"
    assert too_large("the message", 101 * MB, 100 * MB) == \
        "the message is too large to read (101.0 MB; the limit is 100 MB)"


def test_a_smaller_configured_limit_is_named_in_the_reason():
    with pytest.raises(ParseError) as err:
        check_size(b"x" * (3 * MB), Limits(max_file_bytes=2 * MB))
    assert "(3.0 MB; the limit is 2 MB)" in str(err.value)
