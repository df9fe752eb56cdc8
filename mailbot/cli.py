"""The ``mailbot`` command.

Each sub-command lives in ``mailbot/commands/<name>.py`` with
``add_parser(subparsers)`` and ``run(args) -> int``. Errors a person can act
on (bad config, unreadable file, unknown board) are printed as one line on
stderr with exit code 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from mailbot.errors import ConfigError, MailbotError

COMMANDS = ["run", "demo", "config", "cases", "case", "pack", "status", "parse", "forms", "inspect",
            "timeline", "digest", "rekey"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mailbot", description="Email-driven case automation for safeguarding boards.")
    parser.add_argument("--data-dir", help="where mailbot keeps its database and files (env MAILBOT_DATA_DIR)")
    parser.add_argument("--database-url", help="SQLAlchemy URL, e.g. postgresql+psycopg://… (env MAILBOT_DATABASE_URL)")
    parser.add_argument("--config-dir", help="folder with boards/ (env MAILBOT_CONFIG_DIR)")
    parser.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"],
                        help="default INFO (WARNING for demo, parse and other one-shot commands)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        module = importlib.import_module(f"mailbot.commands.{name}")
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from mailbot.logs import setup_logging

    setup_logging(args.log_level or ("INFO" if args.command == "run" else "WARNING"))
    try:
        return int(args.func(args) or 0)
    except ConfigError as err:
        print(f"mailbot: {err}", file=sys.stderr)
        for file, key, reason in err.problems:
            print(f"  {file}: {key}: {reason}", file=sys.stderr)
        return 2
    except MailbotError as err:
        print(f"mailbot: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
