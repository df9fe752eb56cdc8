"""Finding, loading and validating regime files, and applying a board's overrides."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Mapping

import yaml
from pydantic import (
    Field,
    ValidationError,
)

from mailbot.deadlines.regime import Regime
from mailbot.deadlines.rules import (
    AppliesWhen,
    ChaseCadence,
    Decision,
    EventDecl,
    Offset,
    RagThresholds,
    Slug,
    StrictModel,
)
from mailbot.errors import ConfigError

#: Where regime files live: the repo's config, then the copy inside a wheel.
REGIME_DIRS: tuple[Path, ...] = (
    Path(__file__).resolve().parents[2] / "config" / "regimes",
    Path(__file__).resolve().parents[1] / "_bundled" / "config" / "regimes",
)


# --- loading and overriding ----------------------------------------------------


def available_regimes() -> list[str]:
    found = {p.stem for d in REGIME_DIRS if d.is_dir() for p in d.glob("*.yaml")}
    return sorted(found)


def _find_regime_file(name_or_path: str | Path) -> Path:
    text = str(name_or_path)
    if text.endswith((".yaml", ".yml")) or "/" in text or "\\" in text:
        path = Path(text)
        if not path.is_file():
            raise ConfigError(f"regime file {text} not found", [(text, "(file)", "file not found")])
        return path
    for directory in REGIME_DIRS:
        candidate = directory / f"{text}.yaml"
        if candidate.is_file():
            return candidate
    known = ", ".join(available_regimes()) or "none installed"
    reason = f"no regime called {text!r} (known: {known})"
    raise ConfigError(reason, [("", "regime", reason)])


_PARSED: dict[tuple, Any] = {}


def _parsed(path: Path) -> Any:
    """The regime file's YAML, parsed once per version of the file (every board of a region names one of two).

    A deep copy each time: whoever builds a regime from it may change what it is given.
    """
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _PARSED:
        _PARSED[key] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return copy.deepcopy(_PARSED[key])


def load_regime(name_or_path: str | Path) -> Regime:
    """Load a regime by name (``wt2015``) or from a YAML file path.

    Raises ``ConfigError`` whose ``problems`` list every (file, key, reason).
    """
    path = _find_regime_file(name_or_path)
    try:
        data = _parsed(path)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        reason = " ".join(str(err).split())
        raise ConfigError(f"{path}: {reason}", [(str(path), "(file)", reason)]) from err
    if not isinstance(data, dict):
        reason = "the file must be a mapping"
        raise ConfigError(f"{path}: {reason}", [(str(path), "(file)", reason)])
    regime = parse_regime(data, file=str(path))
    is_name = not str(name_or_path).endswith((".yaml", ".yml")) and path.stem == str(name_or_path)
    if is_name and regime.id != path.stem:
        reason = f"id {regime.id!r} differs from the file name {path.stem!r}"
        raise ConfigError(f"{path}: {reason}", [(str(path), "id", reason)])
    return regime


def parse_regime(
    data: Mapping[str, Any], *, file: str = "<regime>", key_prefix: str = ""
) -> Regime:
    """Validate a regime mapping, reporting every problem, not just the first."""
    try:
        draft = Regime.model_validate(data, context={"defer_reference_check": True})
    except ValidationError as err:
        problems = validation_problems(err, data, file=file, key_prefix=key_prefix)
        raise ConfigError(f"{file}: invalid regime", problems) from err
    problems = [
        (file, _join(key_prefix, key), reason) for key, reason in draft.reference_problems()
    ]
    if problems:
        raise ConfigError(f"{file}: invalid regime", problems)
    return draft


def validation_problems(
    err: ValidationError, data: Any, *, file: str, key_prefix: str = ""
) -> list[tuple[str, str, str]]:
    """Pydantic errors as (file, key, reason), milestones named by their id."""
    out = []
    for e in err.errors(include_url=False):
        key = _join(key_prefix, _format_loc(e["loc"], data))
        reason = e["msg"].removeprefix("Value error, ")
        shown = repr(e["input"]) if isinstance(e["input"], (str, int)) else None
        if shown and e["type"] not in ("missing", "extra_forbidden") and shown not in reason:
            reason += f" (got {shown})"
        out.append((file, key, reason))
    return out


def _format_loc(loc: tuple[Any, ...], data: Any) -> str:
    key, node = "", data
    for part in loc:
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and part < len(node) else None
            name = item.get("id") if isinstance(item, dict) else None
            key += f"[{name}]" if isinstance(name, str) and name else f"[{part}]"
            node = item
        else:
            key = f"{key}.{part}" if key else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return key


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix and key else prefix or key


def _unknown_milestones(
    regime: Regime, overrides: Mapping[str, Any], file: str, key_prefix: str
) -> list[tuple[str, str, str]]:
    """Overrides naming a milestone the regime does not have (a typo, usually)."""
    ids = {rule.id for rule in regime.milestones}
    known = ", ".join(sorted(ids))
    problems = []
    for kind in ("milestones", "remove_milestones"):
        wanted = overrides.get(kind)
        if not isinstance(wanted, (dict, list)):
            continue  # the schema reports the wrong type
        for rule_id in wanted:
            if isinstance(rule_id, str) and rule_id not in ids:
                reason = f"regime {regime.id} has no milestone {rule_id!r} (known: {known})"
                problems.append((file, f"{key_prefix}.{kind}.{rule_id}", reason))
    return problems


class MilestonePatch(StrictModel):
    label: str | None = None
    anchor: str | None = Field(default=None, alias="from")
    offset: Offset | None = None
    applies_when: AppliesWhen | None = None
    statutory: bool | None = None
    chase: bool | None = None
    source: str | None = None
    done_by: str | None = None


class RegimeOverrides(StrictModel):
    """What a board may change in its regime without copying it."""

    title: str | None = None
    vocabulary: dict[str, str] = {}
    decisions: dict[Decision, str] = {}
    events: dict[Slug, EventDecl] = {}
    milestones: dict[str, MilestonePatch] = {}
    add_milestones: list[dict[str, Any]] = []
    remove_milestones: list[str] = []
    chasing: ChaseCadence | None = None
    rag: RagThresholds | None = None


def apply_overrides(
    regime: Regime,
    overrides: Mapping[str, Any] | None,
    *,
    file: str = "<board config>",
    key_prefix: str = "overrides",
) -> Regime:
    """The regime with a board's overrides applied, validated as a whole.

    ``milestones`` patches rules by id (only the keys given change);
    ``add_milestones`` / ``remove_milestones`` add or drop rules;
    ``vocabulary``, ``decisions`` and ``events`` merge key by key;
    ``chasing`` and ``rag`` replace the regime's.
    """
    if not overrides:
        return regime
    problems = _unknown_milestones(regime, overrides, file, key_prefix)
    try:
        patch = RegimeOverrides.model_validate(dict(overrides))
    except ValidationError as err:
        problems += validation_problems(err, overrides, file=file, key_prefix=key_prefix)
    if problems:
        raise ConfigError(f"{file}: invalid deadline overrides", problems)
    data = regime.model_dump(by_alias=True, exclude_none=True)
    rules = []
    for rule in data["milestones"]:
        if rule["id"] in patch.remove_milestones:
            continue
        if rule["id"] in patch.milestones:
            rule |= patch.milestones[rule["id"]].model_dump(by_alias=True, exclude_unset=True)
        rules.append(rule)
    data["milestones"] = rules + list(patch.add_milestones)
    for name in ("vocabulary", "decisions", "events"):
        data[name] = data[name] | patch.model_dump(by_alias=True, exclude_none=True)[name]
    for name in ("title", "chasing", "rag"):
        if name in patch.model_fields_set and getattr(patch, name) is not None:
            data[name] = patch.model_dump(by_alias=True, exclude_none=True)[name]
    return parse_regime(data, file=file, key_prefix=key_prefix)
