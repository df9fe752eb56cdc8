"""Parse time per .docx and per PDF page, beside the floor of the same files.

``parse`` is what intake does with an attachment: ``parse_document`` (size
and type checks, the zip-bomb and entity checks, reading, recognising the
form, the mapping, the record's validation). The floor is the least any
reader of the same file must do:

- .docx: unzip it and parse every XML part with lxml (no reading at all);
- PDF: pdfplumber's own ``extract_text`` and ``extract_tables`` of every page.

Each figure is the median of ``--runs`` timed runs after one warm-up, the
parse and its floor timed in turn so that both see the same machine load;
files are every sample form (``shared/samples/forms``) but the encrypted
copies (their cost is the password's key derivation, shown apart with
``--extra``, as is the legacy .doc, whose cost is LibreOffice's).

    python benchmarks/parse_speed.py [--runs 15] [--extra]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
import zipfile
from pathlib import Path

import pdfplumber
from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import REPO, SAMPLES, print_machine  # noqa: E402

from parsers import load_mappings, parse_document  # noqa: E402

TARGET_DOCX = 5.0
TARGET_PDF = 1.2


def median_ms(fn, runs: int) -> float:  # noqa: ANN001
    fn()  # warm up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def paired_ms(fn, floor, runs: int) -> tuple[float, float]:  # noqa: ANN001
    """Medians of ``fn`` and ``floor`` timed in turn, so both see the same machine load."""
    fn()
    floor()
    a, b = [], []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        mid = time.perf_counter()
        floor()
        a.append(mid - start)
        b.append(time.perf_counter() - mid)
    return statistics.median(a) * 1000, statistics.median(b) * 1000


def docx_floor(data: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            if name.endswith((".xml", ".rels")):
                etree.fromstring(zf.read(name))


def pdf_floor(data: bytes) -> None:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            page.extract_text()
            page.extract_tables()


def file_password(form: Path) -> str | None:
    """A protected sample's password, recorded beside it (``_password``)."""
    meta = form.with_name(form.name + ".expected.json")
    try:
        return json.loads(meta.read_text()).get("_password")
    except (OSError, ValueError):
        return None


def pdf_pages(data: bytes) -> int:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return len(pdf.pages)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("runs", nargs="?", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--runs", dest="runs_opt", type=int, default=15)
    ap.add_argument("--extra", action="store_true", help="also time .doc and password-protected copies")
    args = ap.parse_args()
    runs = args.runs or args.runs_opt
    print_machine()
    print(f"median of {runs} runs after a warm-up\n")
    rows: dict[str, list[tuple[str, float, float]]] = {"docx": [], "pdf": []}
    extra: list[tuple[str, float]] = []
    print(f"{'file':52} {'parse':>9} {'floor':>9} {'ratio':>6}")
    for form in sorted((SAMPLES / "forms").rglob("*")):
        if form.suffix not in (".docx", ".pdf", ".doc"):
            continue
        board = form.parts[-3]
        mappings = load_mappings(sorted((REPO / "config" / "forms" / board).glob("*.yaml")))
        data = form.read_bytes()
        label = f"{form.parent.name}/{form.name}"

        password = file_password(form)

        def parse(data: bytes = data, name: str = form.name, board: str = board, mappings=mappings,  # noqa: ANN001
                  password: str | None = password) -> None:
            parse_document(data, name, board=board, mappings=mappings, passwords=[password] if password else [])

        if "protected" in form.name or form.suffix == ".doc":
            if args.extra:
                extra.append((label, median_ms(parse, max(3, runs // 5))))
            continue
        if form.suffix == ".docx":
            parse_ms, floor_ms = paired_ms(parse, lambda d=data: docx_floor(d), runs)
            unit = "per file"
            rows["docx"].append((label, parse_ms, floor_ms))
        else:
            pages = pdf_pages(data)
            parse_ms, floor_ms = (x / pages for x in paired_ms(parse, lambda d=data: pdf_floor(d), runs))
            unit = f"per page ({pages} pages)"
            rows["pdf"].append((label, parse_ms, floor_ms))
        print(f"{label:52} {parse_ms:7.1f}ms {floor_ms:7.1f}ms {parse_ms / floor_ms:5.2f}x  {unit}", flush=True)
    print()
    for kind, target in (("docx", TARGET_DOCX), ("pdf", TARGET_PDF)):
        got = rows[kind]
        if not got:
            continue
        parse_med = statistics.median(p for _, p, _ in got)
        floor_med = statistics.median(f for _, _, f in got)
        ratios = [p / f for _, p, f in got]
        unit = "per file" if kind == "docx" else "per page"
        print(f"{kind} ({len(got)} files): parse median {parse_med:.1f} ms {unit}, floor median {floor_med:.1f} ms; "
              f"ratio median {statistics.median(ratios):.2f}x, worst {max(ratios):.2f}x; "
              f"target <= {target}x -> {'MET' if max(ratios) <= target else 'MISSED'}")
    for label, parse_ms in extra:
        print(f"extra: {label:52} {parse_ms:7.1f} ms per file")


if __name__ == "__main__":
    main()
