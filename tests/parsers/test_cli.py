"""``mailbot parse`` end to end, as an admin runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from mailbot.records import record_from_json
from tests.conftest import REPO, SAMPLES
from tests.parsers.helpers import expected, leaves

MAILBOT = Path(sys.executable).parent / "mailbot"


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(MAILBOT), "parse", *args], capture_output=True, text=True,
                          timeout=120, cwd=REPO)


def test_parse_json_prints_the_contract_record() -> None:
    form = SAMPLES / "forms" / "west-sussex" / "referral" / "referral-03.pdf"
    proc = _run(str(form), "--board", "west-sussex", "--json")
    assert proc.returncode == 0, proc.stderr
    got = dict(leaves(json.loads(proc.stdout)))
    assert got == dict(leaves(record_from_json(expected(form)).model_dump(mode="json")))


def test_parse_explain_lists_fields_and_what_found_nothing() -> None:
    form = SAMPLES / "forms" / "west-sussex" / "referral" / "referral-01.docx"
    proc = _run(str(form), "--board", "west-sussex", "--explain")
    assert proc.returncode == 0, proc.stderr
    assert "form: west-sussex/referral" in proc.stdout
    assert "child.full_name" in proc.stdout and "table 3 row 2 cell 2" in proc.stdout
    assert "Ethan" not in proc.stdout  # labels and places, never values


def test_unreadable_file_exits_2_with_one_line() -> None:
    for name in ("referral-bomb.docx", "letter-from-gp.docx", "referral.docx"):
        proc = _run(str(SAMPLES / "bad" / name), "--board", "west-sussex")
        assert proc.returncode == 2
        lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("mailbot:")]
        assert len(lines) == 1 and "Traceback" not in proc.stderr
