"""Path tricks in attachment file names: stored files stay in the attachment folder, names stay labels.

A stored file is named by its content's SHA-256 inside
``<data>/attachments/<board>/<xx>/``; the sender's file name is kept only
as a label, made safe (no path, no control or bidi characters, no name
Windows reserves, no leading dot, at most 120 characters).
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from sqlalchemy import select

from mailbot.inbound.attachments import safe_filename
from mailbot.store.models import Attachment
from tests.approvals.conftest import run
from tests.security.mails import RETURN_DOCX, ledger, police_return, variant

HOSTILE_NAMES = [
    "../../../../../tmp/evil.docx",
    "/etc/cron.d/evil.docx",
    "..\\..\\..\\Windows\\System32\\evil.docx",
    "C:\\evil.docx",
    "evil\x00.docx.exe",
    "line\r\nbreak.docx",
    "x" * 400 + ".docx",
    "CON.docx",
    "nul",
    "LPT1.docx",
    ".htaccess",
    "evil\u202excod.docx",  # right-to-left override: shows as evildocx.exe
    "..",
    "",
]
UNSAFE = re.compile(r"[/\\\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\.|$)", re.IGNORECASE)


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_safe_filename_leaves_a_plain_label(name):
    safe = safe_filename(name)
    assert safe and not UNSAFE.search(safe) and not RESERVED.match(safe)
    assert not safe.startswith(".") and len(safe) <= 120 and safe not in (".", "..")


def _with_name(i: int, name: str) -> bytes:
    """A return whose attachment is named ``name`` in RFC 2231 form (which carries NUL and CR LF too)."""
    raw = police_return(message_id=f"<name-{i}@police.sussex.example>", attachment=variant(RETURN_DOCX, f"n{i}"),
                        filename="PLACEHOLDER.docx")
    encoded = f"filename*=utf-8''{quote(name, safe='')}".encode()
    assert b'filename="PLACEHOLDER.docx"' in raw
    return raw.replace(b'filename="PLACEHOLDER.docx"', encoded)


def test_hostile_names_through_the_intake_store_files_only_inside_the_attachment_folder(rt, tmp_path):
    with rt.store.session() as s:
        before = len(s.scalars(select(Attachment.id)).all())  # the seeded drafts' documents
    raws = [_with_name(i, name) for i, name in enumerate(HOSTILE_NAMES)]
    run(rt, raws)
    assert [r.kind for r in ledger(rt)] == ["scoping_return"] * len(HOSTILE_NAMES)
    folder = (rt.data_dir / "attachments" / rt.slug).resolve()
    with rt.store.session() as s:
        stored = list(s.scalars(select(Attachment)))
    assert len(stored) == before + len(HOSTILE_NAMES)
    for att in stored:
        path = rt.data_dir.joinpath(att.stored_path).resolve()
        assert path.parent.parent == folder and path.name == att.sha256 and path.parent.name == att.sha256[:2]
        assert not UNSAFE.search(att.filename) and not RESERVED.match(att.filename)
        assert not att.filename.startswith(".") and len(att.filename) <= 120
    # Nothing was written anywhere a name pointed.
    everything = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert not [p for p in everything if "evil" in p.name or p.name in ("cron.d", ".htaccess")]
    outside = [p for p in everything if folder not in p.resolve().parents
               and p.suffix not in (".db", ".db-wal", ".db-shm", ".db-sent", ".db-sent-wal", ".db-sent-shm")
               and "mail" not in p.relative_to(tmp_path).parts]
    assert outside == []


def test_files_written_for_people_are_owner_only(tmp_path):
    from mailbot.files import write_private

    target = tmp_path / "packs" / "WS-2026-0001" / "pack.docx"
    target.parent.parent.mkdir(mode=0o755)
    write_private(target, b"first")
    write_private(target, b"second")  # an existing copy is replaced, still owner-only
    assert target.read_bytes() == b"second"
    assert target.stat().st_mode & 0o777 == 0o600
    assert target.parent.stat().st_mode & 0o777 == 0o700


def test_maildir_outbox_copies_are_owner_only(tmp_path):
    from email.message import EmailMessage

    from mailbot.outbound.maildir_outbox import MaildirOutbox

    msg = EmailMessage()
    msg["Subject"] = "Scoping request [WS-2026-0001]"
    msg.set_content("fictional")
    box = MaildirOutbox(tmp_path / "outbox")
    box.send(msg, ["dsl@school.example"])
    box.close()
    (written,) = (tmp_path / "outbox" / "new").iterdir()
    assert written.stat().st_mode & 0o777 == 0o600
