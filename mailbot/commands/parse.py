"""``mailbot parse FILE --board B``: read one attachment as the board's forms would be.

For an admin: ``--json`` prints the record in the contract's shape;
``--explain`` shows which label in the document fed which field and which
fields found nothing, which is the loop for writing a new form mapping.
Values are printed only as the record itself, never in the explain lines.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mailbot.errors import ParseError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("parse", help="parse a form file with a board's form mappings")
    p.add_argument("file", help="the .docx, .pdf or .doc to read")
    p.add_argument("--board", required=True, help="board slug or path to a board YAML")
    p.add_argument("--password", action="append", default=[],
                   help="password for a protected file (may repeat; the board's own are tried too)")
    p.add_argument("--json", action="store_true", help="print the record as contract JSON")
    p.add_argument("--explain", action="store_true",
                   help="show which document label fed each field (no values)")
    p.set_defaults(func=run)


def _explain_lines(result) -> list[str]:
    lines = [f"form: {result.form_id} (read as {result.source_type})"]
    width = max((len(i.field) for i in result.explain), default=10)
    for item in result.explain:
        note = f"  {item.note}" if item.note else ""
        if item.found:
            lines.append(f"  {item.field:<{width}}  <- {item.label or '(derived)'!s}"
                         f"  [{item.where or '-'}]{note}")
        elif item.label:
            at = f" at {item.where}" if item.where else ""
            lines.append(f"  {item.field:<{width}}  label {item.label!r}{at}, answer blank{note}")
        else:
            lines.append(f"  {item.field:<{width}}  NOTHING FOUND{note}")
    return lines


def run(args: argparse.Namespace) -> int:
    from mailbot.config import load_board
    from parsers import parse_document

    config_dir = Path(args.config_dir) if getattr(args, "config_dir", None) else None
    board = load_board(args.board, config_dir)
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ParseError(f"cannot read {path.name}: {err.strerror}", "unreadable") from err
    result = parse_document(data, path.name, board=board.slug, mappings=board.form_mappings,
                            passwords=[*args.password, *board.form_passwords()],
                            explain=args.explain)
    record = result.record.model_dump(mode="json")
    if args.explain:
        print("\n".join(_explain_lines(result)), file=sys.stderr if args.json else sys.stdout)
    if args.json:
        print(json.dumps(record, indent=2, ensure_ascii=False))
    elif not args.explain:
        for key, value in record.items():
            print(f"{key}: {json.dumps(value, ensure_ascii=False)}")
    for warning in record.get("warnings", []):
        print(f"warning: {warning}", file=sys.stderr)
    return 0
