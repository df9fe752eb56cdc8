"""Stage 2 through a real Dovecot (IMAP) and a real SMTP server, on a clock the test moves.

``Board`` drives one board's runtime: ``day(d)`` sets the clock to 09:00
London on ``d``, reads the mailbox dry and does the due work (chasing, the
drafts' reminders, the digest) as a daemon pass would; ``mail()`` is what
the SMTP server received since the last look, parsed.
"""

from __future__ import annotations

import datetime as dt
import email
import io
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses

import pytest
from docx import Document
from sqlalchemy import select

from mailbot.config import ImapMailbox, SmtpSending, load_board
from mailbot.daemon import drain
from mailbot.outbound.outbox import deliver_pending
from mailbot.records import ChairDecision, Decision, SubgroupDecision
from mailbot.runtime import FixedClock, build_runtime
from mailbot.store.approvals_models import Draft
from mailbot.store.models import Case
from mailbot.workflow.cases import open_case
from mailbot.workflow.decisions import record_decision
from mailbot.workflow.scoping import send_scoping_requests
from tests.conftest import REPO

START = dt.datetime(2026, 2, 16, 9, 0, tzinfo=dt.timezone.utc)


def addresses(msg: EmailMessage, header: str) -> list[str]:
    return sorted(a.lower() for _n, a in getaddresses([str(v) for v in msg.get_all(header, [])]))


@dataclass
class Board:
    rt: object
    dovecot: object
    smtp: object
    seen: int = 0
    counter: int = 0
    sent: list[EmailMessage] = field(default_factory=list)

    @property
    def cfg(self):  # noqa: ANN201
        return self.rt.board.config

    def auth(self) -> str:
        domain = self.cfg.mailbox_address.email.split("@")[1]
        return (f"{self.cfg.authserv_id}; dkim=pass header.d={domain}; spf=pass smtp.mailfrom={domain}; "
                f"dmarc=pass header.from={domain}")

    def day(self, day: dt.date, hour: int = 9) -> None:
        """09:00 (or ``hour``) London on ``day``: read the mailbox, do the due work, send."""
        from mailbot.schedule import due

        local = dt.datetime.combine(day, dt.time(hour, 0), tzinfo=self.rt.board.calendar.timezone)
        self.rt.clock.set(local.astimezone(dt.timezone.utc))
        self.pump()
        due.run_due_work(self.rt)
        deliver_pending(self.rt.store, self.rt.sender, self.rt.slug, self.rt.now())

    def pump(self) -> None:
        while drain(self.rt).handled:
            pass
        deliver_pending(self.rt.store, self.rt.sender, self.rt.slug, self.rt.now())

    def mail(self) -> list[EmailMessage]:
        """Emails the SMTP server received since the last call."""
        got = self.smtp.received()[self.seen:]
        self.seen += len(got)
        msgs = [email.message_from_bytes(m.raw, policy=policy.default) for m in got]
        self.sent += msgs
        return msgs

    def send(self, sender: str, subject: str, body: str, *, reply_to: EmailMessage | None = None,
             attachments: list[tuple[str, bytes, str]] = (), auth: bool | str = True) -> None:
        """An email to the board's mailbox (delivered into Dovecot), then the mailbox read."""
        self.counter += 1
        msg = EmailMessage()
        if auth:
            msg["Authentication-Results"] = auth if isinstance(auth, str) else self.auth()
        msg["From"] = sender
        msg["To"] = self.cfg.mailbox_address.formatted()
        msg["Subject"] = subject
        msg["Date"] = format_datetime(self.rt.now())
        msg["Message-ID"] = f"<t{self.counter}.{dt.datetime.now().timestamp()}@test.example>"
        if reply_to is not None:
            msg["In-Reply-To"] = reply_to["Message-ID"]
            msg["References"] = reply_to["Message-ID"]
        msg.set_content(body)
        for name, data, ctype in attachments:
            maintype, subtype = ctype.split("/")
            msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
        self.dovecot.deliver(bytes(msg))
        self.pump()

    def reply(self, sender: str, to: EmailMessage, body: str, **kw) -> None:  # noqa: ANN003
        self.send(sender, f"RE: {to['Subject']}", body, reply_to=to, **kw)

    def drafts(self, kind: str | None = None) -> list[Draft]:
        with self.rt.store.session() as s:
            q = select(Draft).order_by(Draft.id)
            return [d for d in s.scalars(q) if kind is None or d.kind == kind]

    def audit(self, action: str) -> list[str]:
        from mailbot.store.models import AuditEntry

        with self.rt.store.session() as s:
            return [a.detail or "" for a in s.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                                      .order_by(AuditEntry.id))]


