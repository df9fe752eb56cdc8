"""Loading form-mapping files: every problem in every file, one line each.

Validation happens once, at load: the schema (``parsers.mapping``) and the
checks against the record contract (``parsers.mapping_check``), so a bad
file fails with every problem listed (file, key path, reason) and an admin
can fix them all in one go.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import yaml
from pydantic import ValidationError

from mailbot.errors import ConfigError
from parsers.mapping import FormMapping
from parsers.mapping_check import mapping_problems


def _problems(file: str, err: ValidationError) -> list[tuple[str, str, str]]:
    out = []
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"]) or "(top)"
        out.append((file, key, e["msg"].removeprefix("Value error, ")))
    return out


def _read(path: Path) -> tuple[FormMapping | None, list[tuple[str, str, str]]]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        return None, [(str(path), "(file)", f"cannot read: {err.strerror}")]
    except yaml.YAMLError as err:
        return None, [(str(path), "(file)", f"not valid YAML: {err}".splitlines()[0])]
    if not isinstance(raw, dict):
        return None, [(str(path), "(top)", "a form mapping must be a mapping of keys")]
    try:
        mapping = FormMapping.model_validate(raw)
    except ValidationError as err:
        return None, _problems(str(path), err)
    mapping.source = str(path)
    problems = [(str(path), key, why) for key, why in mapping_problems(mapping)]
    return (None, problems) if problems else (mapping, [])


def load_mapping_file(path: Path | str) -> FormMapping:
    """Load and validate one mapping file (ConfigError lists every problem)."""
    return load_mappings([Path(path)])[0]


def load_mappings(paths: Sequence[Path | str]) -> list[FormMapping]:
    """Load every mapping; one ConfigError listing all problems in all files."""
    mappings: list[FormMapping] = []
    problems: list[tuple[str, str, str]] = []
    for path in paths:
        mapping, found = _read(Path(path))
        problems += found
        if mapping is not None:
            mappings.append(mapping)
    seen: dict[str, str] = {}
    for m in mappings:
        if m.id in seen:
            problems.append((m.source or "?", "id", f"form id {m.id!r} also in {seen[m.id]}"))
        seen[m.id] = m.source or "?"
    if problems:
        raise ConfigError(f"{len(problems)} problem(s) in form mappings", problems)
    return mappings
