"""Approval flows on the embedded Maildir: the sample board, its state, real emails."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from sqlalchemy import select

from mailbot.demo.mailbox import deliver
from mailbot.daemon import drain
from mailbot.demo.seed import load_state
from mailbot.store.approvals_models import Draft
from mailbot.store.models import OutboxMail
from tests.conftest import SAMPLES
from tests.flow.conftest import clock, maildir_runtime, sample_emails, ws_board  # noqa: F401 - fixtures
from tests.graph.conftest import graph_board, graph_runtime, graph_server  # noqa: F401 - fixtures

CHAIR = "chair@westsussex-scb.example"
BM = "businessmanager@westsussex-scb.example"
NOTIFY = ["notifications@ofsted.example", "scr.notifications@dfe.example", "panel@nationalpanel.example"]
PASS = ("mx.westsussex-scb.example; dkim=pass header.d=westsussex-scb.example; "
        "spf=pass smtp.mailfrom=westsussex-scb.example; dmarc=pass header.from=westsussex-scb.example")


def inbox(rt):  # noqa: ANN001, ANN201
    return rt.data_dir / "mail" / rt.slug / "inbox"


_counter = iter(range(1_700_000_000, 1_800_000_000, 100))


def run(rt, raws: list[bytes]) -> None:  # noqa: ANN001
    """Deliver messages into the board mailbox and run the daemon's loop until it is drained."""
    graph = getattr(rt, "fake_graph", None)  # the Graph backend: mail arrives in the fake's Inbox
    if graph is not None:
        for raw in raws:
            graph.deliver(raw)
    else:
        deliver(inbox(rt), raws, start=next(_counter))
    while drain(rt).handled:
        pass
    assert graph is None or graph.folder_ids("Inbox") == []  # each one read and moved out


def sample(prefix: str) -> bytes:
    return next(raw for name, _e, raw in sample_emails() if name.startswith(prefix))


@pytest.fixture(params=["maildir"])
def rt(request):  # noqa: ANN001, ANN201
    """The board on the embedded Maildir; a module may ask for ``graph`` too (indirect parametrize)."""
    runtime = request.getfixturevalue(f"{request.param}_runtime")
    if request.param == "graph":
        runtime.fake_graph = request.getfixturevalue("graph_server").graph
    load_state(runtime, SAMPLES / "emails" / "bot-state.json", SAMPLES)
    return runtime


def outgoing(rt, kind: str | None = None) -> list[OutboxMail]:  # noqa: ANN001
    with rt.store.session() as s:
        q = select(OutboxMail).where(~OutboxMail.dedupe_key.contains(":seed:"))
        if kind:
            q = q.where(OutboxMail.kind == kind)
        return list(s.scalars(q.order_by(OutboxMail.id)))


def parsed(row: OutboxMail) -> EmailMessage:
    return email.message_from_bytes(row.raw, policy=policy.default)


def addresses(msg: EmailMessage, header: str) -> list[str]:
    from email.utils import getaddresses

    return sorted(a.lower() for _n, a in getaddresses([str(v) for v in msg.get_all(header, [])]))


def draft(rt, token: str) -> Draft:  # noqa: ANN001
    with rt.store.session() as s:
        return s.scalar(select(Draft).where(Draft.token == token))


def reply_to_draft(rt, token: str, body: str, *, message_id: str, sender: str = CHAIR,  # noqa: ANN001
                   auth: str | None = PASS, subject: str | None = None, thread: bool = True,
                   attachments: list[tuple[str, bytes, str]] = ()) -> bytes:
    """A reply to the draft with ``token``, as a mail client would send it."""
    d = draft(rt, token)
    msg = EmailMessage()
    if auth:
        msg["Authentication-Results"] = auth
    msg["From"] = f"Dr Rosalind Ashcombe <{sender}>"
    msg["To"] = "WSSCB Mailbox <lscb@westsussex-scb.example>"
    msg["Subject"] = subject if subject is not None else f"RE: Draft for approval: {d.title} [WS-2026-0001] {token}"
    msg["Date"] = format_datetime(rt.now())
    msg["Message-ID"] = message_id
    if thread and d.message_id:
        msg["In-Reply-To"] = d.message_id
        msg["References"] = d.message_id
    msg.set_content(body)
    for name, data, ctype in attachments:
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return bytes(msg)
