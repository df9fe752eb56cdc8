"""The board file's schema: what each key may hold, checked by pydantic.

Every model is strict (an unknown key is an error, so a misspelling is
caught at start), and the checks that span keys (one address per role, no
agency name used twice) live on :class:`BoardConfig`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mailbot.secrets import SecretRef

_EMAIL = re.compile(r"^[^@\s<>]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_DOMAIN = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _email(value: str) -> str:
    value = value.strip()
    if not _EMAIL.match(value):
        raise ValueError(f"not an email address: {value!r}")
    return value.lower()


class Person(_Strict):
    name: str
    email: str
    role: str | None = None

    @field_validator("email")
    @classmethod
    def _check_email(cls, v: str) -> str:
        return _email(v)

    def formatted(self) -> str:
        from email.utils import formataddr

        return formataddr((self.name, self.email))


class Agency(_Strict):
    """One entry of the agency directory."""

    name: str
    #: Names forms use for this agency ("Police", "CSC", …).
    aliases: list[str] = Field(default_factory=list)
    #: Mail domains whose senders count as this agency (exact match only).
    domains: list[str] = Field(default_factory=list)
    #: Individual addresses that count as this agency (besides the contacts).
    addresses: list[str] = Field(default_factory=list)
    scoping_contacts: list[Person] = Field(min_length=1)
    senior_manager: Person | None = None
    #: Asked for a scoping return on every case, named on the referral or not.
    standing: bool = False

    @field_validator("domains")
    @classmethod
    def _domains(cls, values: list[str]) -> list[str]:
        for v in values:
            if not _DOMAIN.match(v.strip()):
                raise ValueError(f"not a mail domain: {v!r}")
        return [v.strip().lower() for v in values]

    @field_validator("addresses")
    @classmethod
    def _addresses(cls, values: list[str]) -> list[str]:
        return [_email(v) for v in values]


class OAuth(_Strict):
    """Microsoft 365 app-only sign-in (client credentials)."""

    tenant_id: str
    client_id: str
    client_secret: SecretRef
    token_cache: str | None = None
    scopes: list[str] = Field(default_factory=list)


class MaildirMailbox(_Strict):
    kind: Literal["maildir"] = "maildir"
    #: Defaults to ``<data dir>/mail/<board>/inbox``.
    path: str | None = None


class ImapMailbox(_Strict):
    kind: Literal["imap"]
    host: str
    port: int | None = None
    username: str
    password: SecretRef | None = None
    oauth: OAuth | None = None
    security: Literal["tls", "starttls", "plain"] = "tls"
    inbox: str = "INBOX"
    processed_folder: str = "processed"
    attention_folder: str = "needs-attention"
    idle: bool = True
    poll_seconds: int = Field(default=60, ge=5)

    @model_validator(mode="after")
    def _one_credential(self) -> "ImapMailbox":
        if (self.password is None) == (self.oauth is None):
            raise ValueError("give exactly one of 'password' or 'oauth'")
        return self


class ExchangeMailbox(_Strict):
    kind: Literal["exchange"]
    service_endpoint: str
    username: str
    password: SecretRef
    primary_smtp_address: str
    poll_seconds: int = Field(default=60, ge=5)


class GraphCredential(_Strict):
    """The Entra app's credential: a client secret, or a certificate (PEM: private key and certificate)."""

    secret: SecretRef | None = None
    certificate: SecretRef | None = None

    @model_validator(mode="after")
    def _one(self) -> "GraphCredential":
        if (self.secret is None) == (self.certificate is None):
            raise ValueError("give exactly one of 'secret' or 'certificate'")
        return self


class GraphNotifications(_Strict):
    """Change notifications: Graph posts to ``public_url`` (HTTPS, a reverse proxy to ``listen``)."""

    public_url: str
    #: host:port the daemon listens on for the proxy (loopback unless the proxy is elsewhere).
    listen: str = "127.0.0.1:8765"
    #: A random string Graph sends back with every notification (at least 32 characters).
    client_state: SecretRef

    @field_validator("public_url")
    @classmethod
    def _https_only(cls, v: str) -> str:
        if not v.startswith("https://"):
            raise ValueError("Graph only posts to an https:// address")
        return v

    @field_validator("listen")
    @classmethod
    def _host_port(cls, v: str) -> str:
        host, _, port = v.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError("listen must be host:port, e.g. 127.0.0.1:8765")
        return v


class GraphMailbox(_Strict):
    """Microsoft 365 over Microsoft Graph, app-only (see docs/microsoft-365.md)."""

    kind: Literal["graph"]
    tenant: str
    client_id: str
    credential: GraphCredential
    #: The board mailbox (its address or object id).
    user: str
    processed_folder: str = "processed"
    attention_folder: str = "needs-attention"
    #: ``inbox``: the folders are the Inbox's subfolders; ``msgfolderroot``: top level (as IMAP made them).
    folders_under: Literal["inbox", "msgfolderroot"] = "inbox"
    #: Optional: wake at once on new mail (needs a public HTTPS address; see docs/microsoft-365.md).
    notifications: GraphNotifications | None = None
    poll_seconds: float = Field(default=5.0, ge=1, le=300)
    #: National clouds only (e.g. https://graph.microsoft.us/v1.0, https://login.microsoftonline.us).
    endpoint: str = "https://graph.microsoft.com/v1.0"
    authority_host: str = "https://login.microsoftonline.com"
    token_cache: str | None = None

    @field_validator("endpoint", "authority_host")
    @classmethod
    def _https(cls, v: str) -> str:
        from urllib.parse import urlsplit

        from mailbot.mailbox.security import is_loopback

        parts = urlsplit(v)
        if parts.scheme != "https" and not (parts.scheme == "http" and is_loopback(parts.hostname or "")):
            raise ValueError("must be an https:// URL")
        return v.rstrip("/")


