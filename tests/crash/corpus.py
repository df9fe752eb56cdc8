"""A mixed, reproducible stream of board mail built from the sample corpus.

The sample emails come first, as they are (they answer the case
in ``bot-state.json``). Then ``n - 14`` more, drawn with a fixed seed:
referrals that open new cases, scoping returns and "not known" replies to
those cases (and to WS-2026-0001), forms that cannot be read, referrals
from senders outside the directory, copies of the Chair's replies, auto-
replies and bounces. Every message is distinct (its own Message-ID; forms
get a zip comment or a PDF trailer comment, so their contents differ while
their records stay the same). All addresses are the samples' fictional
``.example`` ones.

A reply to case N is only drawn once the referral that opens case N is in
the stream, so in processing order (oldest first) it always finds its case.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime

from tests.conftest import SAMPLES

BOARD = "lscb@westsussex-scb.example"
AUTHSERV = "mx.westsussex-scb.example"
#: Samples whose forms are PDFs (slow to read); ``light`` streams leave them out.
PDF_SAMPLES = {"05-scoping-return-latin1.eml", "07-referral-forwarded-as-attachment.eml"}
SAMPLE_REFERRALS = {"06-referral-outlook.eml", "07-referral-forwarded-as-attachment.eml"}
#: (contact name, scoping contact address) per directory agency, as in board-west-sussex.md.
AGENCY_CONTACTS = [
    ("Joanna Pettifer", "scoping.csc@childrens.westsussex-cc.example"),
    ("DS Ruth Calloway", "public.protection.reviews@police.sussex.example"),
    ("Meera Balasundaram", "safeguarding.children@coastalsussex-nhs.example"),
    ("Frances Oduya", "designated.nurse@westsussex-icb.example"),
    ("Helen Strood", "practice.manager@harbourside-gp.example"),
    ("Carys Lamberton", "dsl@downland-academy.example"),
    ("Owen Treloar", "spo.safeguarding@probation-sussex.example"),
    ("Tariq Hussain-Bell", "yjs.reviews@yjs.westsussex-cc.example"),
]
REFERRERS = [
    ("Harvey Radcliffe", "harvey.radcliffe@childrens.westsussex-cc.example"),
    ("Liam Farrant", "liam.farrant@childrens.westsussex-cc.example"),
    ("Nadia Pembury", "nadia.pembury@police.sussex.example"),
]
UNKNOWN_SENDERS = [
    ("Tidemill Nursery", "manager@tidemill-nursery.example"),
    ("Arun Coastal Housing", "tenancy@arun-coastal-housing.example"),
]
BAD_FILES = ["referral-truncated.docx", "referral.docx", "referral-laughs.docx", "letter-from-gp.docx"]
CHAIR_COPIES = ["08-chair-reject.eml", "09-chair-approve-outlook.eml", "10-chair-approve-iphone.eml",
                "11-approval-wrong-address.eml", "12-approval-dmarc-fail.eml", "13-approval-expired-token.eml"]
OTHER_COPIES = ["01-out-of-office.eml", "04-bounce-chase.eml", "02-not-known-school.eml",
                "03-scoping-return-police.eml", "05-scoping-return-latin1.eml"]
#: What the generated part is made of (weights).
MIX = {"referral": 22, "return": 24, "not_known": 14, "unreadable": 10, "unknown_sender": 8,
       "chair_copy": 10, "other_copy": 12}
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class Mail:
    """One message of the stream: what it is and its bytes."""

    label: str
    raw: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()


def _unique_docx(data: bytes, tag: str) -> bytes:
    """The same document with a zip archive comment: other bytes, the same record."""
    eocd = data.rfind(b"PK\x05\x06")
    assert eocd == len(data) - 22, "a .docx that already has an archive comment"
    comment = f"crash harness {tag}".encode()
    return data[:-2] + len(comment).to_bytes(2, "little") + comment


def _unique_pdf(data: bytes, tag: str) -> bytes:
    return data + f"\n% crash harness {tag}\n".encode()


def _new_message_id(raw: bytes, new_id: str) -> bytes:
    """Replace the top-level Message-ID (possibly folded onto the next line)."""
    out, count = re.subn(rb"(?mi)^Message-ID:[ \t]*(?:\r?\n[ \t]+)?<[^>\r\n]*>",
                         f"Message-ID: <{new_id}>".encode(), raw, count=1)
    assert count == 1, "sample without a Message-ID"
    return out


class _Builder:
    def __init__(self, seed: int, light: bool) -> None:
        self.rng = random.Random(seed)
        self.when = dt.datetime(2026, 2, 16, 8, 0, tzinfo=dt.timezone.utc)
        forms = SAMPLES / "forms" / "west-sussex"
        self.referrals = [(p.name, p.read_bytes()) for p in
                          [forms / "referral/referral-01.docx", forms / "referral/referral-02.docx",
                           forms / "referral/referral-03.docx", forms / "referral/referral-03.pdf"]
                          if not (light and p.suffix == ".pdf")]
        self.returns = [(p.name, p.read_bytes()) for p in
                        [forms / "summary-of-involvement/summary-01.docx",
                         forms / "summary-of-involvement/summary-02.docx",
                         forms / "summary-of-involvement/summary-03.docx"]]
        self.bad = [(name, (SAMPLES / "bad" / name).read_bytes()) for name in BAD_FILES]
        self.samples = {p.name: p.read_bytes() for p in (SAMPLES / "emails").glob("*.eml")
                        if not (light and p.name in PDF_SAMPLES)}
        self.other_copies = [name for name in OTHER_COPIES if name in self.samples]

    def _message(self, i: int, sender: tuple[str, str], subject: str, body: str,
                 attachments: tuple[tuple[str, bytes], ...] = ()) -> bytes:
        self.when += dt.timedelta(minutes=7)
        domain = sender[1].rsplit("@", 1)[1]
        m = EmailMessage()
        m["Authentication-Results"] = (f"{AUTHSERV}; dkim=pass header.d={domain}; spf=pass "
                                       f"smtp.mailfrom={domain}; dmarc=pass header.from={domain}")
        m["From"] = f"{sender[0]} <{sender[1]}>"
        m["To"] = f"WSSCB Mailbox <{BOARD}>"
        m["Subject"] = subject
        m["Date"] = format_datetime(self.when)
        m["Message-ID"] = f"<crash-{i:05d}.{self.rng.getrandbits(40):010x}@{domain}>"
        m.set_content(body)
        for name, data in attachments:
            maintype, subtype = ("application", "pdf") if name.endswith(".pdf") else DOCX.split("/")
            m.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
        return m.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")

    def referral(self, i: int) -> bytes:
        name, data = self.rng.choice(self.referrals)
        data = _unique_pdf(data, str(i)) if name.endswith(".pdf") else _unique_docx(data, str(i))
        return self._message(i, self.rng.choice(REFERRERS), "Referral for consideration by the CRSG",
                             "Good morning,\n\nPlease find attached a referral for the Case Review "
                             "Sub-Group.\n\nKind regards\n", ((name, data),))

    def reply(self, i: int, case: int, not_known: bool) -> bytes:
        contact = self.rng.choice(AGENCY_CONTACTS)
        subject = f"RE: Scoping request [WS-2026-{case:04d}] – Summary of Involvement"
        if not_known:
            return self._message(i, contact, subject, "Good afternoon,\n\nI have checked our records and "
                                 "this child and family are not known to our service.\n\nRegards\n")
        name, data = self.rng.choice(self.returns)
        return self._message(i, contact, subject, "Good afternoon,\n\nPlease find our Summary of "
                             "Involvement attached.\n\nRegards\n", ((name, _unique_docx(data, str(i))),))

    def unreadable(self, i: int) -> bytes:
        name, data = self.rng.choice(self.bad)
        return self._message(i, self.rng.choice(REFERRERS), "Referral", "Please see the attached form.\n",
                             ((name, data),))

    def unknown_sender(self, i: int) -> bytes:
        name, data = self.referrals[0]
        return self._message(i, self.rng.choice(UNKNOWN_SENDERS), "Referral form",
                             "Hello,\n\nI was asked to send you the attached form.\n",
                             ((name, _unique_docx(data, str(i))),))

    def copy_of(self, i: int, sample: str) -> bytes:
        return _new_message_id(self.samples[sample], f"crash-copy-{i:05d}@samples.example")


def build(n: int, seed: int = 8, light: bool = False) -> list[Mail]:
    """The first ``n`` messages of the stream for ``seed``.

    ``light`` leaves out PDF forms (the slowest to read), for the short
    version in the test suite; the long version reads everything.
    """
    b = _Builder(seed, light)
    index = sorted(p for p in b.samples if p[:2].isdigit())
    mails = [Mail(f"sample:{name.removesuffix('.eml')}", b.samples[name]) for name in index][:n]
    cases = [1]  # case numbers a reply may name: the sample case, then each new one
    next_case = 2 + sum(name in SAMPLE_REFERRALS for name in index[:n])
    kinds, weights = zip(*MIX.items())
    for i in range(len(mails), n):
        kind = b.rng.choices(kinds, weights)[0]
        if kind == "referral":
            raw = b.referral(i)
            cases.append(next_case)
            next_case += 1
        elif kind in ("return", "not_known"):
            raw = b.reply(i, b.rng.choice(cases[-6:]), not_known=kind == "not_known")
        elif kind == "unreadable":
            raw = b.unreadable(i)
        elif kind == "unknown_sender":
            raw = b.unknown_sender(i)
        elif kind == "chair_copy":
            raw = b.copy_of(i, b.rng.choice(CHAIR_COPIES))
        else:
            raw = b.copy_of(i, b.rng.choice(b.other_copies))
        mails.append(Mail(kind, raw))
    return mails
