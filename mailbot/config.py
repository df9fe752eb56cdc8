"""Board configuration: one validated YAML file per board.

A board file says who is who (mailbox, Chair, sub-group chair, business
managers, admins, Ofsted, DfE, the National Panel), the agency directory,
which deadline regime and calendar apply, which form mappings read its forms
and how the mailbox and the sending server are reached. Everything that
differs between boards is here, never in code.

``load_board`` returns a :class:`Board`: the validated file plus what it
names (form mappings, calendar, deadline regime), loaded once and handed
around. ``check_config`` collects *every* problem in a file, or a folder of
files, as ``(file, key, reason)`` so an admin can fix them in one pass.
"""

from __future__ import annotations

import glob as globmod
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from mailbot.errors import ConfigError
from mailbot.resources import config_dir as default_config_dir
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
    Union[MaildirMailbox, ImapMailbox, ExchangeMailbox], Field(discriminator="kind")
]
SendingSettings = Annotated[Union[SmtpSending, MaildirSending], Field(discriminator="kind")]


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


@dataclass
class Board:
    """A loaded board: its validated config and everything the config names."""

    config: BoardConfig
    path: Path
    form_mappings: list[Any] = field(default_factory=list)
    calendar: Any = None
    regime: Any = None

    @property
    def slug(self) -> str:
        return self.config.slug

    def form_passwords(self) -> list[str]:
        return SecretRef.resolve_present(self.config.form_passwords)

    def resolve_path(self, relative: str) -> Path:
        p = Path(relative)
        return p if p.is_absolute() else (self.path.parent / p).resolve()


# --- loading -------------------------------------------------------------------


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("maildir", "imap", "exchange", "smtp") and out.endswith(("mailbox", "sending")):
            continue  # the discriminator's own name adds nothing for an admin
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _read_yaml(path: Path, problems: list[tuple[str, str, str]]) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        problems.append((str(path), "(file)", f"cannot read: {err.strerror}"))
        return None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(file)"
        problems.append((str(path), where, f"not valid YAML: {getattr(err, 'problem', err)}"))
        return None


def _validate(path: Path, data: Any, problems: list[tuple[str, str, str]]) -> BoardConfig | None:
    if not isinstance(data, dict):
        problems.append((str(path), "(top level)", "a board file must be a mapping of keys"))
        return None
    try:
        cfg = BoardConfig.model_validate(data)
    except ValidationError as err:
        for e in err.errors():
            msg = e["msg"].removeprefix("Value error, ")
            if e["type"] == "extra_forbidden":
                msg = "unknown key (check the spelling)"
            elif e["type"] == "missing":
                msg = "required key is missing"
            problems.append((str(path), _loc(e["loc"]), msg))
        return None
    base = str(path.parent)
    refs = [*cfg.form_passwords]
    for ref in refs:
        object.__setattr__(ref, "base_dir", base)
    return cfg


def _expand_forms(path: Path, patterns: list[str], problems: list[tuple[str, str, str]]) -> list[Path]:
    files: list[Path] = []
    for i, pattern in enumerate(patterns):
        if not isinstance(pattern, str):
            continue
        full = pattern if Path(pattern).is_absolute() else str(path.parent / pattern)
        matched = sorted(Path(p).resolve() for p in globmod.glob(full))
        if not matched:
            problems.append((str(path), f"forms[{i}]", f"no mapping file matches {pattern!r}"))
        files.extend(matched)
    return files


