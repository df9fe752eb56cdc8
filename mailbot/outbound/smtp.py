"""Sending through an SMTP server with smtplib.

One connection is kept open between messages (boards send bursts: a
scoping request goes to a dozen agencies at once). The envelope (MAIL,
RCPT) and DATA are sent as separate steps so that we always know whether
the message has begun to go: a connection found dead before DATA is
replaced and the message tried again at once (nothing was handed over); a
failure from DATA on is reported as transient, and the outbox sends again
later with the same Message-ID — never a silent retry after a half-sent
DATA. ``send_raw`` sends the outbox's stored bytes as they are, without
parsing them again. Every smtplib/socket error leaves here as a
``SendError``: permanent for 5xx answers, transient for 4xx and connection
trouble.
"""

from __future__ import annotations

import copy
import io
import logging
import re
import smtplib
import ssl
from email.message import EmailMessage

from mailbot.errors import MailboxAuthError, MailboxError, SendAuthError, SendError
from mailbot.mailbox.oauth import TokenProvider, xoauth2_string
from mailbot.mailbox.security import insecure_reason
from mailbot.tls import default_context

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
        self._ssl_context = ssl_context or default_context()
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
                raise SendError(f"SMTP token unavailable: {err}", server_side=True) from err
            user = self.username
            # First call: the initial response; later calls answer the server's
            # error challenge with an empty line, as XOAUTH2 requires.
            conn.auth("XOAUTH2", lambda challenge=None: xoauth2_string(user, token) if challenge is None else "")
        else:
            conn.login(self.username, self._password or "")

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                conn.close()

    # -- sending ------------------------------------------------------------

    def send(self, message: EmailMessage, recipients: list[str]) -> None:
        """Send ``message`` (Bcc and Resent-Bcc never go on the wire)."""
        if not recipients:
            raise SendError("no recipients given", permanent=True)
        sender = self.envelope_from or header_sender(message)
        utf8 = not all(a.isascii() for a in (sender, *recipients))
        self._deliver(wire_form(message, utf8=utf8), recipients, sender)

    def send_raw(self, raw: bytes, recipients: list[str]) -> None:
        """Send bytes already in wire form (CRLF, no Bcc), as the outbox stores them.

        Nothing is parsed but the envelope sender, and only when no
        ``envelope_from`` is configured.
        """
        if not recipients:
            raise SendError("no recipients given", permanent=True)
        head = raw.split(b"\r\n\r\n", 1)[0]
        if _BCC.search(head):  # an older row: fall back to the full path, which drops Bcc
            from email import message_from_bytes, policy

            self.send(message_from_bytes(raw, policy=policy.default), recipients)  # type: ignore[arg-type]
            return
        self._deliver(raw, recipients, self.envelope_from or _header_sender(head))

    def _deliver(self, raw: bytes, recipients: list[str], mail_from: str) -> None:
        """MAIL, RCPT, DATA on the open connection (a fresh one if it went stale).

        Until DATA starts nothing has been handed over, so a connection found
        dead at MAIL or RCPT is replaced and the message tried again at once.
        From DATA on, a failure leaves the outcome unknown: it is reported as
        transient and the outbox sends again later with the same Message-ID.
        """
        international = not all(a.isascii() for a in (mail_from, *recipients))
        try:
            refused = self._envelope(mail_from, recipients, international)
            conn = self._conn
            assert conn is not None
            code, resp = _data(conn, raw)
            if code != 250:
                _end_transaction(conn, code)
                raise smtplib.SMTPDataError(code, resp)
        except smtplib.SMTPRecipientsRefused as err:
            codes = [code for code, _ in err.recipients.values()]
            raise SendError(f"all {len(codes)} recipient(s) refused ({_codes(codes)})",
                            permanent=all(_is_permanent(c) for c in codes)) from err
        except SendError:
            self._drop()
            raise
        except (smtplib.SMTPException, OSError) as err:
            self._drop()
            raise _translate(err, self.host, self.port) from err
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

    def _envelope(self, mail_from: str, recipients: list[str],
                  international: bool) -> dict[str, tuple[int, bytes]]:
        """MAIL FROM and RCPT TO; returns the refused recipients (not all of them)."""
        for attempt in (1, 2):
            reused = self._conn is not None
            if self._conn is None:
                self._conn = self._connect()
            conn = self._conn
            try:
                return _mail_and_rcpt(conn, mail_from, recipients, international)
            except (smtplib.SMTPServerDisconnected, smtplib.SMTPResponseException, OSError) as err:
                code = getattr(err, "smtp_code", None)
                stale = not isinstance(err, smtplib.SMTPResponseException) or code == 421
                if not (reused and stale and attempt == 1):
                    raise
                log.debug("smtp: connection to %s went stale (%s), reconnecting", self.host, type(err).__name__)
                self._drop()
        raise AssertionError("unreachable")

    def close(self) -> None:
        self._drop()


