"""Reading ``Authentication-Results`` (RFC 8601) from the board's own server only.

Any copy of the header not stamped with the board's configured authserv-id
is ignored: a sender can write whatever it likes into its own headers, so a
forged header never helps a message, and only a failure stamped by our own
server counts against one.
"""

from __future__ import annotations

import re

_METHOD = re.compile(r"\b(dkim|spf|dmarc|arc)\s*=\s*([a-z]+)", re.IGNORECASE)


def trusted_results(values: list[str], authserv_id: str | None) -> dict[str, str]:
    """``{"dkim": "pass", "spf": "fail", ...}`` from the trusted header, else ``{}``.

    Where the trusted server stamped several headers, a failure in any wins.
    """
    if not authserv_id:
        return {}
    out: dict[str, str] = {}
    for value in values:
        head = value.split(";", 1)[0].strip().split()
        if not head or head[0].lower() != authserv_id.lower():
            continue
        for method, result in _METHOD.findall(value.split(";", 1)[1] if ";" in value else ""):
            m, r = method.lower(), result.lower()
            if out.get(m) not in ("fail", "softfail"):
                out[m] = r
    return out


def failed(results: dict[str, str]) -> list[str]:
    """Methods that failed: DMARC failing, or both DKIM and SPF failing."""
    bad = [m for m in ("dmarc",) if results.get(m) == "fail"]
    if results.get("dkim") == "fail" and results.get("spf") in ("fail", "softfail"):
        bad += ["dkim", "spf"]
    return bad
