"""``mailbot forms draft|check``: teach mailbot a new form in minutes.

``draft BLANK --type T`` writes a first mapping from a board's blank form
(the labels it prints matched to contract fields) for the admin to
correct; ``check --board B FOLDER`` parses every filled form in a folder
and, where a ``NAME.expected.json`` sits beside it, prints the share of
fields right per field and every miss, by field name (never a value).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import yaml

from mailbot.errors import ParseError

_SUFFIXES = (".docx", ".pdf", ".doc")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("forms", help="draft a form mapping from a blank form, or check one")
    fsub = p.add_subparsers(dest="forms_command", metavar="ACTION")
    fsub.required = True
    d = fsub.add_parser("draft", help="write a first mapping from a blank form")
    d.add_argument("blank", help="the board's blank form (.docx, .pdf or .doc)")
    d.add_argument("--type", required=True, choices=["referral", "scoping_return", "chronology"])
    d.add_argument("--id", default=None, help="the form id, <board>/<form> (default from the file)")
    d.add_argument("--out", help="write the YAML here (default: print it)")
    d.set_defaults(func=run_draft)
    c = fsub.add_parser("check", help="parse a folder of filled forms; accuracy per field")
    c.add_argument("folder")
    c.add_argument("--board", required=True, help="board slug or path to a board YAML")
    c.set_defaults(func=run_check)


def _known_mappings() -> list:
    from parsers import load_mappings
    root = Path(__file__).resolve().parents[2] / "config" / "forms"
    try:
        return load_mappings(sorted(root.glob("*/*.yaml")))
    except Exception:  # noqa: BLE001 - wordings are a help, never a reason to fail
        return []


def run_draft(args: argparse.Namespace) -> int:
    from parsers.source import read_document
    from parsers.document import flatten
    from parsers.draft import draft

    path = Path(args.blank)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ParseError(f"cannot read {path.name}: {err.strerror}", "unreadable") from err
    doc, _ = read_document(data, path.name)
    form_id = args.id or f"newboard/{path.stem.lower().replace(' ', '-').replace('_', '-')}"
    out = Path(args.out) if args.out else None
    blank_ref = str(path.resolve()) if out is None else _relative(path, out)
    mapping = draft(flatten(doc), args.type, form_id, _known_mappings(), blank_ref)
    text = ("# Drafted by `mailbot forms draft`: check every label, section and option,\n"
            "# then run `mailbot forms check --board <board> <folder of filled copies>`.\n"
            + yaml.safe_dump(mapping, sort_keys=False, allow_unicode=True, width=100))
    if out is None:
        print(text)
    else:
        out.write_text(text, encoding="utf-8")
        print(f"{out}: {len(mapping['fields'])} field(s) drafted")
    return 0


def _relative(blank: Path, out: Path) -> str:
    import os
    return os.path.relpath(blank.resolve(), out.resolve().parent)


def _leaves(obj, path: str = ""):
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key != "warnings" and not key.startswith("_"):
                yield from _leaves(value, f"{path}.{key}" if path else key)
    elif isinstance(obj, list):
        if not obj:
            yield path, []
        for i, value in enumerate(obj):
            yield from _leaves(value, f"{path}[{i}]")
    else:
        yield path, obj


def run_check(args: argparse.Namespace) -> int:
    from mailbot.config import load_board
    from mailbot.records import record_from_json
    from parsers import parse_document

    config_dir = Path(args.config_dir) if getattr(args, "config_dir", None) else None
    board = load_board(args.board, config_dir)
    files = sorted(p for p in Path(args.folder).iterdir() if p.suffix.lower() in _SUFFIXES)
    right: dict[str, int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    misses: list[str] = []
    for file in files:
        try:
            result = parse_document(file.read_bytes(), file.name, board=board.slug,
                                    mappings=board.form_mappings,
                                    passwords=board.form_passwords())
        except ParseError as err:
            print(f"{file.name}: {err}")
            continue
        got = dict(_leaves(result.record.model_dump(mode="json")))
        expected = Path(f"{file}.expected.json")
        if not expected.is_file():
            filled = sum(v not in (None, []) for v in got.values())
            print(f"{file.name}: {result.form_id}, {filled} field(s) filled, "
                  f"{len(result.record.warnings)} warning(s)")
            continue
        want = dict(_leaves(record_from_json(json.loads(expected.read_text())).model_dump(
            mode="json")))
        for key, value in want.items():
            field = key.split("[")[0] if "[" in key else key
            total[field] += 1
            ok = got.get(key, "<missing>") == value
            right[field] += ok
            if not ok:
                misses.append(f"{file.name}: {key}")
    if total:
        all_right, all_total = sum(right.values()), sum(total.values())
        print(f"fields right: {all_right}/{all_total} ({100 * all_right / all_total:.1f} %)")
        for field in sorted(total):
            print(f"  {field:40} {right[field]}/{total[field]}")
        for miss in misses:
            print(f"miss: {miss}", file=sys.stderr)
    return 0 if not misses else 1
