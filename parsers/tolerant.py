"""A record that always validates: what would not becomes a blank field and a warning.

A mapping can pass ``config check`` and still read something the contract
refuses (a choice code the record does not know, text where a date goes,
a list entry without its fixed key).  The admin running ``parse``, and the
daemon reading an agency's form, must then get the record with that field
blank and a warning naming it (never its value), not a traceback.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

#: What a refused value is replaced with, tried in turn for the same place.
_BLANKS: tuple[Any, ...] = (None, [], {})


def _path(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _blank(data: Any, loc: tuple, kind: str, tries: dict[tuple, int]) -> bool:
    """Blank the value at ``loc`` (drop a list entry, remove an unknown key).

    A missing required key blanks the object that lacks it.
    """
    if kind == "missing":
        loc = loc[:-1]
        if not loc:
            return False
    ints = [i for i, part in enumerate(loc) if isinstance(part, int)]
    target, end = (loc[: ints[-1] + 1], ints[-1]) if ints else (loc, len(loc) - 1)
    holder = data
    for part in target[:-1]:
        try:
            holder = holder[part]
        except (KeyError, IndexError, TypeError):
            return False
    last = target[-1]
    if isinstance(last, int):  # an entry of a list: leave the entry out
        if isinstance(holder, list) and 0 <= last < len(holder):
            del holder[last]
            return True
        return False
    if not isinstance(holder, dict):
        return False
    if kind == "extra_forbidden" or last not in holder and end == len(loc) - 1:
        return holder.pop(last, None) is not None or kind == "extra_forbidden"
    n = tries.get(target, 0)
    tries[target] = n + 1
    if n < len(_BLANKS):
        holder[last] = _BLANKS[n]
        return True
    holder.pop(last, None)
    return True


def validate_record(model: type[BaseModel], data: dict, warnings: list[str]) -> BaseModel:
    """``model.model_validate(data)``, blanking every value it refuses (with a warning)."""
    tries: dict[tuple, int] = {}
    for _ in range(50):
        try:
            return model.model_validate(data)
        except ValidationError as err:
            changed = False
            for e in err.errors():
                loc = tuple(e["loc"])
                if loc and loc[0] in ("board", "form", "form_type", "warnings"):
                    continue
                note = f"{_path(loc)} could not be read as the contract's type; it was left blank"
                if note not in warnings:
                    warnings.append(note)
                changed |= _blank(data, loc, e["type"], tries)
            if not changed:
                break
    keep = {k: data[k] for k in ("board", "form", "form_type") if k in data}
    warnings.append("the form's values could not be read as a record; all were left blank")
    return model.model_validate({**keep, "warnings": warnings})