def _load_extras(path: Path, cfg: BoardConfig, problems: list[tuple[str, str, str]]) -> Board:
    board = Board(config=cfg, path=path)
    mapping_files = _expand_forms(path, cfg.forms, problems)
    if mapping_files:
        from parsers import load_mappings

        try:
            board.form_mappings = load_mappings(mapping_files)
        except ConfigError as err:
            problems.extend(err.problems or [(str(path), "forms", str(err))])
    ids = {m.id for m in board.form_mappings}
    if cfg.scoping.return_form and board.form_mappings and cfg.scoping.return_form not in ids:
        problems.append(
            (str(path), "scoping.return_form", f"no form mapping has id {cfg.scoping.return_form!r}")
        )
    if cfg.scoping.blank_form and not board.resolve_path(cfg.scoping.blank_form).is_file():
        problems.append((str(path), "scoping.blank_form", "file not found"))
    try:
        from mailbot.calendar import BoardCalendar
        from mailbot.deadlines import apply_overrides, load_regime
    except ImportError:  # pragma: no cover - during bootstrap only
        return board
    import datetime as dt

    extra: list[dt.date] = []
    for i, text in enumerate(cfg.calendar.extra_bank_holidays):
        try:
            extra.append(dt.date.fromisoformat(str(text)))
        except ValueError:
            problems.append(
                (str(path), f"calendar.extra_bank_holidays[{i}]", "not a date (use YYYY-MM-DD)")
            )
    board.calendar = BoardCalendar(region=cfg.calendar.region, extra_holidays=extra)
    try:
        regime = load_regime(cfg.deadlines.regime)
        board.regime = apply_overrides(regime, cfg.deadlines.overrides, file=str(path),
                                       key_prefix="deadlines.overrides")
    except ConfigError as err:
        for file, key, reason in err.problems or [("", "regime", str(err))]:
            if not file or file.startswith("<"):  # a regime name that does not resolve
                file, key = str(path), f"deadlines.{key}"
            problems.append((file, key, reason))
    return board


def _board_path(name_or_path: str | Path, config_dir: Path | None) -> Path:
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") or p.exists():
        return p.resolve()
    folder = (config_dir or default_config_dir()) / "boards"
    candidate = folder / f"{name_or_path}.yaml"
    if not candidate.is_file():
        known = sorted(x.stem for x in folder.glob("*.yaml")) if folder.is_dir() else []
        raise ConfigError(
            f"no board {str(name_or_path)!r} in {folder}"
            + (f" (known: {', '.join(known)})" if known else "")
        )
    return candidate.resolve()


def load_board(name_or_path: str | Path, config_dir: Path | None = None) -> Board:
    """Load one board by slug (from the config folder) or by file path.

    Raises ``ConfigError`` listing every problem found.
    """
    path = _board_path(name_or_path, config_dir)
    problems: list[tuple[str, str, str]] = []
    data = _read_yaml(path, problems)
    cfg = _validate(path, data, problems) if data is not None else None
    board = _load_extras(path, cfg, problems) if cfg else None
    if cfg is None and isinstance(data, dict) and isinstance(data.get("forms"), list):
        _expand_forms(path, data["forms"], problems)  # report these too, in the same pass
    if problems or board is None:
        raise ConfigError(f"{path}: {len(problems)} problem(s) in board config", problems)
    return board


def load_boards(config_dir: Path | None = None) -> list[Board]:
    """Every board in ``<config dir>/boards``; a problem in any fails them all."""
    folder = (config_dir or default_config_dir()) / "boards"
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise ConfigError(f"no board files (*.yaml) in {folder}")
    problems: list[tuple[str, str, str]] = []
    boards: list[Board] = []
    for f in files:
        try:
            boards.append(load_board(f))
        except ConfigError as err:
            problems.extend(err.problems)
    slugs = [b.slug for b in boards]
    for s in {s for s in slugs if slugs.count(s) > 1}:
        problems.append((str(folder), "slug", f"two board files use the slug {s!r}"))
    if problems:
        raise ConfigError(f"{len(problems)} problem(s) in board config", problems)
    return boards


def check_config(path: Path | None = None) -> list[tuple[str, str, str]]:
    """Every problem in a board file, or in every board file of a folder."""
    target = path or (default_config_dir() / "boards")
    if target.is_dir():
        boards_dir = target / "boards" if (target / "boards").is_dir() else target
        files = sorted(boards_dir.glob("*.yaml"))
        if not files:
            return [(str(boards_dir), "(folder)", "no board files (*.yaml) found")]
    elif target.exists():
        files = [target]
    else:
        return [(str(target), "(file)", "not found")]
    problems: list[tuple[str, str, str]] = []
    for f in files:
        try:
            load_board(f)
        except ConfigError as err:
            problems.extend(err.problems or [(str(f), "(file)", str(err))])
    return problems
