"""``mailbot demo``: the command line; the flow is :mod:`mailbot.demo`."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run mailbot on sample mail in a local workspace")
    p.add_argument("--workspace", default="mailbot-demo", help="folder for the demo (default ./mailbot-demo)")
    p.add_argument("--samples", help="sample folder (default: the copy shipped with mailbot)")
    p.add_argument("--days", type=int, default=12,
                   help="working days to move the clock forward afterwards (default 12)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mailbot.demo.run import run as run_demo  # the daemon and its stages load only for the demo

    return run_demo(args)
