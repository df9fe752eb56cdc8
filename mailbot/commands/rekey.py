"""``mailbot rekey``: seal everything stored with the current encryption key.

Data written before a key was configured stays plain, and data sealed
before a key rotation stays under the old key, so that key could never be
retired. This command seals the first and re-seals the second: every value
of every sealed column (found from the models, so a new sealed column is
covered without a change here) and every stored file under
``<data dir>/attachments/``. Values already under the current key are left
alone, so a second run changes nothing.

It first opens everything and writes nothing (``--dry-run`` stops there):
a value no listed key opens stops it with its place (table, column and row
id, or the file's path in the data folder), never its content, before any
change. Then it writes in batches, one transaction each, and replaces files
atomically, so an interruption leaves every value readable with some listed
key; running it again finishes the job.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import LargeBinary, Table, Text, cast, select, type_coerce
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import JSON

from mailbot.commands import _common
from mailbot.errors import MailbotError
from mailbot.files import replace_private
from mailbot.store import crypto
from mailbot.store.crypto import DecryptError, Keyring, SealedBytes, SealedJSON
from mailbot.store.db import Store, open_store

log = logging.getLogger("mailbot.store")

BATCH = 500
FILE_PURPOSE = "attachment"
_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_STORED_NAME = re.compile(r"[0-9a-f]{64}")


class RekeyError(MailbotError):
    """Something stored cannot be re-sealed; the message names where, never what."""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("rekey", help="seal plain and old-key data with the current encryption key",
                       description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--board", help="only this board's rows and files (other boards' data is not checked)")
    p.add_argument("--dry-run", action="store_true", help="count what would change and write nothing")
    p.set_defaults(func=run)


@dataclass
class Tally:
    """How many values of one column (or one board's files) were in each state."""

    name: str
    counts: dict[str, int] = field(default_factory=lambda: {crypto.PLAIN: 0, crypto.OLD_KEY: 0,
                                                               crypto.CURRENT_KEY: 0})
    #: Values that changed while the command ran (another writer won); still to check.
    missed: int = 0

    @property
    def to_change(self) -> int:
        return self.counts[crypto.PLAIN] + self.counts[crypto.OLD_KEY]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def line(self) -> str:
        c = self.counts
        return (f"{self.name}: {c[crypto.PLAIN]:,} plain, {c[crypto.OLD_KEY]:,} under an old key, "
                f"{c[crypto.CURRENT_KEY]:,} under the current key")


# --- the database ------------------------------------------------------------------


def sealed_tables() -> list[tuple[Table, list[Any]]]:
    """Every table with a sealed column, and those columns, from the models."""
    import mailbot.store.approvals_models  # noqa: F401  (registers its tables on Base)
    from mailbot.store.models import Base

    found = []
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, crypto.SEALED_TYPES)]
        if columns:
            found.append((table, columns))
    return found


def _stored(column: Any) -> ColumnElement:
    """The column as the database holds it, bypassing the sealing type."""
    if isinstance(column.type, SealedJSON):
        return cast(column, Text)  # the JSON text exactly (compared when writing back)
    return type_coerce(column, LargeBinary() if isinstance(column.type, SealedBytes) else Text())


def _written(column: Any, value: Any) -> ColumnElement:
    if isinstance(column.type, SealedJSON):
        return type_coerce(value, JSON())
    return type_coerce(value, LargeBinary() if isinstance(column.type, SealedBytes) else Text())


def _parsed(column: Any, raw: Any) -> Any:
    if raw is None:
        return None
    if isinstance(column.type, SealedJSON):
        return json.loads(raw)  # JSON null comes back as None: nothing to seal
    return raw


def _rekey_table(store: Store, ring: Keyring, table: Table, columns: list[Any], board: str | None,
                 write: bool, say: Callable[[str], None]) -> list[Tally]:
    pks = list(table.primary_key.columns)
    if len(pks) != 1:
        raise RekeyError(f"table {table.name} has no single-column key; it cannot be re-sealed in batches")
    pk = pks[0]
    tallies = {c.name: Tally(f"{table.name}.{c.name}") for c in columns}
    last: Any = None
    done = 0
    while True:
        with store.transaction() as s:
            q = select(pk).order_by(pk).limit(BATCH)
            if board is not None:
                q = q.where(table.c.board == board)
            if last is not None:
                q = q.where(pk > last)
            ids = list(s.scalars(q))
            for row_id in ids:  # one row at a time: an outgoing email may be tens of MB
                raws = s.execute(select(*[_stored(c) for c in columns]).where(pk == row_id)).first()
                if raws is None:
                    continue  # deleted meanwhile
                for column, raw in zip(columns, raws):
                    _rekey_value(s, ring, table, pk, row_id, column, raw, tallies[column.name], write)
        if not ids:
            break
        last, done = ids[-1], done + len(ids)
        if write and len(ids) == BATCH:
            say(f"  {table.name}: {done:,} rows done")
    return list(tallies.values())


def _rekey_value(s: Any, ring: Keyring, table: Table, pk: Any, row_id: Any, column: Any, raw: Any,
                 tally: Tally, write: bool) -> None:
    value = _parsed(column, raw)
    if value is None:
        return
    try:
        result = column.type.reseal_stored(value, ring)
    except DecryptError:
        raise RekeyError(f"{table.name}.{column.name} row {row_id} does not open with any configured key; "
                         "it was left as it is and the run stopped") from None
    tally.counts[result.was] += 1
    if not write or result.stored is None:
        return
    # Only if nobody changed the value since it was read (the daemon may be running).
    changed = s.execute(table.update().where(pk == row_id, _stored(column) == raw)
                        .values({column: _written(column, result.stored)})).rowcount
    if changed != 1:
        tally.missed += 1


