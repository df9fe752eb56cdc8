"""No child's or family member's personal data in the logs, ever.

Runs the whole sample flow with the real logging set-up at DEBUG and looks
for every name, address and date of birth the sample forms hold.
"""

from __future__ import annotations

import io
import json
import logging

from mailbot.commands.demo import deliver
from mailbot.daemon import drain
from mailbot.logs import setup_logging
from mailbot.seed import load_state
from tests.conftest import SAMPLES
from tests.flow.conftest import sample_emails


def _personal_values() -> set[str]:
    values: set[str] = set()

    def take(obj, keys):
        for key in keys:
            v = obj.get(key) if isinstance(obj, dict) else None
            if isinstance(v, str) and len(v) >= 4:
                values.add(v)
                values.update(line.strip() for line in v.split("\n") if len(line.strip()) >= 6)

    for path in SAMPLES.glob("forms/**/*.expected.json"):
        rec = json.loads(path.read_text("utf-8"))
        child = rec.get("child") or {}
        take(child, ["full_name", "surname", "other_names", "address", "previous_address", "date_of_birth"])
        for p in rec.get("parents", []) + rec.get("siblings", []):
            take(p, ["name", "address", "date_of_birth"])
        if child.get("date_of_birth"):
            y, m, d = child["date_of_birth"].split("-")
            values.add(f"{d}/{m}/{y}")
    return values


def test_sample_flow_logs_hold_no_personal_data(maildir_runtime):
    stream = io.StringIO()
    setup_logging("DEBUG", stream=stream)
    try:
        rt = maildir_runtime
        load_state(rt, SAMPLES / "emails" / "bot-state.json", SAMPLES)
        deliver(rt.data_dir / "mail" / rt.slug / "inbox", [raw for _f, _m, raw in sample_emails()], 1_700_000_000)
        while drain(rt).handled:
            pass
        # The safety net masks addresses, phone numbers and dates that slip into a log line.
        logging.getLogger("mailbot.test").info("from %s on %s tel %s", "parent@home.example", "01/02/2020", "07700 900123")
    finally:
        logging.getLogger().handlers[:] = []
    text = stream.getvalue()
    assert "mailbot.inbound" in text and "message " in text  # the flow did log
    leaked = sorted(v for v in _personal_values() if v in text)
    assert leaked == []
    assert "01/02/2020" not in text and "07700 900123" not in text and "<date>" in text
    assert "@" not in text.replace("<address>", "")
