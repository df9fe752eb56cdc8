"""``mailbot case CASE --front-sheet`` and ``mailbot pack CASE`` on a real store."""

from __future__ import annotations

import re

from docx import Document

from mailbot.cli import main
from tests.conftest import REPO
from tests.pack.conftest import REFERENCE, packs


def test_case_front_sheet_and_pack_from_the_command_line(rt, database_url, tmp_path, capsys):
    args = ["--database-url", database_url, "--data-dir", str(tmp_path / "cli"), "--config-dir", str(REPO / "config")]
    assert main([*args, "case", "ws-2026-0001", "--front-sheet", "--out", str(tmp_path / "front.docx")]) == 0
    out = capsys.readouterr().out
    assert f"{REFERENCE} (WSSCB)" in out and "child EN" in out
    assert "Scoping returns due from agencies" in out and "02/02/2026" in out
    assert "done 10/02/2026, met with 6 days to spare" in out  # the Chair's decision
    assert re.search(r"Scoping returns due from agencies +02/02/2026 +overdue by \d+ working days", out)
    paragraphs = " ".join(p.text for p in Document(str(tmp_path / "front.docx")).paragraphs)
    assert "CASE FILE FRONT SHEET" in paragraphs

    assert main([*args, "pack", REFERENCE, "--preview", "--out", str(tmp_path / "preview")]) == 0
    assert "nothing sent" in capsys.readouterr().out and packs(rt) == []
    assert len(list((tmp_path / "preview").iterdir())) == 3

    assert main([*args, "pack", REFERENCE, "--out", str(tmp_path / "sent")]) == 0
    out = capsys.readouterr().out
    assert "scoping pack version 1 sent to crsg.chair@westsussex-scb.example, businessmanager@" in out
    assert "outbox: 1 sent, 0 failed" in out
    (row,) = packs(rt)
    assert row.status == "sent" and len(list((tmp_path / "sent").iterdir())) == 3
    assert list((tmp_path / "cli" / "mail" / "west-sussex" / "outbox" / "new").iterdir())

    assert main([*args, "pack", REFERENCE]) == 0
    assert "nothing has changed since version 1" in capsys.readouterr().out and len(packs(rt)) == 1
    assert main([*args, "pack", "WS-2026-0042"]) == 2
    assert "no case 'WS-2026-0042'" in capsys.readouterr().err