# --- stored files --------------------------------------------------------------------


def stored_files(data_dir: Path, board: str | None) -> list[tuple[str, list[Path]]]:
    """Each board's stored attachments and draft documents (named by SHA-256), by board."""
    root = data_dir / "attachments"
    if not root.is_dir():
        return []
    folders = [root / board] if board else sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink())
    out = []
    for folder in folders:
        if folder.is_dir():
            files = sorted(p for p in folder.rglob("*")
                           if _STORED_NAME.fullmatch(p.name) and p.is_file() and not p.is_symlink())
            out.append((folder.name, files))
    return out


def _rekey_files(data_dir: Path, ring: Keyring, board: str, files: list[Path], write: bool,
                 say: Callable[[str], None]) -> Tally:
    tally = Tally(f"files ({board})")
    for n, path in enumerate(files, 1):
        where = path.relative_to(data_dir)
        try:
            result = crypto.reseal(ring, path.read_bytes(), FILE_PURPOSE)
        except DecryptError:
            raise RekeyError(f"{where} does not open with any configured key; "
                             "it was left as it is and the run stopped") from None
        except OSError as err:
            raise RekeyError(f"{where} cannot be read ({err.strerror})") from None
        tally.counts[result.was] += 1
        if write and result.stored is not None:
            try:
                replace_private(path, result.stored)
            except OSError as err:
                raise RekeyError(f"{where} cannot be replaced ({err.strerror}); it is unchanged") from None
        if write and n % BATCH == 0:
            say(f"  files ({board}): {n:,} of {len(files):,} done")
    return tally


# --- the command ---------------------------------------------------------------------


def rekey(store: Store, data_dir: Path, ring: Keyring, board: str | None, write: bool,
          say: Callable[[str], None]) -> tuple[list[Tally], list[Tally]]:
    """One pass over every sealed value and file: counted, and re-sealed when ``write``."""
    columns: list[Tally] = []
    for table, cols in sealed_tables():
        if board is not None and "board" not in table.c:
            say(f"{table.name}: not per board, skipped with --board")
            continue
        tallies = _rekey_table(store, ring, table, cols, board, write, say)
        for t in tallies:
            say(t.line())
        columns += tallies
    files = []
    for slug, paths in stored_files(data_dir, board):
        t = _rekey_files(data_dir, ring, slug, paths, write, say)
        say(t.line())
        files.append(t)
    return columns, files


def _board(slug: str | None) -> str | None:
    if slug is not None and not _SLUG.match(slug):
        raise MailbotError(f"--board takes a board's slug (lower-case words joined by '-'), not {slug!r}")
    return slug


def run(args: argparse.Namespace) -> int:
    settings = _common.settings(args)
    board = _board(args.board)
    ring = settings.keyring()
    if ring is None:
        raise MailbotError("rekey needs an encryption key: set MAILBOT_ENCRYPTION_KEY_FILE (or "
                           "MAILBOT_ENCRYPTION_KEY), newest key first; see 'Encryption at rest' in "
                           "docs/configuration.md")
    store = open_store(settings.database_url)
    crypto.bind(store.engine, ring)
    try:
        print("Checking that every sealed value and stored file opens with the configured keys "
              "(nothing is written yet).", flush=True)
        columns, files = rekey(store, settings.data_dir, ring, board, False, _say if args.dry_run else _quiet)
        values = sum(t.to_change for t in columns)
        file_count = sum(t.to_change for t in files)
        changed_columns = sum(1 for t in columns if t.to_change)
        if args.dry_run:
            print(f"dry run: would re-seal {values:,} values in {changed_columns} columns and "
                  f"{file_count:,} files; nothing was written")
            return 0
        if not values and not file_count:
            print(f"nothing to re-seal: {sum(t.total for t in columns):,} values and "
                  f"{sum(t.total for t in files):,} files are already sealed with the current key"
                  + _keys_note(ring, board, 0))
            return 0
        columns, files = rekey(store, settings.data_dir, ring, board, True, _say)
    except SQLAlchemyError as err:
        raise MailbotError(f"the database failed during rekey ({type(err).__name__}); "
                           "run it again: what was done stays done") from None
    finally:
        store.dispose()
    values = sum(t.to_change - t.missed for t in columns)
    left = sum(t.missed for t in columns)
    file_count = sum(t.to_change for t in files)
    changed_columns = sum(1 for t in columns if t.to_change)
    log.info("rekey: re-sealed %d values in %d columns and %d files; %d changed meanwhile",
             values, changed_columns, file_count, left)
    print(f"re-sealed {values:,} values in {changed_columns} columns and {file_count:,} files; "
          f"{left:,} left under old keys" + _keys_note(ring, board, left))
    return 0 if not left else 1


def _keys_note(ring: Keyring, board: str | None, left: int) -> str:
    if left:
        return " (they changed while rekey ran: run it again)"
    if board is not None:
        return "; other boards were not checked: run it for every board before removing an old key"
    return "; the old key(s) can now be removed" if ring.older_keys else ""


def _say(line: str) -> None:
    print(line, flush=True)


def _quiet(_line: str) -> None:
    """The checking pass before writing prints only its verdict."""
