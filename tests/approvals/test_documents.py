"""The drafted Word documents render (LibreOffice → PDF → PNG) and read like the seeds' letters."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pdfplumber
import pytest
from docx import Document
from sqlalchemy import select

from mailbot.config import Board
from mailbot.runtime import build_runtime
from mailbot.store.models import Case
from mailbot.workflow.decisions import document_context
from mailbot.workflow.drafts import render_document, template_path

KEY_SENTENCES = {
    "scr_notification": ["Notification of a decision to initiate a Serious Case Review",
                         "I am writing to notify you that on 10 February 2026 I decided that a Serious Case "
                         "Review should be undertaken in this case.",
                         "The lead reviewer has not yet been appointed."],
    "agencies_letter": ["Letter informing LSCB agencies that a Serious Case Review is to be undertaken",
                        "I am writing to inform you I have decided that a Serious Case Review should be "
                        "undertaken on the above case.",
                        "Please ensure that your agency's records about this child and family are secured",
                        "Thank you for your co-operation."],
    "no_scr_notification": ["decided that this case does not meet the criteria for a Serious Case Review",
                            "A copy of the local authority's serious incident notification is enclosed.",
                            "No harm was attributable to abuse or neglect."],
}


def _context(rt, kind: str) -> dict:  # noqa: ANN001
    with rt.store.session() as s:
        case = s.scalar(select(Case).where(Case.reference == "WS-2026-0001"))
        return {**document_context(rt, case, addressees="Ofsted; DfE; the National Panel",
                                   reasons="No harm was attributable to abuse or neglect."
                                   if kind == "no_scr_notification" else None), "title": kind}


def _pdf_text(tmp_path: Path, name: str, data: bytes) -> str:
    src = tmp_path / f"{name}.docx"
    src.write_bytes(data)
    profile = tmp_path / "lo-profile"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(src)], check=True, capture_output=True, timeout=180)
    pdf = tmp_path / f"{name}.pdf"
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(pdf), str(tmp_path / name)], check=True, timeout=60)
    assert list(tmp_path.glob(f"{name}-*.png")), "no page image"
    with pdfplumber.open(pdf) as doc:
        return " ".join(" ".join((page.extract_text() or "").split()) for page in doc.pages)


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(KEY_SENTENCES))
def test_documents_render_to_pdf_and_png(rt, tmp_path, kind):
    # scripts/test installs both; a machine without them fails here, never skips.
    missing = [tool for tool in ("soffice", "pdftoppm") if not shutil.which(tool)]
    assert not missing, f"install {', '.join(missing)} (libreoffice-writer-nogui, poppler-utils) to render documents"
    text = _pdf_text(tmp_path, kind, render_document(rt, kind, _context(rt, kind)))
    for sentence in KEY_SENTENCES[kind]:
        assert sentence in text, sentence
    assert "West Sussex Safeguarding Children Board" in text and "CONFIDENTIAL" in text
    assert "Re: Ethan Newbold, d.o.b. 17/04/2025" in text
    assert "Dr Rosalind Ashcombe" in text and "{{" not in text and "{%" not in text


def test_every_template_renders_without_leftover_tags(rt):
    for kind in [*KEY_SENTENCES, "letter"]:
        data = render_document(rt, kind, {**_context(rt, kind), "body": ["A paragraph."]})
        text = "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
        assert "{{" not in text and "{%" not in text and "WS-2026-0001" in text


def test_a_board_replaces_a_document_template(rt, tmp_path, store):
    folder = tmp_path / "board-templates" / "documents"
    folder.mkdir(parents=True)
    doc = Document()
    doc.add_paragraph("Our own letterhead for {{ case_reference }}")
    doc.save(folder / "scr_notification.docx")
    cfg = rt.board.config.model_copy(update={"templates": str(tmp_path / "board-templates")})
    own = build_runtime(Board(config=cfg, path=rt.board.path, form_mappings=rt.board.form_mappings,
                              calendar=rt.board.calendar, regime=rt.board.regime),
                        store, tmp_path / "data2", rt.clock)
    assert template_path(own, "scr_notification") == folder / "scr_notification.docx"
    assert template_path(own, "agencies_letter").parent != folder  # the rest stay the shipped ones
    data = render_document(own, "scr_notification", {"case_reference": "WS-2026-0001"})
    assert "Our own letterhead for WS-2026-0001" in Document(io.BytesIO(data)).paragraphs[0].text
    own.close()
