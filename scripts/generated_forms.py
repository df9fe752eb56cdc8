"""Fill every shipped form mapping's questions thousands of ways; print fields right.

Each generated form lays one mapping's questions out in one layout and
fills them in one filling style throughout (``alone``) or a random style
per question (``combined``); the script parses each and prints the share
of fields right per filling style, per layout and per form, then the
first misses.  Seeded: the same arguments give the same forms.

    .venv/bin/python scripts/generated_forms.py [--forms 2000] [--seed 1] [--misses 30] [--no-blank]
        [--pdf 60] [--doc 30]   # also read that many as PDF / .doc (LibreOffice, one batch each)
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


def _converted(fmt: str, count: int, mappings: list, seed: int, tmp: Path, tally: Tally,
               with_blank: bool = True) -> None:
    """``count`` forms as LibreOffice's PDF or .doc export, scored under ``format:<fmt>``.

    A PDF keeps no check boxes and prints tracked deletions struck through, so
    its copies are filled in the styles a PDF can carry (typed marks, plain text).
    """
    from parsers import parse_document
    from tests.parsers.generate import wordxml as wx
    from tests.parsers.generate.build import Case, generate
    from tests.parsers.generate.convert import convert_all
    from tests.parsers.generate.score import score
    from tests.parsers.test_generated import PDF_LAYOUTS

    made = []
    ticks = wx.TEXT_TICKS  # cycled per round of mappings, so every form meets every tick style
    for n in range(count):
        mapping = mappings[n % len(mappings)]
        case = Case(layout=PDF_LAYOUTS[n % len(PDF_LAYOUTS)],
                    tick_style=ticks[n // len(mappings) % len(ticks)],
                    text_style="plain" if fmt == "pdf" else "mixed", sep="colon",
                    seed=seed * 7_000 + n)
        gen = generate(mapping, case)
        src = tmp / f"{fmt}-{n}.docx"
        src.write_bytes(gen.filled)
        blank = tmp / f"{fmt}-{n}-blank.docx"
        blank.write_bytes(gen.blank)
        used = mapping.model_copy(update={"blank_form": str(blank) if with_blank else None})
        made.append((used, case, gen, src))
    converted = convert_all([m[3] for m in made], fmt, tmp)
    own = Tally()  # folded into ``tally`` as format:<fmt>:<tag>, per layout, form and style
    for mapping, case, gen, src in made:
        data = converted.get(src)
        if data is None:
            continue
        result = parse_document(data, f"form.{fmt}", board=mapping.board, mappings=[mapping])
        score(mapping, gen, result.record.model_dump(mode="json"), own,
              [f"layout:{case.layout}", f"form:{mapping.id}"],
              f"{mapping.id}/{case.layout}/{fmt}/{case.seed}")
    for tag in own.total:
        name = f"format:{fmt}" if tag == "all" else f"format:{fmt}:{tag}"
        tally.total[name] += own.total[tag]
        tally.right[name] += own.right[tag]
    tally.misses += own.misses


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--forms", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--misses", type=int, default=30)
    ap.add_argument("--no-blank", action="store_true", help="parse without the blank form")
    ap.add_argument("--pdf", type=int, default=0, help="also read this many as PDF copies")
    ap.add_argument("--doc", type=int, default=0, help="also read this many as .doc copies")
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
        for fmt, count in (("pdf", args.pdf), ("doc", args.doc)):
            if count:
                _converted(fmt, count, mappings, args.seed, Path(tmp), tally, not args.no_blank)
    took = time.monotonic() - started
    print(f"{len(plan)} generated forms in {took:.0f} s; whole record right: {whole} "
          f"({100 * whole / max(len(plan), 1):.2f} %)")
    print("\n".join(tally.lines()))
    if tally.misses:
        print("\nfirst misses:")
        print("\n".join(tally.misses[: args.misses]))
    low = [t for t in tally.total if tally.right[t] < 0.995 * tally.total[t]]
    return 1 if low else 0


if __name__ == "__main__":
    sys.exit(main())
