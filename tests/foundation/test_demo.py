"""`mailbot demo` from a clean workspace, and again: nothing handled twice."""

from __future__ import annotations

import re
import subprocess
import sys


def _demo(workspace, samples):
    return subprocess.run([sys.executable, "-m", "mailbot.cli", "demo", "--workspace", str(workspace),
                           "--samples", str(samples)], capture_output=True, text=True, timeout=600)


def _count(pattern, text):
    m = re.search(pattern, text)
    assert m, pattern
    return int(m.group(1))


def test_demo_runs_and_reruns_without_doing_anything_twice(tmp_path, samples_dir):
    first = _demo(tmp_path / "ws", samples_dir)
    assert first.returncode == 0, first.stderr[-2000:]
    out = first.stdout
    assert "Traceback" not in first.stderr
    assert _count(r"Messages handled this run: (\d+)", out) == 14
    assert _count(r"Cases opened: (\d+)", out) == 2
    assert "WS-2026-0002" in out and "WS-2026-0003" in out
    assert _count(r"Records parsed from attachments: (\d+)", out) == 4
    sent = _count(r"Emails sent: (\d+)", out)
    assert sent >= 20 and "scoping_request" in out and "acknowledgement" in out
    assert "Held for attention:" in out
    # Stage 2 with the clock moved forward: requests, a return, reminders, PUBLISH by email, the Chair's approval.
    assert _count(r"with it went (\d+) stage-2 requests", out) == 16
    assert "returned its management report on the request's thread: 1 thanks sent" in out
    assert _count(r": (\d+) chronology reminders sent", out) == 8
    assert "it has gone to the Chair for approval" in out
    assert "The Chair approved it: 'Serious case review report before publication" in out
    outbox = tmp_path / "ws" / "mail" / "west-sussex" / "outbox"
    files = sorted(p.name for p in (outbox / "new").iterdir())
    assert len(files) >= sent
    deadlines = out.split("Deadlines, met or missed")[1]
    # The decision recorded on 16/02/2026 and the notification the Chair approved that day: met.
    assert re.search(r"met +Chair's decision on a serious case review \(statutory\): due 19/02/2026, "
                     r"done 16/02/2026, met with 3 days to spare", deadlines)
    assert re.search(r"met +Ofsted, DfE and the National Panel told of the SCR decision \(statutory\): "
                     r"due 23/02/2026, done 16/02/2026, met with 5 working days to spare", deadlines)
    # Returns the seeded case's agencies never sent: missed, counted in the rule's working days.
    assert re.search(r"MISSED Scoping returns due from agencies: due 02/02/2026, overdue by \d+ working days",
                     deadlines)

    second = _demo(tmp_path / "ws", samples_dir)
    assert second.returncode == 0, second.stderr[-2000:]
    assert _count(r"Messages handled this run: (\d+)", second.stdout) == 0
    assert "14 recognised as already handled" in second.stdout
    assert sorted(p.name for p in (outbox / "new").iterdir()) == files


def test_the_demo_shows_a_held_message_settled_by_the_business_managers_reply(tmp_path, samples_dir):
    out = _demo(tmp_path / "ws", samples_dir).stdout
    part = out.split("A held message, settled by the business manager's reply:", 1)[1]
    assert "HOLD-" in part and "replied 'NOT KNOWN'" in part and "is now 'not known'" in part
    again = _demo(tmp_path / "ws", samples_dir).stdout
    assert "already done on an earlier run" in again.split("settled by the business manager's reply:", 1)[1]
