"""Checks on a whole mapping against the record contract: one problem per line.

The schema (``mapping.py``) checks each key's shape; this checks what only
the whole file and the contract can tell: a field the record does not
have, a section or field that is named but not defined, a choice code or
fixed value the record would refuse, a value type that does not fit the
contract's field, a blank form that is not there.  ``config check``
rejects every mapping that ``parse`` could not run, with the key and why.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterator

from pydantic import BaseModel, TypeAdapter, ValidationError

from mailbot.records import RECORD_TYPES
from parsers.mapping import FieldSpec, FormMapping

_DAY = dt.date(2000, 1, 1)
_SAMPLES: dict[str, Any] = {"text": "x", "date": _DAY, "yes_no": True, "filled": True,
                            "time": "12:00", "date_text": "x"}


def contract_annotation(form_type: str, path: str) -> Any:
    """The contract's type for a dotted path; None when the record has no such field."""
    model: Any = RECORD_TYPES[form_type]
    annotation: Any = None
    for part in path.split("."):
        info = getattr(model, "model_fields", {}).get(part) if isinstance(model, type) else None
        if info is None:
            return None
        annotation = info.annotation
        model = _inner_model(annotation)
    return annotation


def _inner_model(annotation: Any) -> Any:
    for arg in getattr(annotation, "__args__", ()) or ():
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
        inner = _inner_model(arg)
        if inner is not None:
            return inner
    return annotation if isinstance(annotation, type) else None


def _samples(spec: FieldSpec) -> Iterator[tuple[str, Any]]:
    """Values of every shape this field can produce, to try against the contract."""
    if spec.repeat:
        entry = dict(spec.repeat.set)
        for key, sub in spec.repeat.fields.items():
            entry[key] = next(iter(dict(_samples(sub)).values()), "x")
        yield "repeat", [entry]
    elif spec.type == "lines":
        yield "parts", [{k: (_DAY if t == "date" else "x") for k, t in spec.parts.items()}]
    elif spec.items:
        for n, item in enumerate(spec.items):
            entry = dict(item.set)
            for key, sub in item.fields.items():
                entry[key] = next(iter(dict(_samples(sub)).values()), "x")
            yield f"items[{n}]", [entry]
    elif spec.type == "choice" or spec.type == "choice_text":
        codes = spec.option_map() if spec.type == "choice" else spec.choices
        for code in codes:
            yield f"options.{code}" if spec.type == "choice" else f"choices.{code}", code
    elif spec.type == "tick_list":
        for code in spec.option_map():
            yield f"options.{code}", [{spec.item_key: code}] if spec.item_key else [code]
    elif spec.type == "table":
        entry = {key: (_DAY if c.type == "date" else "x") for key, c in spec.columns.items()}
        entry.update({c.text_to: "x" for c in spec.columns.values() if c.text_to})
        yield "columns", [entry]
    elif spec.type == "person_list":
        yield "type", [{spec.name_key: "x", spec.date_key: _DAY}]
    elif spec.value is not None:
        yield "value", spec.value
    elif not (spec.join or spec.from_):
        yield "type", _SAMPLES.get(spec.type, "x")


def _fits(annotation: Any, value: Any) -> str | None:
    try:
        TypeAdapter(annotation).validate_python(value)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"the contract refuses {value!r}{' at ' + where if where else ''}: {first['msg']}"
    except Exception as err:  # noqa: BLE001 - an annotation TypeAdapter cannot build
        return f"cannot check against the contract ({type(err).__name__})"
    return None


def mapping_problems(mapping: FormMapping) -> list[tuple[str, str]]:
    """(key, reason) for everything ``parse`` could not do with this mapping."""
    out: list[tuple[str, str]] = []
    fields = set(mapping.fields)
    for path, value in mapping.set.items():
        ann = contract_annotation(mapping.form_type, path)
        if ann is None:
            out.append((f"set.{path}", f"the {mapping.form_type} record has no field {path!r}"))
        elif why := _fits(ann, value):
            out.append((f"set.{path}", why))
    for path, spec in mapping.fields.items():
        key = f"fields.{path}"
        ann = None if path.startswith("_") else contract_annotation(mapping.form_type, path)
        if ann is None and not path.startswith("_"):
            out.append((key, f"the {mapping.form_type} record has no field {path!r}"))
        subs = [(f"{key}.items[{n}].fields.{k}", s) for n, i in enumerate(spec.items)
                for k, s in i.fields.items()]
        if spec.repeat:
            subs += [(f"{key}.repeat.fields.{k}", s) for k, s in spec.repeat.fields.items()]
        for where, s in [(key, spec), *subs]:
            if s.section and s.section not in mapping.sections:
                out.append((f"{where}.section", f"section {s.section!r} is not defined under "
                                                 "'sections'"))
        named = [("join", p) for p in spec.join] + [("of", p) for p in spec.of]
        named += [("from", spec.from_)] if spec.from_ else []
        named += [("agree_with", spec.agree_with)] if spec.agree_with else []
        named += [("only_if.field", spec.only_if.field)] if spec.only_if else []
        named += [("fallback", p) for p in spec.fallback]
        for what, other in named:
            if other not in fields and contract_annotation(mapping.form_type, other) is None:
                out.append((f"{key}.{what}", f"{other!r} is not a field of this mapping"))
        if spec.most_common:
            items, _, sub = spec.most_common.partition(".")
            if items not in fields or not sub:
                out.append((f"{key}.most_common", f"{spec.most_common!r} is not 'list.key' "
                                                  "of a list field of this mapping"))
        if ann is not None:
            for where, sample in _samples(spec):
                if why := _fits(ann, sample):
                    out.append((f"{key}.{where}", why))
    if mapping.blank_form:
        from parsers.printed import blank_form_path
        path = blank_form_path(mapping.blank_form, mapping.source)
        if not path.is_file():
            out.append(("blank_form", f"no such file: {path}"))
    return out
