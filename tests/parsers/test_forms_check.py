"""``mailbot forms check``: accuracy per field over a folder of filled copies, misses by name."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from mailbot.cli import main
from tests.conftest import SAMPLES


def test_forms_check_reports_every_field_and_names_each_miss(tmp_path: Path, capsys) -> None:
    src = SAMPLES / "forms" / "bathnes" / "notification-request"
    for name in ("notification-01.docx", "notification-02.docx"):
        shutil.copy(src / name, tmp_path / name)
        shutil.copy(src / f"{name}.expected.json", tmp_path / f"{name}.expected.json")
    shutil.copy(src / "notification-03.docx", tmp_path / "no-expected.docx")
    assert main(["forms", "check", "--board", "bathnes", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "fields right:" in out and "(100.0 %)" in out
    assert "no-expected.docx: bathnes/notification-request" in out

    wrong = json.loads((tmp_path / "notification-02.docx.expected.json").read_text())
    wrong["child"]["surname"] = "Someone Else"
    (tmp_path / "notification-02.docx.expected.json").write_text(json.dumps(wrong))
    assert main(["forms", "check", "--board", "bathnes", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert "miss: notification-02.docx: child.surname" in captured.err
    assert "Someone Else" not in captured.out + captured.err  # field names, never values
