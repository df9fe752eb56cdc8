"""Hostile mail through the real intake, in bounded memory: every message kept, explained, and survived.

Every bad attachment of the sample corpus and a set of malformed messages
(bad boundaries, broken encodings, huge and countless headers, 1,000
attachments, deep nesting, floods, a message over 100 MB, binary garbage)
go, with genuine mail between them, through the daemon's own loop in a child
process whose address space is capped (RLIMIT_AS) well below what inflating
the zip bomb would take. Each must end in the ledger with its designed kind
and a one-line reason, in the right folder, with the business manager told
and the sender told only when the sender is a known agency — and the loop
must reach the genuine mail after them.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from tests.conftest import REPO
from tests.hostile.messages import HELD, HOSTILE, POLICE

LIMIT_MB = 640
BM = "businessmanager@westsussex-scb.example"
TRACEBACK = re.compile(r"Traceback|File \"|line \d+, in |Error:|Exception")


@pytest.fixture(scope="module")
def outcome(tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("hostile")
    proc = subprocess.run([sys.executable, "-m", "tests.hostile.intake_child", str(work), str(LIMIT_MB)],
                          capture_output=True, text=True, timeout=240, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_every_message_is_recorded_once_and_the_loop_reaches_the_genuine_mail(outcome):
    assert len(outcome["ledger"]) == len(HOSTILE)
    assert outcome["folders"][""] == 0  # nothing left in the inbox, nothing lost
    held = sum(1 for _n, _b, expected in HOSTILE if expected[1] == HELD)
    assert outcome["folders"][".needs-attention"] == held
    assert outcome["folders"][".processed"] == len(HOSTILE) - held


@pytest.mark.parametrize("index", range(len(HOSTILE)), ids=[name for name, _b, _e in HOSTILE])
def test_each_hostile_message_gets_its_designed_outcome_and_one_line_reason(outcome, index):
    _name, _build, (kind, folder, fragment, _told) = HOSTILE[index]
    row = outcome["ledger"][index]
    assert (row["kind"], row["outcome"]) == (kind, folder)
    assert row["kind"] != "error"  # never the catch-all: each case is a designed refusal
    if folder == HELD:
        reason = row["reason"]
        assert fragment in reason and "\n" not in reason and len(reason) <= 200
        assert not TRACEBACK.search(reason)
    if kind in ("unknown_sender", "unreadable_message"):
        assert row["case_id"] is None


def test_the_business_manager_is_told_of_every_held_message_and_the_sender_only_when_known(outcome):
    held = [e for _n, _b, e in HOSTILE if e[1] == HELD]
    notices = [m for m in outcome["outbox"] if m["kind"] == "notice"]
    assert len(notices) == len(held) and all(m["to"] == [BM] for m in notices)
    told = [m for m in outcome["outbox"] if m["kind"] == "unreadable_notice"]
    expected = [e[2] for e in held if e[3]]
    assert len(told) == len(expected) and all(m["to"] == [POLICE] for m in told)
    for message, fragment in zip(told, expected):
        assert fragment in message["body"] and not TRACEBACK.search(message["body"])
    everyone = {a for m in outcome["outbox"] for a in m["to"]}
    assert everyone <= {BM, POLICE, "dsl@downland-academy.example"}  # no unknown sender is ever answered
    assert all(m["status"] == "sent" for m in outcome["outbox"])


def test_hostile_mail_costs_bounded_time_and_memory(outcome):
    assert outcome["seconds"] < 45
    assert outcome["rss_mb"] < LIMIT_MB
