"""Loading board files: the YAML read, validated, and what it names loaded with it.

Every problem in a file (bad YAML, a wrong key, a mapping file that is not
there, a deadline regime that does not resolve) is collected as
``(file, key, reason)`` and raised together in one ``ConfigError``, so an
admin fixes them all in one pass.
"""

from __future__ import annotations

import datetime as dt
import glob as globmod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from mailbot.calendar import BoardCalendar
from mailbot.config.schema import BoardConfig
from mailbot.deadlines import apply_overrides, load_regime
from mailbot.errors import ConfigError
from mailbot.resources import config_dir as default_config_dir
from mailbot.resources import resolve_config_path
from mailbot.secrets import SecretRef
from parsers import load_mappings


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
        return resolve_config_path(relative, self.path)


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
    try:  # libyaml's loader where installed: a region's 150 board files load in a fraction of the time
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - a safe loader
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
    credential = getattr(cfg.mailbox, "credential", None)  # Graph: a key file beside the board file
    if credential is not None:
        refs += [r for r in (credential.secret, credential.certificate) if r is not None]
    notifications = getattr(cfg.mailbox, "notifications", None)
    if notifications is not None:
        refs.append(notifications.client_state)
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


#: Form mappings already read, by their files (path, size, modification time): a region's
#: boards that share mapping files have them parsed once, and an edited file is read again.
_MAPPINGS: dict[tuple, list[Any]] = {}


def _mappings(files: list[Path]) -> list[Any]:
    key = tuple((str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files)
    if key not in _MAPPINGS:
        _MAPPINGS[key] = load_mappings(files)
    return list(_MAPPINGS[key])


def _load_extras(path: Path, cfg: BoardConfig, problems: list[tuple[str, str, str]]) -> Board:
    board = Board(config=cfg, path=path)
    mapping_files = _expand_forms(path, cfg.forms, problems)
    if mapping_files:
        try:
            board.form_mappings = _mappings(mapping_files)
        except ConfigError as err:
            problems.extend(err.problems or [(str(path), "forms", str(err))])
    ids = {m.id for m in board.form_mappings}
    if cfg.scoping.return_form and board.form_mappings and cfg.scoping.return_form not in ids:
        problems.append(
            (str(path), "scoping.return_form", f"no form mapping has id {cfg.scoping.return_form!r}")
        )
    if cfg.scoping.blank_form and not board.resolve_path(cfg.scoping.blank_form).is_file():
        problems.append((str(path), "scoping.blank_form", "file not found"))
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
