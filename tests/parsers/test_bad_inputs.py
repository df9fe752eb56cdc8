"""Hostile and broken attachments are refused fast, in bounded memory.

Each bad file is parsed in a fresh subprocess with an address-space limit
(RLIMIT_AS), so a reader that inflated a bomb or expanded entities would
die there instead of passing; the child reports its time and peak RSS
(its own VmHWM).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import REPO, SAMPLES

BAD = SAMPLES / "bad"
MANIFEST = json.loads((BAD / "manifest.json").read_text(encoding="utf-8"))["files"]
KINDS = {"truncated": "damaged", "zip_bomb": "zip_bomb", "billion_laughs": "xml_entities",
         "not_a_form": "not_a_form", "empty": "empty"}
LIMIT_MB = 300

CHILD = textwrap.dedent("""
    import json, resource, sys, time
    limit = {limit} * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    sys.path.insert(0, {repo!r})
    from mailbot.errors import ParseError
    from parsers import parse_document
    from tests.parsers.helpers import all_mappings
    mappings = all_mappings()
    data = open({path!r}, "rb").read()
    start = time.perf_counter()
    try:
        parse_document(data, {name!r}, board="west-sussex", mappings=mappings)
        out = {{"kind": None}}
    except ParseError as err:
        out = {{"kind": err.kind, "reason": str(err)}}
    out["seconds"] = time.perf_counter() - start
    # VmHWM is this process's own peak: ru_maxrss would carry the parent's
    # high-water mark across fork and exec on Linux.
    hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
    out["rss_mb"] = int(hwm.split()[1]) / 1024
    print(json.dumps(out))
""")


@pytest.mark.parametrize("item", MANIFEST, ids=lambda i: i["file"])
def test_bad_input_refused_fast_with_reason(item: dict) -> None:
    path = BAD / item["file"]
    code = CHILD.format(limit=LIMIT_MB, repo=str(REPO), path=str(path), name=item["file"])
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["kind"] == KINDS[item["kind"]], out
    assert out["seconds"] < 5
    assert out["rss_mb"] < LIMIT_MB
    assert "\n" not in out["reason"] and out["reason"]
    if item["kind"] == "not_a_form":
        assert out["reason"] == "attachment is not a recognised form"
