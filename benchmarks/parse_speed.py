"""Parse speed beside its floor, per .docx and per PDF page.

The floor for a .docx is unzipping it and parsing every XML part with lxml
(no reading at all); for a PDF it is pdfplumber's own text and table
extraction of each page.  Run: ``python benchmarks/parse_speed.py [N]``.
"""

from __future__ import annotations

import io
import os
import platform
import statistics
import sys
import time
import zipfile
from pathlib import Path

import pdfplumber
from lxml import etree

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from parsers import load_mappings, parse_document  # noqa: E402

SAMPLES = Path(os.environ.get("MAILBOT_SAMPLES", REPO.parent / "shared" / "samples"))


def median_ms(fn, runs: int) -> float:
    fn()  # warm up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


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


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    print(f"machine: {machine()}")
    print(f"median of {runs} runs\n")
    ratios: dict[str, list[float]] = {"docx": [], "pdf": []}
    print(f"{'file':45} {'parse':>10} {'floor':>10} {'ratio':>6}")
    for form in sorted((SAMPLES / "forms").rglob("*")):
        if form.suffix not in (".docx", ".pdf") or "protected" in form.name:
            continue
        board = form.parts[-3]
        mappings = load_mappings(sorted((REPO / "config" / "forms" / board).glob("*.yaml")))
        data = form.read_bytes()
        parse = median_ms(lambda: parse_document(data, form.name, board=board,
                                                 mappings=mappings), runs)
        if form.suffix == ".docx":
            floor, unit = median_ms(lambda: docx_floor(data), runs), "per file"
        else:
            with pdfplumber.open(io.BytesIO(data)) as pdf:
                pages = len(pdf.pages)
            floor = median_ms(lambda: pdf_floor(data), runs) / pages
            parse /= pages
            unit = f"per page ({pages} pages)"
        ratio = parse / floor
        ratios[form.suffix[1:]].append(ratio)
        print(f"{form.parent.name + '/' + form.name:45} {parse:8.1f}ms {floor:8.1f}ms "
              f"{ratio:5.2f}x  {unit}")
    for kind, values in ratios.items():
        if values:
            print(f"\n{kind}: median ratio to floor {statistics.median(values):.2f}x "
                  f"(max {max(values):.2f}x)")


if __name__ == "__main__":
    main()
