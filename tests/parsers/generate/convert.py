"""PDF and .doc copies of generated forms, made by LibreOffice in one batch.

Starting LibreOffice costs seconds; one call converts every file of a
batch, so the suite pays that once per format per session.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from parsers.doc_convert import find_soffice

FILTERS = {"pdf": "pdf:writer_pdf_Export", "doc": "doc:MS Word 97"}


def convert_all(files: list[Path], fmt: str, workdir: Path) -> dict[Path, bytes]:
    """``{docx path: converted bytes}`` for every file LibreOffice converted."""
    soffice = find_soffice()
    if soffice is None or not files:
        return {}
    out = workdir / f"out-{fmt}"
    profile = (workdir / "lo-profile").as_uri()
    cmd = [soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore",
           "--nolockcheck", "--convert-to", FILTERS[fmt], "--outdir", str(out),
           *map(str, files)]
    subprocess.run(cmd, cwd=workdir, env={**os.environ, "HOME": str(workdir)},
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=300, check=False)
    found = {}
    for src in files:
        made = out / f"{src.stem}.{fmt}"
        if made.is_file() and made.stat().st_size:
            found[src] = made.read_bytes()
    return found