class GraphSending(_Strict):
    """Send with Graph ``sendMail`` as the board mailbox; the mailbox's Graph settings are used."""

    kind: Literal["graph"]
    #: The tenant's maximum message size (Exchange Online: 35 MB by default, up to 150 MB if raised).
    max_message_mb: float = Field(default=35, gt=0, le=150)


class SmtpSending(_Strict):
    kind: Literal["smtp"]
    host: str
    port: int | None = None
    security: Literal["tls", "starttls", "plain"] = "starttls"
    username: str | None = None
    password: SecretRef | None = None
    oauth: OAuth | None = None


class MaildirSending(_Strict):
    """Writes outgoing mail to a Maildir instead of sending it (demo, dry runs)."""

    kind: Literal["maildir"] = "maildir"
    path: str | None = None


MailboxSettings = Annotated[
    Union[MaildirMailbox, ImapMailbox, ExchangeMailbox, GraphMailbox], Field(discriminator="kind")
]
SendingSettings = Annotated[Union[SmtpSending, MaildirSending, GraphSending], Field(discriminator="kind")]


class Recipients(_Strict):
    """Where statutory notifications go."""

    ofsted: Person
    dfe: Person
    national_panel: Person


class Deadlines(_Strict):
    regime: str = "wt2015"
    #: Per-board changes to the regime (see docs/configuration.md).
    overrides: dict[str, Any] = Field(default_factory=dict)


class Calendar(_Strict):
    region: Literal["england", "wales"] = "england"
    extra_bank_holidays: list[str] = Field(default_factory=list)


class Scoping(_Strict):
    #: Id of the form mapping agencies return (e.g. ``west-sussex/summary-of-involvement``).
    return_form: str | None = None
    #: The blank form attached to scoping requests (relative to the board file).
    blank_form: str | None = None


class Approvals(_Strict):
    expiry_days: int = Field(default=7, ge=1, le=60)
    #: Put the token in the Reply-To address (``mailbox+TOKEN@domain``).
    plus_addressing: bool = False


class Digest(_Strict):
    enabled: bool = True
    #: Local (Europe/London) time on working days.
    time: str = "08:00"

    @field_validator("time")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", v):
            raise ValueError("time must be HH:MM (24 hour)")
        return v


class Alerts(_Strict):
    mailbox_unreachable_minutes: int = Field(default=15, ge=1)


class BoardConfig(_Strict):
    slug: str
    name: str
    short_name: str
    reference_prefix: str = Field(pattern=r"^[A-Z]{2,5}$")
    mailbox_address: Person
    chair: Person
    subgroup_chair: Person
    business_managers: list[Person] = Field(min_length=1)
    #: Who the scoping pack goes to; empty: the sub-group chair. The business
    #: managers are always copied.
    pack_recipients: list[Person] = Field(default_factory=list)
    #: Who the updated pack goes to once a review's stage-2 returns are in; empty: as the pack.
    review_panel: list[Person] = Field(default_factory=list)
    admins: list[Person] = Field(default_factory=list)
    notify: Recipients
    agencies: list[Agency] = Field(min_length=1)
    deadlines: Deadlines = Field(default_factory=Deadlines)
    calendar: Calendar = Field(default_factory=Calendar)
    #: Form mapping files, globs relative to this file.
    forms: list[str] = Field(default_factory=list)
    scoping: Scoping = Field(default_factory=Scoping)
    form_passwords: list[SecretRef] = Field(default_factory=list)
    #: authserv-id of the board's own receiving server (only its
    #: Authentication-Results header is trusted).
    authserv_id: str | None = None
    mailbox: MailboxSettings = Field(default_factory=MaildirMailbox)
    sending: SendingSettings = Field(default_factory=MaildirSending)
    approvals: Approvals = Field(default_factory=Approvals)
    digest: Digest = Field(default_factory=Digest)
    alerts: Alerts = Field(default_factory=Alerts)
    #: A folder of templates that replace the shipped ones for this board.
    templates: str | None = None

    @field_validator("slug")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not _SLUG.match(v):
            raise ValueError("slug must be lower-case words joined by '-', e.g. west-sussex")
        return v

    @model_validator(mode="after")
    def _graph_sending_needs_graph_mailbox(self) -> "BoardConfig":
        if isinstance(self.sending, GraphSending) and not isinstance(self.mailbox, GraphMailbox):
            raise ValueError("sending kind 'graph' needs mailbox kind 'graph' (it signs in with its settings)")
        return self

    @model_validator(mode="after")
    def _directory_consistent(self) -> "BoardConfig":
        seen: dict[str, str] = {}
        for agency in self.agencies:
            for name in [agency.name, *agency.aliases]:
                key = normalise_name(name)
                if key in seen and seen[key] != agency.name:
                    raise ValueError(
                        f"agency name or alias {name!r} is used by both "
                        f"{seen[key]!r} and {agency.name!r}"
                    )
                seen[key] = agency.name
        return self


def normalise_name(name: str) -> str:
    """Agency names compare without case, punctuation or extra spaces."""
    return " ".join(re.sub(r"[^a-z0-9&]+", " ", name.lower().replace("’", "'")).split())
