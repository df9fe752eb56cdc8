"""Shared helpers for the parser tests: mappings per board, flattening records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

from parsers import FormMapping, load_mappings

REPO = Path(__file__).resolve().parents[2]
FORMS = REPO / "config" / "forms"


def board_mappings(board: str) -> list[FormMapping]:
    return load_mappings(sorted((FORMS / board).glob("*.yaml")))


def all_mappings() -> list[FormMapping]:
    return [m for board in sorted(p.name for p in FORMS.iterdir()) for m in board_mappings(board)]


def leaves(obj: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every leaf of a contract record as (dotted path, value); ``warnings``
    and ``_``-keys are not fields."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key == "warnings" or key.startswith("_"):
                continue
            yield from leaves(value, f"{path}.{key}" if path else key)
    elif isinstance(obj, list):
        if not obj:
            yield path, []
        for i, value in enumerate(obj):
            yield from leaves(value, f"{path}[{i}]")
    else:
        yield path, obj


def expected(form: Path) -> dict:
    return json.loads(Path(f"{form}.expected.json").read_text(encoding="utf-8"))
