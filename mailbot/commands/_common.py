"""Helpers the sub-commands share: settings, store and boards from the arguments."""

from __future__ import annotations

import argparse

from mailbot.config import Board, load_board, load_boards
from mailbot.settings import Settings
from mailbot.store.db import Store, open_store


def settings(args: argparse.Namespace) -> Settings:
    s = Settings.load(getattr(args, "data_dir", None), getattr(args, "database_url", None),
                      getattr(args, "config_dir", None))
    s.prepare()
    return s


def store(args: argparse.Namespace) -> Store:
    return open_store(settings(args).database_url)


def boards(args: argparse.Namespace, only: str | None = None) -> list[Board]:
    cfg = settings(args).config_dir
    if only:
        return [load_board(only, cfg)]
    return load_boards(cfg)
