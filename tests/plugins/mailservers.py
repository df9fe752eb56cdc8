"""Real mail servers for tests: a throwaway Dovecot (IMAP) and an aiosmtpd SMTP server.

Both listen on 127.0.0.1 on free ports and keep everything in a temp dir.
``dovecot`` hands each test a fresh user on one session-wide server (starting
Dovecot costs far more than adding a line to its passwd-file); ``smtp_server``
is per test. A missing ``dovecot`` binary fails the test: it is never skipped.
As root Dovecot uses its package's users and the mail users are ``nobody``;
as an ordinary user everything, mail users included, is that user.
"""

from __future__ import annotations

import base64
import grp
import imaplib
import itertools
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from tests.plugins.dovecot_conf import Unprivileged, dovecot_version, render_dovecot_conf
from tests.plugins.oauth2_introspection import IntrospectionServer
from tests.plugins.ports import free_port, wait_for_port

AS_ROOT = os.geteuid() == 0
# As root the mail users are nobody (mail processes refuse to run as root);
# as an ordinary user Dovecot cannot switch users, so they are that user.
DOVECOT_UID = 65534 if AS_ROOT else os.geteuid()
DOVECOT_GID = 65534 if AS_ROOT else os.getegid()


def _unprivileged() -> Unprivileged | None:
    """Who Dovecot runs as when the tests are not root (None as root: its own users)."""
    if AS_ROOT:
        return None
    return Unprivileged(user=pwd.getpwuid(DOVECOT_UID).pw_name, group=grp.getgrgid(DOVECOT_GID).gr_name,
                        uid=DOVECOT_UID)


def _give_to_mail_user(path: Path) -> None:
    """As root, hand ``path`` to the mail user; otherwise it is already ours."""
    if AS_ROOT:
        os.chown(path, DOVECOT_UID, DOVECOT_GID)


# --------------------------------------------------------------------- Dovecot


