"""The pack reads like a document a sub-group is handed (LibreOffice → PDF → PNG); the spreadsheet sorts."""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import subprocess
from pathlib import Path

import pdfplumber
import pytest
from openpyxl import load_workbook

from mailbot.pack.build import build_pack
from mailbot.pack.chronology import Chronology, Row, Source
from mailbot.pack.dates import read_when
from mailbot.pack.sheet import render_sheet
from tests.pack.conftest import REFERENCE, case_of
from tests.pack.test_chronology import merged


def reading_text(page) -> str:  # noqa: ANN001 - a pdfplumber page
    """The page's words in reading order, with line wrapping folded away.

    Text outside tables is read line by line; a table is read row by row and
    each cell whole, so a cell that wraps onto two lines ("Autumn" / "term")
    in one font and not in another reads the same either way, while text in
    the wrong order still reads wrong. Blocks are placed by their top edge.
    """
    tables = page.find_tables()
    blocks: list[tuple[float, str]] = []
    for table in tables:
        for row in table.extract():
            cells = [" ".join(cell.split()) for cell in row if cell]
            if cells:
                blocks.append((table.bbox[1], " ".join(cells)))

    def outside(obj: dict) -> bool:
        mid_x, mid_y = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return not any(t.bbox[0] <= mid_x <= t.bbox[2] and t.bbox[1] <= mid_y <= t.bbox[3] for t in tables)

    for line in page.filter(outside).extract_text_lines():
        blocks.append((line["top"], " ".join(line["text"].split())))
    blocks.sort(key=lambda block: block[0])  # stable: a table's rows keep their order
    return " ".join(text for _, text in blocks)


DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


def fonts_env(tmp_path: Path, fonts: str) -> dict[str, str] | None:
    """The machine's fonts, or only DejaVu (as on a machine without the Arial-metric Liberation fonts)."""
    if fonts == "installed":
        return None
    assert DEJAVU.is_dir(), "install fonts-dejavu-core"
    conf = tmp_path / "fonts.conf"
    conf.write_text(f'<?xml version="1.0"?><fontconfig><dir>{DEJAVU}</dir>'
                    f'<cachedir>{tmp_path / "fc-cache"}</cachedir></fontconfig>')
    return {**os.environ, "FONTCONFIG_FILE": str(conf)}


def render(tmp_path: Path, documents: dict[str, bytes],
           env: dict[str, str] | None = None) -> dict[str, tuple[list[str], list[Path]]]:
    """For each Word document: (the text of each PDF page, the PNG of each page). One LibreOffice run for all."""
    missing = [tool for tool in ("soffice", "pdftoppm") if not shutil.which(tool)]
    assert not missing, f"install {', '.join(missing)} (libreoffice-writer-nogui, poppler-utils) to render documents"
    for name, data in documents.items():
        (tmp_path / f"{name}.docx").write_bytes(data)
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path),
                    *(str(tmp_path / f"{name}.docx") for name in documents)], check=True, capture_output=True,
                   timeout=180, env=env)
    out = {}
    for name in documents:
        pdf = tmp_path / f"{name}.pdf"
        subprocess.run(["pdftoppm", "-png", "-r", "50", str(pdf), str(tmp_path / name)], check=True, timeout=60)
        with pdfplumber.open(pdf) as doc:
            pages = [reading_text(page) for page in doc.pages]
        out[name] = (pages, sorted(tmp_path.glob(f"{name}-*.png")))
    return out


@pytest.fixture
def built(eight):  # noqa: ANN001, ANN201
    with eight.store.session() as s:
        return build_pack(s, eight, case_of(s), "It is sent because every agency asked has now answered.")


