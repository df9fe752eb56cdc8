"""``mailbot config check [PATH]``: every problem in the board config, at once."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mailbot.config import check_config


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("config", help="check board configuration")
    csub = p.add_subparsers(dest="config_command", metavar="ACTION")
    csub.required = True
    check = csub.add_parser("check", help="validate a board file or a config folder")
    check.add_argument("path", nargs="?", help="a board YAML file or a folder (default: the config folder)")
    check.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mailbot.settings import Settings

    target = Path(args.path) if args.path else Settings.load(config=args.config_dir).config_dir
    problems = check_config(target)
    if not problems:
        print(f"{target}: OK")
        return 0
    print(f"{target}: {len(problems)} problem(s)", file=sys.stderr)
    for file, key, reason in problems:
        print(f"{file}: {key}: {reason}", file=sys.stderr)
    return 1
