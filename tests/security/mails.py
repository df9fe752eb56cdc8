"""Messages an attacker (or a careless client) could send the board mailbox, built inline."""

from __future__ import annotations

import io
import zipfile
from email.message import EmailMessage

from sqlalchemy import func, select

from mailbot.store.models import MessageSeen, OutboxMail, Record, ScopingRequest
from tests.conftest import SAMPLES

POLICE = "public.protection.reviews@police.sussex.example"
POLICE_REQUEST = "<20260119093007.scoping_request.f85e85f0.ws-2026-0001@westsussex-scb.example>"
SCHOOL = "dsl@downland-academy.example"
RETURN_DOCX = (SAMPLES / "forms/west-sussex/summary-of-involvement/summary-01.docx").read_bytes()
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
OURS_FAIL = ("mx.westsussex-scb.example; dkim=fail header.d=police.sussex.example; "
             "spf=fail smtp.mailfrom=police.sussex.example; dmarc=fail header.from=police.sussex.example")
OURS_PASS = ("mx.westsussex-scb.example; dkim=pass header.d=police.sussex.example; "
             "spf=pass smtp.mailfrom=police.sussex.example; dmarc=pass header.from=police.sussex.example")


def variant(docx: bytes, tag: str) -> bytes:
    """The same form with a different zip comment: new bytes (a new SHA-256), same content."""
    src = zipfile.ZipFile(io.BytesIO(docx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(info, src.read(info))
        z.comment = tag.encode()
    return out.getvalue()


def police_return(*, message_id: str, sender: str = f"DS Ruth Calloway <{POLICE}>", auth: list[str] = (),
                  subject: str = "RE: Scoping request [WS-2026-0001] – Summary of Involvement due 02/02/2026",
                  thread: str | None = POLICE_REQUEST, attachment: bytes | None = RETURN_DOCX,
                  filename: str = "Summary of Involvement.docx", body: str = "Please find our return attached.",
                  extra: dict[str, str] | None = None) -> bytes:
    """A scoping return as Outlook sends it; ``auth`` headers are prepended top-down as servers do."""
    msg = EmailMessage()
    for value in auth:
        msg["Authentication-Results"] = value
    msg["From"] = sender
    msg["To"] = "WSSCB Mailbox <lscb@westsussex-scb.example>"
    msg["Subject"] = subject
    msg["Date"] = "Mon, 16 Feb 2026 08:30:00 +0000"
    msg["Message-ID"] = message_id
    if thread:
        msg["In-Reply-To"] = thread
        msg["References"] = thread
    for key, value in (extra or {}).items():
        msg[key] = value
    msg.set_content(body)
    if attachment is not None:
        msg.add_attachment(attachment, maintype="application",
                           subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
                           filename=filename)
    return bytes(msg)


def ledger(rt) -> list[MessageSeen]:  # noqa: ANN001
    with rt.store.session() as s:
        return list(s.scalars(select(MessageSeen).order_by(MessageSeen.id)))


def police_request(rt) -> ScopingRequest:  # noqa: ANN001
    with rt.store.session() as s:
        return s.scalar(select(ScopingRequest).where(ScopingRequest.message_id == POLICE_REQUEST))


def record_count(rt) -> int:  # noqa: ANN001
    with rt.store.session() as s:
        return s.scalar(select(func.count()).select_from(Record))


def sent_to(rt) -> list[tuple[str, list[str], int | None]]:  # noqa: ANN001
    """(kind, recipients, case id) of everything mailbot queued (the seeded state left out)."""
    with rt.store.session() as s:
        rows = s.scalars(select(OutboxMail).where(~OutboxMail.dedupe_key.contains(":seed:"))
                         .order_by(OutboxMail.id))
        return [(m.kind, list(m.recipients), m.case_id) for m in rows]


def held_files(rt) -> int:  # noqa: ANN001
    root = rt.data_dir / "mail" / rt.slug / "inbox" / ".needs-attention"
    return sum(1 for sub in ("new", "cur") for _ in (root / sub).iterdir())
