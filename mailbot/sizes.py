"""Sizes as a person reads them in a one-line reason: "25.8 MB; the limit is 25 MB".

A size is shown in MB (1,048,576 bytes) with one decimal; a limit is shown
as it was set. A size over its limit never reads as equal to it or below
it: one just over "25 MB" reads "25.1 MB", not "25.0 MB".
"""

from __future__ import annotations

import math

MB = 1024 * 1024


def size_mb(n_bytes: int, limit_bytes: int | None = None) -> str:
    """``27_053_261`` → ``"25.8 MB"``; rounded up where rounding would hide that it is over ``limit_bytes``."""
    tenths = round(n_bytes * 10 / MB)
    if limit_bytes is not None and n_bytes > limit_bytes and tenths * MB <= limit_bytes * 10:
        tenths = math.floor(limit_bytes * 10 / MB) + 1
    return f"{tenths / 10:.1f} MB"


def limit_mb(n_bytes: int) -> str:
    """A configured limit as set: ``"25 MB"``, or ``"2.5 MB"`` for a limit that is not whole MB."""
    whole, rest = divmod(n_bytes, MB)
    return f"{whole} MB" if rest == 0 else f"{n_bytes / MB:.1f} MB"


def too_large(what: str, n_bytes: int, limit_bytes: int) -> str:
    """``"the attachment is too large to read (25.8 MB; the limit is 25 MB)"``."""
    return f"{what} is too large to read ({size_mb(n_bytes, limit_bytes)}; the limit is {limit_mb(limit_bytes)})"
