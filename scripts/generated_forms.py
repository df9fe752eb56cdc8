"""Fill every shipped form mapping's questions thousands of ways; print fields right.

Each generated form lays one mapping's questions out in one layout and
fills them in one filling style throughout (``alone``) or a random style
per question (``combined``); the script parses each and prints the share
of fields right per filling style, per layout and per form, then the
first misses.  Seeded: the same arguments give the same forms.

    .venv/bin/python scripts/generated_forms.py [--forms 2000] [--seed 1] [--misses 30]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.parsers.generate import cases  # noqa: E402
from tests.parsers.generate.score import Tally, run_case  # noqa: E402
from tests.parsers.helpers import all_mappings  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--forms", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--misses", type=int, default=30)
    ap.add_argument("--no-blank", action="store_true", help="parse without the blank form")
    args = ap.parse_args()
    mappings = all_mappings()
    tally = Tally()
    whole = 0
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        plan = cases.plan(mappings, args.forms, args.seed)
        for mapping, case in plan:
            ok, _, _ = run_case(mapping, case, Path(tmp), tally, with_blank=not args.no_blank)
            whole += ok
    took = time.monotonic() - started
    print(f"{len(plan)} generated forms in {took:.0f} s; whole record right: {whole} "
          f"({100 * whole / len(plan):.2f} %)")
    print("\n".join(tally.lines()))
    if tally.misses:
        print("\nfirst misses:")
        print("\n".join(tally.misses[: args.misses]))
    low = [t for t in tally.total if tally.right[t] < 0.995 * tally.total[t]]
    return 1 if low else 0


if __name__ == "__main__":
    sys.exit(main())
