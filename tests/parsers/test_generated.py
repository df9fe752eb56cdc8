"""Generated forms: every shipped mapping's questions, every layout and filling style.

Each test generates forms (seeded, so every run sees the same ones) that
lay a shipped mapping's questions out in one of six layouts and fill them
in the contract's styles, alone and combined, then checks that the whole
record comes out exactly as the answers typed say it must.  The parser
is given the generated blank form, as a board's mapping names its own.
One layout writes repeating tables as numbered blocks read by `repeat:`.
A few forms are also read as PDF and as .doc (LibreOffice exports).
``scripts/generated_forms.py`` runs thousands and reports per style.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest

from parsers import parse_document
from tests.parsers.generate import wordxml as wx
from tests.parsers.generate.build import Case, generate
from tests.parsers.generate.convert import convert_all
from tests.parsers.generate.layouts import LAYOUTS
from tests.parsers.generate.score import Tally, run_case, score
from tests.parsers.helpers import all_mappings

MAPPINGS = {m.id: m for m in all_mappings()}
PDF_LAYOUTS = ("table_right", "table_below", "two_per_row", "para_below")
#: Fields right on the PDF copies (measured 2026-12-08: 100 % of these six forms;
#: the script's ``--pdf 150`` reads 100 % on seeds 1, 3, 7, 11 and 99.97 % on 13, page
#: breaks in tables settled by ``parsers.seams``).
PDF_FLOOR = 0.995
PER_TEST = 7  # forms per (mapping, layout): 6 x 7 x 7 = 294 in all
VARIANTS = [{}, {"text_style": "mixed", "tick_style": "mixed"}, {"sep": "nothing"},
            {"tick_style": "yesno"}, {"tick_style": "bracket"}, {"text_style": "tracked"},
            {"date_style": "Month d, yyyy"}]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("form_id", sorted(MAPPINGS))
def test_generated_forms_read_exactly(form_id: str, layout: str, tmp_path: Path) -> None:
    tally = Tally()
    wrong = []
    for n, variant in enumerate(VARIANTS[:PER_TEST]):
        seed = zlib.crc32(f"{form_id}/{layout}".encode()) % 10_000 + n  # str hash() varies per run
        case = Case(layout=layout, seed=seed, **variant)
        ok, _, _ = run_case(MAPPINGS[form_id], case, tmp_path, tally)
        if not ok:
            wrong.append(case)
    assert not wrong, "\n".join(tally.misses)
    assert tally.total["all"] > 0 and tally.right["all"] == tally.total["all"]


def test_printed_text_is_never_an_answer(tmp_path: Path) -> None:
    """A question printed longer than its mapping's label, answered with no separator:
    without the blank form the printed second sentence reads as the answer's start;
    with it every field is right (the blank form is what makes the difference)."""
    mapping = MAPPINGS["bathnes/notification-request"]
    spec = mapping.fields["linked_cases"]
    longer = spec.model_copy(update={"labels": [spec.labels[0] + " Give their case numbers"]})
    printed = mapping.model_copy(update={"fields": {**mapping.fields, "linked_cases": longer}})
    gen = generate(printed, Case(layout="same_cell", sep="nothing", seed=106))
    (tmp_path / "blank.docx").write_bytes(gen.blank)
    tallies = {}
    for blank_form in (str(tmp_path / "blank.docx"), None):
        used = mapping.model_copy(update={"blank_form": blank_form})
        result = parse_document(gen.filled, "form.docx", board=mapping.board, mappings=[used])
        tallies[blank_form] = tally = Tally()
        score(mapping, gen, result.record.model_dump(mode="json"), tally, [])
    with_blank, without = tallies.values()
    assert with_blank.right["all"] == with_blank.total["all"], with_blank.misses
    assert [m.split()[0] for m in without.misses] == ["linked_cases"]


@pytest.fixture(scope="session")
def converted(tmp_path_factory: pytest.TempPathFactory) -> list[tuple]:
    """One generated form per mapping, as PDF and as .doc (one LibreOffice call each)."""
    work = tmp_path_factory.mktemp("lo")
    made = []
    for n, mapping in enumerate(MAPPINGS.values()):
        # A PDF keeps no check boxes and prints tracked deletions struck through:
        # its copies are filled in the styles a PDF can carry.
        case = Case(layout=PDF_LAYOUTS[n % len(PDF_LAYOUTS)], tick_style=wx.TEXT_TICKS[n % 6],
                    text_style="plain", sep="colon", seed=500 + n)
        gen = generate(mapping, case)
        src = work / f"form{n}.docx"
        src.write_bytes(gen.filled)
        made.append((mapping, case, gen, src))
    pdfs = convert_all([m[3] for m in made], "pdf", work)
    docs = convert_all([m[3] for m in made[:2]], "doc", work)
    return [(m, c, g, pdfs.get(src), docs.get(src)) for m, c, g, src in made]


def test_pdf_and_doc_copies_read_as_the_docx(converted: list[tuple], tmp_path: Path) -> None:
    pdf_dir = tmp_path
    assert all(pdf for *_, pdf, _ in converted), "LibreOffice made every PDF"
    tally = Tally()
    for mapping, case, gen, pdf, doc in converted:
        for data, name in ((pdf, "form.pdf"), (doc, "form.doc")):
            if data is None:
                continue
            blank = pdf_dir / f"{id(gen)}-blank.docx"
            blank.write_bytes(gen.blank)
            used = mapping.model_copy(update={"blank_form": str(blank)})
            result = parse_document(data, name, board=mapping.board, mappings=[used])
            score(mapping, gen, result.record.model_dump(mode="json"), tally,
                  [name], f"{mapping.id}/{case.layout}/{name}")
    assert tally.total["form.doc"] > 0
    assert tally.right["form.doc"] == tally.total["form.doc"], tally.misses
    print(f"PDF fields right: {tally.right['form.pdf']}/{tally.total['form.pdf']}")
    assert tally.right["form.pdf"] >= PDF_FLOOR * tally.total["form.pdf"], tally.misses