def opened_case(b: Board, answers: dict[str, str]) -> str:
    """A case opened today, its standing agencies asked, their scoping answers as ``answers`` says."""
    with b.rt.store.transaction() as s:
        case = open_case(s, b.rt, b.rt.today(), "<referral@test.example>", None)
        send_scoping_requests(s, b.rt, case, None)
        s.flush()
        for req in case.requests:
            req.status = answers.get(req.agency, "returned")
            req.answered_at = case.opened_at
        reference = case.reference
    b.pump()
    b.mail()
    return reference


def decide(b: Board, reference: str, decision: str, reasons: str | None = None) -> None:
    """The Chair's decision recorded as a form would record it: its notifications go to the Chair."""
    with b.rt.store.transaction() as s:
        case = s.scalar(select(Case).where(Case.reference == reference))
        record_decision(s, b.rt, case, Decision(board=b.rt.slug, form="test", subgroup=SubgroupDecision(),
                        chair=ChairDecision(decision=decision, name=b.cfg.chair.name, date=b.rt.today(),
                                            reasons=reasons)), source="test")
    b.pump()


def to_chair(b: Board, token: str, msgs: list[EmailMessage]) -> EmailMessage:
    return next(m for m in msgs if token in m["Subject"])


def filled_chronology(blank: bytes, rows: list[list[str]]) -> bytes:
    """The blank chronology an agency was sent, with its rows typed in."""
    doc = Document(io.BytesIO(blank))
    table = doc.tables[-1]
    for i, row in enumerate(rows):
        cells = table.rows[1].cells if i == 0 else table.add_row().cells
        for cell, value in zip(cells, row):
            cell.text = value
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def report_docx(text: str) -> bytes:
    doc = Document()
    doc.add_heading("Individual Management Review", level=1)
    doc.add_paragraph(text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def make_board(slug: str, dovecot, smtp_server, store, tmp_path, monkeypatch, regime: str | None = None,  # noqa: ANN001
               **updates) -> Board:  # noqa: ANN003
    board = load_board(slug, REPO / "config")
    monkeypatch.setenv("MAILBOT_TEST_IMAP_PASSWORD", dovecot.password)
    board.config = board.config.model_copy(update={
        "mailbox": ImapMailbox(kind="imap", host=dovecot.host, port=dovecot.port, username=dovecot.user,
                               password={"env": "MAILBOT_TEST_IMAP_PASSWORD"}, security="plain", idle=False),
        "sending": SmtpSending(kind="smtp", host=smtp_server.host, port=smtp_server.port, security="plain"),
        **updates,
    })
    if regime is not None:
        from mailbot.deadlines import load_regime

        board.regime = load_regime(regime)
    rt = build_runtime(board, store, tmp_path / "data", FixedClock(START))
    return Board(rt, dovecot, smtp_server)


@pytest.fixture
def swindon(dovecot, smtp_server, store, tmp_path, monkeypatch):  # noqa: ANN001, ANN201
    from mailbot.config import Person

    b = make_board("swindon", dovecot, smtp_server, store, tmp_path, monkeypatch, review_panel=[
        Person(name="Swindon SCR Review Panel", email="review.panel@swindon-lscb.example")])
    yield b
    b.rt.close()
