"""How long a scoping pack takes for a 5,000-row integrated chronology.

Builds a fictional case on the West Sussex sample board (eight agencies,
each sending a chronology of 625 rows: exact dates with and without times,
approximate dates, undated rows, family names to replace with initials, and
events two agencies both report), stores it in a fresh SQLite database and
times ``send_pack``: reading the case, merging and marking the chronology,
the Word pack, the spreadsheet, the front sheet, storing the files and
queueing the email. The target is under 10 seconds.

Run: ``python benchmarks/pack_speed.py [ROWS] [RUNS]`` (default 5000 rows, 3 runs).
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mailbot.config import load_board  # noqa: E402
from mailbot.runtime import FixedClock, build_runtime  # noqa: E402
from mailbot.store.db import open_store, sqlite_url  # noqa: E402
from mailbot.store.models import Case, Record, ScopingRequest  # noqa: E402

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)
TEXTS = ["Home visit; {m} seen with {c}. Home conditions poor.", "Telephone call from {m} about rent arrears.",
         "{c} not brought to the clinic appointment.", "Strategy discussion held about {c}; section 47 agreed.",
         "Referral received from school: {c} arrived hungry.", "Officers attended a report of shouting; {m} spoke."]
WHEN = ["{d:%d/%m/%y}", "{d:%d/%m/%Y}", "{d:%B %Y} approx", "Spring {d:%Y}", "{d:%Y}", "N/K"]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{platform.node()} | {cpu} | {os.cpu_count()} CPUs | {platform.system()} "
            f"{platform.release()} | Python {platform.python_version()}")


def referral() -> dict:
    return {"form_type": "referral", "board": "west-sussex", "form": "west-sussex/referral",
            "child": {"full_name": "Amelia Thornbury", "date_of_birth": "2021-05-04"},
            "parents": [{"relationship": "mother", "name": "Kerry Thornbury"},
                        {"relationship": "father", "name": "Dean Ashgrove"}],
            "siblings": [{"name": "Rhys Thornbury"}], "case_outline": "Amelia was admitted to hospital."}


def entries(rng: random.Random, agency: str, n: int) -> list[dict]:
    out = []
    for i in range(n):
        day = dt.date(2016, 1, 1) + dt.timedelta(days=rng.randrange(3650))
        form = WHEN[0] if i % 10 < 6 else rng.choice(WHEN)
        text = rng.choice(TEXTS).format(m="Kerry Thornbury", c="Amelia")
        out.append({"subject": rng.choice(["AT", "KT", "Amelia Thornbury"]), "date_text": form.format(d=day),
                    "date": day.isoformat() if form.startswith("{d:%d") else None,
                    "time": rng.choice([None, None, "am", "pm", f"{rng.randrange(24):02d}:{rng.randrange(60):02d}"]),
                    "agency": f"{agency} – {rng.choice(['Duty team', 'PC Leah Whitcombe', 'Dr Olu Banjo'])}",
                    "contact_type": rng.choice(["Visit", "Telephone call", "Letter", "Meeting"]),
                    "text": text, "action_taken": "Recorded; shared with partners.",
                    "family_present": rng.choice([None, "Kerry Thornbury, AT"])})
    return out


def make_case(rt, rows: int) -> int:  # noqa: ANN001
    rng = random.Random(7)
    agencies = [a.name for a in rt.board.config.agencies]
    with rt.store.transaction() as s:
        case = Case(board=rt.slug, reference="WS-2026-0900", year=2026, seq=900, stage="scoping", status="open",
                    opened_at=NOW.replace(tzinfo=None) - dt.timedelta(days=20), notified_on=dt.date(2026, 2, 9))
        s.add(case)
        s.flush()
        s.add(Record(board=rt.slug, case_id=case.id, form_type="referral", form_id="west-sussex/referral",
                     data=referral(), created_at=case.opened_at))
        for i, agency in enumerate(agencies):
            s.add(ScopingRequest(case_id=case.id, agency=agency, contact_email=f"a{i}@agency.example",
                                 message_id=f"<bench-{i}@x.example>", requested_at=case.opened_at,
                                 due_on=dt.date(2026, 2, 23), status="returned", answered_at=case.opened_at))
            data = {"form_type": "chronology", "board": "west-sussex", "form": "swindon/chronology",
                    "agency": agency, "case_reference": None,
                    "entries": entries(rng, agency, rows // len(agencies) + (i < rows % len(agencies)))}
            s.add(Record(board=rt.slug, case_id=case.id, form_type="chronology", form_id="swindon/chronology",
                         agency=agency, data=data, created_at=case.opened_at))
        return case.id


def main() -> None:
    from mailbot.pack.send import send_pack

    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    print(f"machine: {machine()}")
    times, result = [], None
    for run in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            store = open_store(sqlite_url(Path(tmp) / "bench.db"))
            rt = build_runtime(load_board("west-sussex", REPO / "config"), store, Path(tmp) / "data", FixedClock(NOW))
            case_id = make_case(rt, rows)
            start = time.perf_counter()
            with store.transaction() as s:
                result = send_pack(s, rt, s.get(Case, case_id), "request_cli")
            times.append(time.perf_counter() - start)
            rt.close()
            store.dispose()
        print(f"run {run + 1}: {times[-1]:.2f} s")
    assert result is not None and result.status == "sent"
    sizes = ", ".join(f"{name.rsplit(' ', 1)[-1]} {len(data) / 1024:.0f} KB" for name, data in result.files)
    print(f"{result.rows} dated + {result.undated} undated rows, {result.groups} same-event groups; files: {sizes}")
    print(f"pack for {rows} rows: median {statistics.median(times):.2f} s, best {min(times):.2f} s "
          f"over {runs} runs (target: under 10 s)")


if __name__ == "__main__":
    main()
