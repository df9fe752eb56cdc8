"""The test Dovecot's config: read by the installed Dovecot, whichever of 2.3 and 2.4 it is."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.plugins.dovecot_conf import Unprivileged, dovecot_version, parse_dovecot_version, render_dovecot_conf
from tests.plugins.oauth2_introspection import token_owner


def test_version_is_read_from_both_debian_releases_output() -> None:
    assert parse_dovecot_version("2.3.19.1 (9b53102964)\n") == (2, 3)  # Debian 12
    assert parse_dovecot_version("2.4.1-4 (7d8c0e5759)\n") == (2, 4)  # Debian 13


def test_unreadable_or_unsupported_version_is_refused_with_the_reason(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="cannot read the Dovecot version"):
        parse_dovecot_version("dovecot: command not found")
    with pytest.raises(RuntimeError, match="Dovecot 2.2 is not supported"):
        render_dovecot_conf((2, 2), tmp_path, 1143)


def test_dovecot_24_config_starts_with_its_version() -> None:
    """2.4 refuses a config whose first setting is anything else."""
    first, second = render_dovecot_conf((2, 4), Path("/t"), 1143, "http://127.0.0.1:9/i").splitlines()[:2]
    assert first.startswith("dovecot_config_version = 2.4.")
    assert second.startswith("dovecot_storage_version = 2.4.")


def _installed_version() -> tuple[int, int]:
    return dovecot_version(shutil.which("dovecot") or "/usr/sbin/dovecot")


def _setting(conf: Path, name: str) -> str:
    """``name`` as the installed Dovecot reads it from ``conf``."""
    doveconf = shutil.which("doveconf") or "/usr/bin/doveconf"
    done = subprocess.run([doveconf, "-c", str(conf), "-h", name], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_installed_dovecot_accepts_the_config_as_a_loopback_server(tmp_path: Path) -> None:
    conf = tmp_path / "dovecot.conf"
    conf.write_text(render_dovecot_conf(_installed_version(), tmp_path, 1143, "http://127.0.0.1:9/i"))

    def setting(name: str) -> str:
        return _setting(conf, name)

    assert setting("default_login_user") == "dovenull"  # started as root: the package's own users
    assert setting("default_internal_user") == "dovecot"
    assert setting("listen") == "127.0.0.1"
    assert setting("ssl") == "no"
    assert setting("base_dir") == f"{tmp_path}/run"
    assert setting("first_valid_uid") == "1"


def test_unprivileged_config_runs_everything_as_one_user(tmp_path: Path) -> None:
    """Not root, Dovecot cannot switch users: its own processes and the mail users are all the one user."""
    conf = tmp_path / "dovecot.conf"
    conf.write_text(render_dovecot_conf(_installed_version(), tmp_path, 1143, "http://127.0.0.1:9/i",
                                        run_as=Unprivileged(user="nobody", group="nogroup", uid=65534)))
    assert _setting(conf, "default_login_user") == "nobody"
    assert _setting(conf, "default_internal_user") == "nobody"
    assert _setting(conf, "default_internal_group") == "nogroup"
    assert _setting(conf, "first_valid_uid") == "65534"  # mail users: that uid and no other
    assert _setting(conf, "last_valid_uid") == "65534"
    assert _setting(conf, "listen") == "127.0.0.1"


def test_introspection_knows_a_token_only_as_its_users_password(tmp_path: Path) -> None:
    """Dovecot 2.4's XOAUTH2 asks this; it must keep 2.3's rule (token = that user's password)."""
    (tmp_path / "a@lscb.example").write_text("a@lscb.example:{PLAIN}secret-a:65534:65534::/h/a::nodelay=yes\n")
    (tmp_path / "b@lscb.example").write_text("b@lscb.example:{PLAIN}secret-b:65534:65534::/h/b::nodelay=yes\n")
    assert token_owner(tmp_path, "secret-b") == "b@lscb.example"
    assert token_owner(tmp_path, "expired-token") is None
    assert token_owner(tmp_path, "") is None