@pytest.mark.slow
@pytest.mark.parametrize("fonts", ["installed", "dejavu-only"])
def test_the_pack_and_front_sheet_render_to_pdf_and_png_and_read_in_order(built, tmp_path, fonts):
    """The same reading whatever font LibreOffice finds: a cell that wraps in one font reads whole."""
    files = {f.filename: f.data for f in built.files}
    rendered = render(tmp_path, {"pack": files[f"{REFERENCE} scoping pack v1.docx"],
                                 "front": files[f"{REFERENCE} case front sheet.docx"]}, fonts_env(tmp_path, fonts))
    pages, images = rendered["pack"]
    assert len(images) == len(pages) >= 5
    text = " ".join(pages)
    assert "{{" not in text and "{%" not in text and "[[" not in text
    cover = pages[0]
    for words in ("Scoping pack", f"Case {REFERENCE}", "Case Review Sub-Group chair (Anita Verrall)",
                  "Asked 8: returned 8, not known to the agency 0, missing 0.", "Agencies", "Downland Academy"):
        assert words in cover, words
    for heading in ("1. Referral summary", "2. Agency returns", "2.8 West Sussex Youth Justice Service – chronology",
                    "3. Integrated chronology", "Undated entries", "Key dates and deadlines"):
        assert heading in text, heading
    chronology = text[text.index("3. Integrated chronology"):]
    order = ["NW released on", "New birth visit", "Spring 2025", "Dr Poppy", "June 2025", "Jul 25", "Autumn term",
             "Licence review", "Neighbour reported", "Call from PN", "GP informed", "Emergency", "section 47",
             "Records checked", "Undated entries", "Anonymous call", "Designated nurse"]
    at = [chronology.index(words) for words in order]
    assert at == sorted(at), [w for w, i in sorted(zip(order, at), key=lambda x: x[1])]
    assert "≈ S1: possibly the same event as no. 18" in chronology
    assert "≈ S1: possibly the same event as no. 14" in chronology
    for name in ("Poppy Newbold", "Neil Whitcombe", "Ethan", "Shannon"):
        assert name not in chronology, name
    key = text[text.index("Family members and the initials used in this pack"):text.index("2. Agency returns")]
    assert "PN Poppy Newbold mother" in key and "NW Neil Whitcombe mother's partner" in key
    sheet_pages, sheet_images = rendered["front"]
    assert len(sheet_pages) == len(sheet_images) == 1  # one page, as Swindon's file front sheet
    for words in ("CASE FILE FRONT SHEET", "Notification received", "Scoping returns due from agencies",
                  "10 working days after the", "Chair's decision on a", "Sub-group chair Anita Verrall"):
        assert words in sheet_pages[0], words


def test_the_spreadsheet_has_every_row_sortable_and_filterable():
    wb = load_workbook(io.BytesIO(render_sheet(merged(), [("Case", REFERENCE)])))
    ws = wb["Chronology"]
    rows = list(ws.iter_rows(values_only=True))
    head, body = rows[0], rows[1:]
    assert head[:4] == ("No.", "Sorted as", "Date as written", "Precision") and len(body) == 21
    assert ws.auto_filter.ref == "A1:O22" and ws.freeze_panes == "C2"
    dated = [r for r in body if r[3] != "undated"]
    assert [r[1] for r in dated] == sorted(r[1] for r in dated)
    assert (dated[4][1], dated[4][2], dated[4][3]) == (dt.datetime(2025, 6, 1), "June 2025 approx", "month")
    undated = [(r[0], r[1], r[2]) for r in body if r[3] == "undated"]
    assert undated == [(20, None, "N/K"), (21, None, "date not recorded")]
    marked = {r[0]: (r[13], r[14]) for r in body if r[13]}
    assert marked == {14: ("18", "S1"), 18: ("14", "S1")}
    assert ws["B2"].number_format == "dd/mm/yyyy"
    assert "Designated nurse advice" in " ".join(str(c) for r in body for c in r if c)
    assert wb["About"]["A1"].value == "Case" and wb["About"]["B1"].value == REFERENCE


def test_text_that_looks_like_a_formula_stays_text():
    src = Source(0, 1, "chronology", "Sussex Police", {}, "c.docx", None)
    row = Row(read_when("2025-01-02", None, dt.date(2026, 1, 1)), None, "Sussex Police", "Sussex Police", "EN",
              None, '=HYPERLINK("http://evil.example","click") & <b>', None, None, src, 0, number=1)
    ws = load_workbook(io.BytesIO(render_sheet(Chronology([row], []), [])))["Chronology"]
    assert ws["J2"].data_type == "s" and ws["J2"].value == '=HYPERLINK("http://evil.example","click") & <b>'


def test_a_board_replaces_a_pack_template_and_keeps_the_others(tmp_path):
    from types import SimpleNamespace

    from docx import Document

    from mailbot.pack.render import render_front_sheet, template_path

    folder = tmp_path / "board-templates" / "documents" / "pack"
    folder.mkdir(parents=True)
    doc = Document()
    doc.add_paragraph("Our own front sheet for {{ case_reference }}")
    doc.save(folder / "front_sheet.docx")
    board = SimpleNamespace(config=SimpleNamespace(templates=str(tmp_path / "board-templates")),
                            resolve_path=lambda p: Path(p))
    rt = SimpleNamespace(board=board)
    assert template_path(rt, "front_sheet") == folder / "front_sheet.docx"
    assert template_path(rt, "scoping_pack").parent != folder
    data = render_front_sheet(rt, {"case_reference": REFERENCE})
    assert Document(io.BytesIO(data)).paragraphs[0].text == f"Our own front sheet for {REFERENCE}"
