"""The demo's pack step: the business manager's PACK email, the pack sent, the files written; once only."""

from __future__ import annotations

from mailbot.demo.pack import demo_pack
from tests.flow.conftest import START
from tests.pack.conftest import REFERENCE, packs


def test_the_demo_asks_for_the_pack_by_email_and_never_sends_it_twice(rt):
    lines = demo_pack(rt, REFERENCE, START)
    assert lines[0] == f"The business manager emailed 'PACK {REFERENCE}': mailbot made the pack and sent it."
    assert "crsg.chair@westsussex-scb.example, businessmanager@westsussex-scb.example" in lines[1]
    written = sorted(p.name for p in (rt.data_dir / "packs" / REFERENCE).iterdir())
    assert written == [f"{REFERENCE} case front sheet.docx", f"{REFERENCE} integrated chronology v1.xlsx",
                       f"{REFERENCE} scoping pack v1.docx"]
    again = demo_pack(rt, REFERENCE, START)
    assert "on an earlier run: nothing is sent twice" in again[0] and len(packs(rt)) == 1
