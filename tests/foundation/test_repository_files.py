"""What the repository carries reads the same on any machine, and says whose it is.

- No file names a path of one machine (a developer's checkout, home, or a
  temp file): docs, scripts and benchmarks are followed by people on other
  machines. System paths (``/usr/…``, ``/proc/…``, ``/run/secrets/…``) are fine.
- No doc links outside the repository (``../shared/…`` exists only beside a
  developer's checkout).
- Every corpus of third-party files the tests carry says where it came
  from, at which commit, and under which (permissive) licence.
"""

from __future__ import annotations

import re
import subprocess

from tests.conftest import REPO

MACHINE_PATH = re.compile(r"(?<![\w.~-])/(work|root|home|Users|opt|tmp|private/var)/")
OUTSIDE_LINK = re.compile(r"\]\((\.\./)+(shared|\.\.)|`\.\./shared/")
BINARY = (".docx", ".doc", ".pdf", ".png", ".xlsx", ".eml", ".msg", ".rtf", ".odt", ".jpg", ".gz", ".zip")
PERMISSIVE = ("MIT", "BSD", "Apache", "ISC", "CC0", "CC-BY", "Unlicense", "Python Software Foundation", "PSF",
              "Public Domain", "public domain", "Zlib", "MPL")


def tracked_text_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                         capture_output=True, text=True, check=True).stdout.split()
    return [f for f in out if not f.lower().endswith(BINARY) and (REPO / f).is_file()]


def test_no_file_names_a_path_of_one_machine():
    files = tracked_text_files()
    assert "scripts/test" in files and "README.md" in files
    hits = []
    for name in files:
        if name == "tests/foundation/test_repository_files.py":
            continue
        text = (REPO / name).read_text("utf-8", errors="replace")
        hits += [f"{name}:{n}: {line.strip()}" for n, line in enumerate(text.splitlines(), 1)
                 if MACHINE_PATH.search(line)]
    assert hits == []


def test_docs_link_nowhere_outside_the_repository():
    docs = [f for f in tracked_text_files() if f.endswith(".md")]
    hits = [f"{name}: {m.group(0)}" for name in docs
            for m in OUTSIDE_LINK.finditer((REPO / name).read_text("utf-8"))]
    assert hits == []
    assert (REPO / "docs" / "records.md").is_file(), "the record contract is in the repository"
    assert "records.md" in (REPO / "docs" / "form-mappings.md").read_text("utf-8")


def test_the_checks_catch_what_they_are_for():
    assert MACHINE_PATH.search("run /work/venv/bin/python x") and MACHINE_PATH.search("see /root/.cache")
    assert MACHINE_PATH.search("(`/tmp/mailbot-pg.1`)")
    assert not MACHINE_PATH.search("/run/secrets/key /usr/lib/postgresql/15/bin .venv/bin/python")
    assert OUTSIDE_LINK.search("the contract ([records](../../shared/spec/records.md))")
    assert OUTSIDE_LINK.search("see `../shared/spec/records.md`")


def test_mailbot_is_open_source_under_mit():
    assert (REPO / "LICENSE").read_text("utf-8").startswith("MIT License")
    assert 'license = { text = "MIT" }' in (REPO / "pyproject.toml").read_text("utf-8")


def test_every_third_party_corpus_names_its_source_commit_and_permissive_licence():
    corpora = REPO / "tests" / "corpora"
    folders = sorted(p for p in corpora.iterdir() if p.is_dir())
    assert len(folders) >= 3, "the mail readers are tested on corpora from at least three public projects"
    for folder in folders:
        readme = folder / "README.md"
        assert readme.is_file(), f"{folder.name}: no README.md beside the files"
        text = readme.read_text("utf-8")
        assert re.search(r"\b[0-9a-f]{7,40}\b", text), f"{folder.name}: no commit named"
        assert re.search(r"github\.com/|https?://", text), f"{folder.name}: no source named"
        assert re.search(r"licen[cs]e", text, re.I), f"{folder.name}: no licence named"
        assert any(word in text for word in PERMISSIVE), f"{folder.name}: licence not a permissive one"
