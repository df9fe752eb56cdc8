"""Which transport security a mail connection may use.

Passwords and tokens must never cross a network in clear text. Plain (and,
for IMAP, STARTTLS-upgradable) connections are only accepted to the loopback
interface, where a local relay or a test server listens, unless an admin
sets ``allow_insecure`` on purpose.
"""

from __future__ import annotations

import ipaddress
from typing import Literal

Security = Literal["tls", "starttls", "plain"]
SECURITY_CHOICES: tuple[str, ...] = ("tls", "starttls", "plain")


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def insecure_reason(host: str, security: str, insecure: tuple[str, ...], allow_insecure: bool) -> str | None:
    """Why these settings are refused, or None when they are acceptable."""
    if security not in SECURITY_CHOICES:
        return f"unknown security {security!r}: use one of {', '.join(SECURITY_CHOICES)}"
    if security in insecure and not allow_insecure and not is_loopback(host):
        return (f"security {security!r} is only allowed to a loopback host "
                "(set allow_insecure to override)")
    return None
