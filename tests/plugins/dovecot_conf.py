"""The throwaway Dovecot's config, written for the Dovecot that is installed.

Debian 12 ships Dovecot 2.3, Debian 13 ships 2.4, and 2.4 refuses 2.3's
config outright ("The first setting must be dovecot_config_version"). The
server must behave the same on both, so one function renders both dialects
from one list of settings; only the spellings that 2.4 renamed differ:

====================================  =========================================
2.3                                   2.4
====================================  =========================================
(none)                                ``dovecot_config_version`` first, then
                                      ``dovecot_storage_version``
``disable_plaintext_auth = no``       ``auth_allow_cleartext = yes``
``mail_location = maildir:~/Maildir`` ``mail_driver = maildir``,
                                      ``mail_path = ~/Maildir``
``passdb { driver = passwd-file       ``passdb passwd-file { passwd_file_path``
args = scheme=PLAIN … path/%u }``     ``= path/%{user}`` and
                                      ``passdb_default_password_scheme }``
``inet_listener { address = … }``     ``inet_listener { listen = … }``
XOAUTH2 token checked by the passdb   ``oauth2_introspection_url``: asked of
(as a password)                       a loopback endpoint that keeps 2.3's rule
====================================  =========================================

What the server is: IMAP on 127.0.0.1 only, on the port given, no SSL,
plaintext login allowed (loopback only), one passwd-file per user under
``root/users`` (users with an unprivileged uid and a home under
``root/home``, Maildir in it), run/state/log all under ``root``. Started as
root it uses the package's own ``dovenull``/``dovecot`` users; started as an
ordinary user (``run_as``) everything runs as that user, as Dovecot's
"rootless" setup does: the login and internal users are that user (the
master cannot chown ``run/login`` to ``dovenull``), the mail users share its
uid (``first_valid_uid``/``last_valid_uid`` admit only it), no chroot. Capabilities
(IDLE, MOVE, UIDPLUS, CONDSTORE, QRESYNC) are Dovecot's defaults in both.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

# The 2.4 syntax we write is 2.4.0's; every 2.4.x reads it (with 2.4.0's defaults).
CONFIG_VERSION_24 = "2.4.0"


def dovecot_version(binary: str) -> tuple[int, int]:
    """(major, minor) of the Dovecot at ``binary``, asked with ``dovecot --version``."""
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30).stdout
    return parse_dovecot_version(out)


def parse_dovecot_version(text: str) -> tuple[int, int]:
    """(major, minor) from ``dovecot --version`` output: "2.3.19.1 (9b53102964)", "2.4.1-4 (7d8c0e5759)"."""
    match = re.match(r"\s*(\d+)\.(\d+)", text)
    if match is None:
        raise RuntimeError(f"cannot read the Dovecot version from `dovecot --version`: {text.strip()!r}")
    return int(match.group(1)), int(match.group(2))


@dataclass(frozen=True)
class Unprivileged:
    """The ordinary user a non-root test run starts Dovecot as (it cannot switch users)."""

    user: str
    group: str
    uid: int


def render_dovecot_conf(version: tuple[int, int], root: Path, port: int, introspection_url: str = "",
                        run_as: Unprivileged | None = None) -> str:
    """dovecot.conf for a loopback IMAP server on ``port`` keeping everything under ``root``.

    ``introspection_url``: 2.4 only, where XOAUTH2 tokens are checked
    (tests/plugins/oauth2_introspection.py); 2.3 checks them against the passdb.
    ``run_as``: None when started as root (the config is then exactly the
    root one); otherwise every process runs as that user.
    """
    if version[:2] not in ((2, 3), (2, 4)):
        raise RuntimeError(f"Dovecot {version[0]}.{version[1]} is not supported by the test config (2.3 or 2.4)")
    v24 = version[:2] == (2, 4)
    if v24 and not introspection_url:
        raise RuntimeError("Dovecot 2.4's XOAUTH2 needs an OAuth2 introspection URL")
    users = f"{root}/users/%{{user}}" if v24 else f"{root}/users/%u"
    lines: list[str] = []
    if v24:  # must come first
        lines += [f"dovecot_config_version = {CONFIG_VERSION_24}",
                  f"dovecot_storage_version = {CONFIG_VERSION_24}"]
    lines += [
        f"base_dir = {root}/run",
        f"state_dir = {root}/state",
        f"log_path = {root}/dovecot.log",
        f"info_log_path = {root}/dovecot.log",
        "listen = 127.0.0.1",
        "protocols = imap",
        "ssl = no",
        "auth_allow_cleartext = yes" if v24 else "disable_plaintext_auth = no",
        "auth_mechanisms = plain login xoauth2",
        "auth_failure_delay = 0",
        "login_trusted_networks = 127.0.0.0/8",
        *(_users_as_root() if run_as is None else _users_as(run_as)),
        *(["mail_driver = maildir", "mail_path = ~/Maildir"] if v24 else ["mail_location = maildir:~/Maildir"]),
        "shutdown_clients = yes",
        "imap_idle_notify_interval = 1 mins",
    ]
    if v24:
        lines += [
            "oauth2_introspection_mode = auth",
            f"oauth2_introspection_url = {introspection_url}",
            "oauth2_username_attribute = email",
            "oauth2_active_attribute = active",
            "oauth2_active_value = true",
            "oauth2_force_introspection = yes",
        ]
    if v24:
        lines += [
            "passdb passwd-file {",
            "  passdb_default_password_scheme = PLAIN",
            f"  passwd_file_path = {users}",
            "}",
            "userdb passwd-file {",
            f"  passwd_file_path = {users}",
            "}",
        ]
    else:
        lines += [
            "passdb {",
            "  driver = passwd-file",
            f"  args = scheme=PLAIN username_format=%u {users}",
            "}",
            "userdb {",
            "  driver = passwd-file",
            f"  args = username_format=%u {users}",
            "}",
        ]
    # `chroot =` on a line of its own: Dovecot refuses `{ chroot = }` on one line.
    lines += [
        "service imap-login {",
        "  chroot =",
        "  inet_listener imap {",
        f"    {'listen' if v24 else 'address'} = 127.0.0.1",
        f"    port = {port}",
        "  }",
        "  inet_listener imaps {",
        "    port = 0",
        "  }",
        "}",
        "service anvil {",
        "  chroot =",
        "}",
    ]
    return "\n".join(lines) + "\n"


def _users_as_root() -> list[str]:
    """Root switches to the package's users; mail users are any uid but root's."""
    return ["default_login_user = dovenull",
            "default_internal_user = dovecot",
            "default_internal_group = dovecot",
            "first_valid_uid = 1"]


def _users_as(run_as: Unprivileged) -> list[str]:
    """Without root there is one user: Dovecot's own processes and the mail users are all it."""
    return [f"default_login_user = {run_as.user}",
            f"default_internal_user = {run_as.user}",
            f"default_internal_group = {run_as.group}",
            f"first_valid_uid = {run_as.uid}",
            f"last_valid_uid = {run_as.uid}"]
