"""Sending through an SMTP server with smtplib.

One connection is kept open between messages (boards send bursts: a
scoping request goes to a dozen agencies at once) and checked with NOOP
before reuse, so a dropped connection is replaced before the message starts
rather than half-way through it — a retry after a half-sent DATA could send
the message twice. Every smtplib/socket error leaves here as a ``SendError``:
permanent for 5xx answers, transient for 4xx and connection trouble.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage

from mailbot.errors import MailboxAuthError, MailboxError, SendAuthError, SendError
from mailbot.mailbox.oauth import TokenProvider, xoauth2_string
from mailbot.mailbox.security import insecure_reason

log = logging.getLogger("mailbot.outbound")

DEFAULT_PORTS = {"tls": 465, "starttls": 587, "plain": 25}


class PartialSendError(SendError):
    """Some recipients took the message and some refused it.

    Permanent: retrying would send duplicates to those who got it.
    ``refused`` maps each refused address to its SMTP code.
    """

    def __init__(self, reason: str, refused: dict[str, int]) -> None:
        super().__init__(reason, permanent=True)
        self.refused = refused


def _is_permanent(code: int) -> bool:
    return 500 <= code < 600


class SmtpSender:
    """``Sender`` over SMTP; auth is none, password, or XOAUTH2 via a ``TokenProvider``."""

    def __init__(
        self,
        host: str,
        port: int | None = None,
        *,
        security: str = "starttls",
        username: str | None = None,
        password: str | None = None,
        token_provider: TokenProvider | None = None,
        envelope_from: str | None = None,
        timeout: float = 30.0,
        allow_insecure: bool = False,
        ssl_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
    ) -> None:
        reason = insecure_reason(host, security, ("plain",), allow_insecure)
        if reason:
            raise SendError(f"SMTP settings refused: {reason}", permanent=True)
        if (password is not None or token_provider is not None) and not username:
            raise SendError("SMTP settings refused: a username is needed to sign in", permanent=True)
        if password is not None and token_provider is not None:
            raise SendError("SMTP settings refused: give a password or a token provider, not both",
                            permanent=True)
        self.host = host
        self.port = port or DEFAULT_PORTS[security]
        self.security = security
        self.username = username
        self._password = password
        self._token_provider = token_provider
        self.envelope_from = envelope_from
        self.timeout = timeout
        self._ssl_context = ssl_context or ssl.create_default_context()
        self._local_hostname = local_hostname
        self._conn: smtplib.SMTP | None = None

    # -- connection ---------------------------------------------------------

    def _connect(self) -> smtplib.SMTP:
        conn: smtplib.SMTP
        if self.security == "tls":
            conn = smtplib.SMTP_SSL(self.host, self.port, local_hostname=self._local_hostname,
                                    timeout=self.timeout, context=self._ssl_context)
        else:
            conn = smtplib.SMTP(self.host, self.port, local_hostname=self._local_hostname,
                                timeout=self.timeout)
        try:
            conn.ehlo()
            if self.security == "starttls":
                conn.starttls(context=self._ssl_context)
                conn.ehlo()
            self._authenticate(conn)
        except BaseException:
            conn.close()
            raise
        log.debug("smtp connected to %s:%d (%s)", self.host, self.port, self.security)
        return conn

    def _authenticate(self, conn: smtplib.SMTP) -> None:
        if self.username is None:
            return
        if self._token_provider is not None:
            try:
                token = self._token_provider.get_token()
            except MailboxAuthError as err:
                raise SendAuthError(f"SMTP token refused: {err}") from err
            except MailboxError as err:
                raise SendError(f"SMTP token unavailable: {err}") from err
            user = self.username
            # First call: the initial response; later calls answer the server's
            # error challenge with an empty line, as XOAUTH2 requires.
            conn.auth("XOAUTH2", lambda challenge=None: xoauth2_string(user, token) if challenge is None else "")
        else:
            conn.login(self.username, self._password or "")

    def _connection(self) -> smtplib.SMTP:
        if self._conn is not None:
            try:
                code, _ = self._conn.noop()
                if code == 250:
                    return self._conn
            except (smtplib.SMTPException, OSError):
                pass
            self._drop()
        self._conn = self._connect()
        return self._conn

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                conn.close()

    # -- sending ------------------------------------------------------------

    def send(self, message: EmailMessage, recipients: list[str]) -> None:
        if not recipients:
            raise SendError("no recipients given", permanent=True)
        try:
            conn = self._connection()
            refused = conn.send_message(message, from_addr=self.envelope_from, to_addrs=recipients)
        except SendError:
            self._drop()
            raise
        except smtplib.SMTPAuthenticationError as err:
            self._drop()
            raise SendAuthError(f"SMTP server refused our credentials ({err.smtp_code})") from err
        except smtplib.SMTPNotSupportedError as err:
            self._drop()
            raise SendAuthError("SMTP server does not offer the configured sign-in method") from err
        except smtplib.SMTPRecipientsRefused as err:
            codes = [code for code, _ in err.recipients.values()]
            permanent = all(_is_permanent(c) for c in codes)
            raise SendError(f"all {len(codes)} recipient(s) refused ({_codes(codes)})",
                            permanent=permanent) from err
        except smtplib.SMTPResponseException as err:
            # SMTPSenderRefused, SMTPDataError, SMTPHeloError and kin
            self._drop()
            raise SendError(f"SMTP server answered {err.smtp_code} ({type(err).__name__})",
                            permanent=_is_permanent(err.smtp_code)) from err
        except (smtplib.SMTPException, OSError) as err:
            self._drop()
            raise SendError(f"SMTP server {self.host}:{self.port} unreachable ({type(err).__name__})") from err
        if refused:
            codes = {addr: code for addr, (code, _) in refused.items()}
            log.warning("smtp: %d of %d recipient(s) refused (%s)", len(codes), len(recipients),
                        _codes(list(codes.values())))
            raise PartialSendError(
                f"sent to {len(recipients) - len(codes)} of {len(recipients)} recipient(s); "
                f"{len(codes)} refused ({_codes(list(codes.values()))})",
                refused=codes,
            )
        log.info("smtp: sent to %d recipient(s) via %s", len(recipients), self.host)

    def close(self) -> None:
        self._drop()


def _codes(codes: list[int]) -> str:
    return ", ".join(str(c) for c in sorted(set(codes)))