class DovecotServer:
    """One Dovecot master process run in the foreground as our child."""

    def __init__(self, root: Path) -> None:
        binary = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)
        if binary is None:
            pytest.fail(
                "dovecot binary not found: run `apt-get install -y dovecot-imapd` "
                "(the IMAP tests need a real server and are never skipped)",
                pytrace=False,
            )
        self.binary = binary
        self.root = root
        self.host = "127.0.0.1"
        self.port = free_port()
        self.conf = root / "dovecot.conf"
        self.users_dir = root / "users"
        self.homes = root / "home"
        self._proc: subprocess.Popen[bytes] | None = None
        root.chmod(0o755)
        for sub in ("run", "state", "home", "users"):
            (root / sub).mkdir(exist_ok=True)
            (root / sub).chmod(0o755)
        self.version = dovecot_version(binary)
        # 2.4 checks XOAUTH2 tokens with an OAuth2 server; ours lives as long as this process.
        self.introspection = IntrospectionServer(self.users_dir) if self.version >= (2, 4) else None
        self.conf.write_text(render_dovecot_conf(
            self.version, root, self.port, self.introspection.url if self.introspection else "",
            run_as=_unprivileged()))

    def add_user(self, user: str, password: str) -> None:
        """One passwd-file per user: Dovecot reads a new file fresh (it caches by mtime)."""
        home = self.homes / user
        home.mkdir()
        _give_to_mail_user(home)
        entry = self.users_dir / user
        entry.write_text(f"{user}:{{PLAIN}}{password}:{DOVECOT_UID}:{DOVECOT_GID}::{home}::nodelay=yes\n")
        entry.chmod(0o644)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        if self.running:
            return
        log = open(self.root / "dovecot.stderr", "ab")
        self._proc = subprocess.Popen(
            [self.binary, "-F", "-c", str(self.conf)], stdout=log, stderr=log,
            start_new_session=True,  # its own process group, so stop() reaches every child
        )
        log.close()
        try:
            wait_for_port(self.port, up=True)
        except RuntimeError:
            self.stop()
            raise RuntimeError(f"dovecot did not start; see {self.root}/dovecot.log") from None

    def stop(self) -> None:
        """SIGTERM the whole process group: imap processes say BYE and exit at once.

        (Terminating only the master makes it wait ~10s for idling clients.)
        """
        if self._proc is None:
            return
        if self._proc.poll() is None:
            try:
                os.killpg(self._proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self._proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None
        wait_for_port(self.port, up=False)


@dataclass
class DovecotAccount:
    """What a test sees: one fresh user on the running Dovecot."""

    server: DovecotServer
    user: str
    password: str
    host: str = "127.0.0.1"
    port: int = 0

    def _connect(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4(self.host, self.port, timeout=10)
        conn.login(self.user, self.password)
        return conn

    def deliver(self, raw: bytes, folder: str = "INBOX") -> None:
        """APPEND ``raw`` to ``folder`` as the test user (folder created if missing)."""
        conn = self._connect()
        try:
            if folder.upper() != "INBOX":
                conn.create(folder)  # NO when it exists: fine
            typ, data = conn.append(folder, None, None, raw)
            assert typ == "OK", data
        finally:
            conn.logout()

    def folder_uids(self, folder: str = "INBOX") -> list[int]:
        conn = self._connect()
        try:
            typ, _ = conn.select(folder, readonly=True)
            if typ != "OK":
                return []
            typ, data = conn.uid("SEARCH", "ALL")
            return [int(x) for x in data[0].split()]
        finally:
            conn.logout()

    def flags(self, folder: str, uid: int) -> list[str]:
        conn = self._connect()
        try:
            conn.select(folder, readonly=True)
            typ, data = conn.uid("FETCH", str(uid), "(FLAGS)")
            return [f.decode() for f in imaplib.ParseFlags(data[0])]
        finally:
            conn.logout()

    def set_uidvalidity(self, value: int, folder: str = "INBOX") -> None:
        """Give ``folder`` a new UIDVALIDITY, as a server does when it rebuilds a mailbox."""
        doveadm = shutil.which("doveadm") or "/usr/bin/doveadm"
        subprocess.run(
            [doveadm, "-c", str(self.server.conf), "mailbox", "update", "-u", self.user,
             "--uid-validity", str(value), folder],
            check=True, capture_output=True, timeout=30,
        )

    def deliver_offline(self, raw: bytes) -> None:
        """Write a message straight into the INBOX Maildir, as a local MTA would while IMAP is down."""
        maildir = self.server.homes / self.user / "Maildir"
        for sub in ("tmp", "new", "cur"):
            (maildir / sub).mkdir(parents=True, exist_ok=True)
            _give_to_mail_user(maildir / sub)
        name = f"{int(time.time())}.M{time.monotonic_ns()}P{os.getpid()}.mailbot-test"
        tmp = maildir / "tmp" / name
        tmp.write_bytes(raw)
        _give_to_mail_user(tmp)
        tmp.rename(maildir / "new" / name)

    def stop(self) -> None:
        self.server.stop()

    def start(self) -> None:
        self.server.start()


_user_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def dovecot_server() -> Iterator[DovecotServer]:
    root = Path(tempfile.mkdtemp(prefix="mailbot-dovecot-"))
    server = DovecotServer(root)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def dovecot(dovecot_server: DovecotServer) -> Iterator[DovecotAccount]:
    """A fresh IMAP user on the session's Dovecot (restarted if a test stopped it)."""
    dovecot_server.start()
    n = next(_user_numbers)
    user, password = f"board{n}@lscb.example", f"secret-{n}"
    dovecot_server.add_user(user, password)
    yield DovecotAccount(server=dovecot_server, user=user, password=password,
                         host=dovecot_server.host, port=dovecot_server.port)
    dovecot_server.start()  # a test may leave it stopped


# --------------------------------------------------------------------- SMTP


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    auth_login: bytes | None


class _Collector:
    """aiosmtpd handler: stores every message; refuses RCPTs on ``refuse`` domains."""

    def __init__(self, server: "SmtpTestServer") -> None:
        self.server = server

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: ANN001
        if (self.server.users or self.server.tokens) and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001
        if address.lower() in self.server.refuse:
            return "550 5.1.1 No such user here"
        if address.lower() in self.server.defer:
            return "450 4.2.1 Mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001
        with self.server.lock:
            self.server.messages.append(
                ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content),
                             getattr(session, "login_data", None))
            )
        return "250 Message accepted"

    async def auth_XOAUTH2(self, smtp, args):  # noqa: ANN001
        """SASL XOAUTH2 as Microsoft 365 and Gmail speak it."""
        from aiosmtpd.smtp import AuthResult

        try:
            if len(args) == 2:
                data = base64.b64decode(args[1], validate=True)
            else:
                data = await smtp.challenge_auth("", encode_to_b64=False)
            text = data.decode()
            fields = dict(part.split("=", 1) for part in text.split("\x01") if part)
            user, token = fields["user"], fields["auth"].removeprefix("Bearer ")
        except Exception:
            return AuthResult(success=False, handled=False)
        ok = self.server.tokens.get(user) == token
        return AuthResult(success=ok, handled=False, auth_data=user)


class SmtpTestServer:
    """aiosmtpd Controller on 127.0.0.1 with optional AUTH; ``stop``/``start`` keep the port."""

    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = free_port()
        self.messages: list[ReceivedMail] = []
        self.lock = threading.Lock()
        self.refuse: set[str] = set()
        self.defer: set[str] = set()
        self.users: dict[str, str] = {}
        self.tokens: dict[str, str] = {}
        self._controller = None

    def require_auth(self, users: dict[str, str] | None = None, tokens: dict[str, str] | None = None) -> None:
        """Turn on AUTH (PLAIN, LOGIN, XOAUTH2); restarts the server."""
        self.users = dict(users or {})
        self.tokens = dict(tokens or {})
        self.stop()
        self.start()

    def _authenticator(self, server, session, envelope, mechanism, auth_data):  # noqa: ANN001
        from aiosmtpd.smtp import AuthResult

        login = auth_data.login.decode()
        ok = self.users.get(login) == auth_data.password.decode()
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        if self._controller is not None:
            return
        # AUTH is always offered; MAIL is refused unauthenticated once users/tokens are set.
        self._controller = Controller(
            _Collector(self), hostname=self.host, port=self.port,
            authenticator=self._authenticator, auth_require_tls=False,
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def received(self) -> list[ReceivedMail]:
        with self.lock:
            return list(self.messages)


@pytest.fixture
def smtp_server() -> Iterator[SmtpTestServer]:
    server = SmtpTestServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