_BCC = re.compile(rb"(?im)^(resent-)?bcc[ \t]*:")


def header_sender(message: EmailMessage) -> str:
    """The envelope sender ``send_message`` would use: Sender, else From."""
    from email.utils import getaddresses

    addresses = getaddresses([str(v) for v in (message.get_all("Sender") or message.get_all("From") or [])])
    return addresses[0][1] if addresses else ""


def wire_form(message: EmailMessage, utf8: bool = False) -> bytes:
    """``message`` as it goes on the wire: CRLF line ends, without Bcc or Resent-Bcc."""
    from email.generator import BytesGenerator

    copied = copy.copy(message)
    del copied["Bcc"]
    del copied["Resent-Bcc"]
    out = io.BytesIO()
    BytesGenerator(out, policy=message.policy.clone(linesep="\r\n", utf8=utf8)).flatten(copied)
    return out.getvalue()


def _header_sender(head: bytes) -> str:
    from email.parser import BytesHeaderParser

    return header_sender(BytesHeaderParser().parsebytes(head + b"\r\n\r\n"))  # type: ignore[arg-type]


def _data_payload(raw: bytes) -> bytes:
    """What ``smtplib.SMTP.data`` sends for bytes: dot-stuffed, ended by CRLF "." CRLF.

    smtplib doubles a "." at the start of the message and after every LF
    with a regex over the whole message (``(?m)^\\.``: in ``re`` only LF
    starts a line); ``bytes.replace`` does the same in a fraction of the time.
    """
    q = raw.replace(b"\n.", b"\n..")
    if q[:1] == b".":
        q = b"." + q
    if q[-2:] != b"\r\n":
        q += b"\r\n"
    return q + b".\r\n"


def _data(conn: smtplib.SMTP, raw: bytes) -> tuple[int, bytes]:
    """``conn.data(raw)`` step for step (same replies, same ``SMTPDataError``), faster payload."""
    conn.putcmd("data")
    code, repl = conn.getreply()
    if code != 354:
        raise smtplib.SMTPDataError(code, repl)
    conn.send(_data_payload(raw))
    return conn.getreply()


def _reset(conn: smtplib.SMTP) -> None:
    try:
        conn.rset()
    except smtplib.SMTPServerDisconnected:
        pass


def _end_transaction(conn: smtplib.SMTP, code: int) -> None:
    """After a refusal: RSET, or close if the server said it is closing (421)."""
    if code == 421:
        conn.close()
    else:
        _reset(conn)


def _mail_and_rcpt(conn: smtplib.SMTP, mail_from: str, recipients: list[str],
                   international: bool) -> dict[str, tuple[int, bytes]]:
    """The envelope half of ``smtplib.SMTP.sendmail``, so we know DATA has not begun."""
    conn.ehlo_or_helo_if_needed()
    options: list[str] = []
    if international:
        if not conn.has_extn("smtputf8"):
            raise SendError("the SMTP server does not accept international addresses (SMTPUTF8)",
                            permanent=True)
        options = ["SMTPUTF8", "BODY=8BITMIME"]
    code, resp = conn.mail(mail_from, options)
    if code != 250:
        _end_transaction(conn, code)
        raise smtplib.SMTPSenderRefused(code, resp, mail_from)
    refused: dict[str, tuple[int, bytes]] = {}
    for rcpt in recipients:
        code, resp = conn.rcpt(rcpt)
        if code not in (250, 251):
            refused[rcpt] = (code, resp)
            if code == 421:
                conn.close()
                raise smtplib.SMTPRecipientsRefused(refused)
    if len(refused) == len(recipients):
        _reset(conn)
        raise smtplib.SMTPRecipientsRefused(refused)
    return refused


def _translate(err: smtplib.SMTPException | OSError, host: str, port: int) -> SendError:
    """An smtplib or socket error as our own ``SendError``."""
    if isinstance(err, smtplib.SMTPAuthenticationError):
        return SendAuthError(f"SMTP server refused our credentials ({err.smtp_code})")
    if isinstance(err, smtplib.SMTPNotSupportedError):
        return SendAuthError("SMTP server does not offer the configured sign-in method")
    if isinstance(err, smtplib.SMTPResponseException):  # SMTPSenderRefused, SMTPDataError and kin
        return SendError(f"SMTP server answered {err.smtp_code} ({type(err).__name__})",
                         permanent=_is_permanent(err.smtp_code))
    return SendError(f"SMTP server {host}:{port} unreachable ({type(err).__name__})", server_side=True)


def _codes(codes: list[int]) -> str:
    return ", ".join(str(c) for c in sorted(set(codes)))
