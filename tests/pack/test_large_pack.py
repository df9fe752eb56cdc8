"""A 5,000-row chronology pack is whole: every row lands in it (timing is in benchmarks/pack_speed.py)."""

from __future__ import annotations

import importlib.util
import pytest

from mailbot.pack.send import send_pack
from mailbot.store.models import Case
from tests.conftest import REPO


def _benchmark():  # noqa: ANN202
    spec = importlib.util.spec_from_file_location("pack_speed", REPO / "benchmarks" / "pack_speed.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@pytest.mark.slow
def test_a_5000_row_pack_holds_every_row(maildir_runtime):
    rt = maildir_runtime
    case_id = _benchmark().make_case(rt, 5000)
    with rt.store.transaction() as s:
        result = send_pack(s, rt, s.get(Case, case_id), "request_cli")
    assert result.status == "sent" and result.rows + result.undated == 5000 and result.undated > 0
