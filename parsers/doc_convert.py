"""Legacy Word 97-2003 (.doc) files, converted to .docx by LibreOffice.

We do not parse the binary .doc format ourselves: LibreOffice headless
converts it in a private temporary directory, with its own user profile
(so concurrent conversions never share a lock) and a time limit.  Where
LibreOffice is not installed the sender gets a clear answer instead.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from mailbot.errors import ParseError
from parsers.safety import LIMITS, Limits

log = logging.getLogger("mailbot.parsers")


def find_soffice() -> str | None:
    """Path of the LibreOffice binary, or None (tests monkeypatch this)."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_doc(data: bytes, limits: Limits = LIMITS) -> bytes:
    """The .docx LibreOffice makes of a .doc; ParseError when it cannot."""
    soffice = find_soffice()
    if soffice is None:
        raise ParseError("cannot read .doc here (LibreOffice is not installed); "
                         "please send .docx or PDF", "doc_unsupported")
    with tempfile.TemporaryDirectory(prefix="mailbot-doc-") as tmp:
        work = Path(tmp)
        src = work / "form.doc"
        src.write_bytes(data)
        profile = (work / "profile").as_uri()
        cmd = [soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore",
               "--nolockcheck", "--convert-to", "docx:MS Word 2007 XML", "--outdir",
               str(work / "out"), str(src)]
        env = {**os.environ, "HOME": tmp}
        proc = subprocess.Popen(cmd, cwd=tmp, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            proc.wait(timeout=limits.convert_seconds)
        except subprocess.TimeoutExpired as err:
            os.killpg(proc.pid, signal.SIGKILL)  # LibreOffice and any helper it started
            proc.wait()
            raise ParseError("the .doc attachment took too long to convert; "
                             "please send .docx or PDF", "timeout") from err
        except BaseException:  # stopped meanwhile (a read-ahead worker's SIGTERM): LibreOffice too
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
        out = work / "out" / "form.docx"
        if not out.is_file() or out.stat().st_size == 0:
            raise ParseError("the .doc attachment could not be converted (it may be "
                             "damaged); please send .docx or PDF", "damaged")
        log.debug("converted a .doc attachment with LibreOffice")
        return out.read_bytes()
