"""Stage 1 on the embedded Maildir: every sample email, its outcome, exactly once."""

from __future__ import annotations

import email
from email import policy

import pytest
from sqlalchemy import func, select

from mailbot.demo.mailbox import deliver
from mailbot.daemon import drain
from mailbot.inbound.pipeline import handle_message
from mailbot.demo.seed import load_state
from mailbot.store.models import Case, MessageSeen, OutboxMail, Record, ScopingRequest
from tests.conftest import SAMPLES
from tests.flow.conftest import sample_emails

# The sample index's kinds, as the pipeline records them (Chair replies are
# routed as chair_reply here; the approvals flow decides what they mean).
KIND = {
    "auto_reply": "auto_reply", "not_known": "not_known", "scoping_return": "scoping_return",
    "bounce": "bounce", "referral": "referral", "chair_reject": "chair_reply",
    "chair_approve": "chair_reply", "rejected_approval": "chair_reply", "unknown_sender": "unknown_sender",
}
WRONG_ADDRESS, DMARC = "11-approval-wrong-address.eml", "12-approval-dmarc-fail.eml"


def _inbox(rt):
    return rt.data_dir / "mail" / rt.slug / "inbox"


def _run_samples(rt):
    load_state(rt, SAMPLES / "emails" / "bot-state.json", SAMPLES)
    emails = sample_emails()
    deliver(_inbox(rt), [raw for _f, _e, raw in emails], start=1_700_000_000)
    while drain(rt).handled:
        pass
    return emails


def _outbox(s, **where):
    q = select(OutboxMail).where(OutboxMail.id > 0)
    for k, v in where.items():
        q = q.where(getattr(OutboxMail, k) == v)
    return s.scalars(q.where(~OutboxMail.dedupe_key.contains(":seed:")).order_by(OutboxMail.id)).all()


def test_every_sample_email_gets_its_outcome(maildir_runtime):
    rt = maildir_runtime
    emails = _run_samples(rt)
    with rt.store.session() as s:
        rows = s.scalars(select(MessageSeen).order_by(MessageSeen.id)).all()
        assert len(rows) == len(emails)
        for row, (name, expected, _raw) in zip(rows, emails):
            want = {WRONG_ADDRESS: "unknown_sender", DMARC: "failed_authentication"}.get(name, KIND[expected["kind"]])
            assert row.kind == want, name
        held = {r.kind for r in rows if r.outcome == "needs-attention"}
        assert "unknown_sender" in held and "auto_reply" not in held and "bounce" not in held

        case1 = s.scalar(select(Case).where(Case.reference == "WS-2026-0001"))
        by_agency = {r.agency: r for r in case1.requests}
        assert by_agency["Sussex Police"].status == "returned"
        assert by_agency["Downland Academy"].status == "not_known"
        assert by_agency["West Sussex Youth Justice Service"].status == "outstanding"  # auto-reply is not a return
        assert by_agency["Harbourside Medical Practice"].bounced_at is not None
        assert by_agency["Coastal Sussex Healthcare NHS Trust"].status == "returned"

        # The new referral (06) opened WS-2026-0002, the forwarded one (07) WS-2026-0003.
        new_cases = s.scalars(select(Case).where(Case.reference != "WS-2026-0001").order_by(Case.id)).all()
        assert [c.reference for c in new_cases] == ["WS-2026-0002", "WS-2026-0003"]
        assert all(len(c.requests) == 8 for c in new_cases)  # every directory agency is standing
        assert s.scalar(select(func.count()).select_from(Record).where(Record.case_id == new_cases[0].id)) == 1

        acks = _outbox(s, kind="acknowledgement")
        assert [a.recipients for a in acks] == [["harvey.radcliffe@childrens.westsussex-cc.example"],
                                               ["liam.farrant@childrens.westsussex-cc.example"]]
        thanks = {tuple(t.recipients) for t in _outbox(s, kind="thanks")}
        assert thanks == {("dsl@downland-academy.example",), ("public.protection.reviews@police.sussex.example",),
                          ("safeguarding.children@coastalsussex-nhs.example",)}
        # Never answered: the auto-reply, the bounce, the unknown sender.
        everyone = {a for m in _outbox(s) for a in m.recipients}
        assert "yjs.reviews@yjs.westsussex-cc.example" not in {a for m in _outbox(s, kind="thanks") for a in m.recipients}
        assert "manager@tidemill-nursery.example" not in everyone
        assert not any("mailer-daemon" in a for a in everyone)
        assert all(m.status == "sent" for m in _outbox(s))


def test_outgoing_mail_headers_and_threading(maildir_runtime):
    rt = maildir_runtime
    _run_samples(rt)
    with rt.store.session() as s:
        ack = _outbox(s, kind="acknowledgement")[0]
        req = _outbox(s, kind="scoping_request")[0]
    m = email.message_from_bytes(ack.raw, policy=policy.default)
    assert m["From"] == "WSSCB Mailbox <lscb@westsussex-scb.example>"
    assert m["Auto-Submitted"] == "auto-generated"
    assert "[WS-2026-0002]" in m["Subject"]
    assert m["In-Reply-To"] == "<LO2P265MB9321F0876AEA1F4A722174123D4E@LO2P265MB9321.eurprd02.prod.outlook.example>"
    r = email.message_from_bytes(req.raw, policy=policy.default)
    assert r["Message-ID"].endswith(".ws-2026-0002@westsussex-scb.example>")
    assert "Scoping request [WS-2026-0002]" in r["Subject"]
    # The request is due 10 working days after Monday 16 February 2026: Monday 2 March.
    assert "due 02/03/2026" in r["Subject"]
    # The board's form is attached, filled in for this case: a return on it matches itself.
    [form] = [p for p in r.iter_attachments()]
    assert form.get_filename().endswith("(WS-2026-0002).docx")
    from parsers import parse_document

    parsed = parse_document(form.get_content(), form.get_filename(), board="west-sussex",
                            mappings=rt.board.form_mappings).record
    assert parsed.case_reference == "WS-2026-0002" and parsed.agency in {a.name for a in rt.board.config.agencies}
    with rt.store.session() as s:
        assert {x.due_on.isoformat() for x in s.scalars(select(ScopingRequest).where(ScopingRequest.case_id != 1))} == {"2026-03-02"}


def test_messages_move_to_their_folders(maildir_runtime):
    rt = maildir_runtime
    _run_samples(rt)
    root = _inbox(rt)
    assert list((root / "new").iterdir()) == [] and list((root / "cur").iterdir()) == []
    processed = len(list((root / ".processed" / "new").iterdir()))
    held = len(list((root / ".needs-attention" / "new").iterdir()))
    with rt.store.session() as s:
        want_held = s.scalar(select(func.count()).select_from(MessageSeen).where(MessageSeen.outcome == "needs-attention"))
    assert held == want_held and processed + held == 14


def test_crash_between_commit_and_move_handles_nothing_twice(maildir_runtime):
    """A restart after handling but before moving: the ledger recognises every message."""
    rt = maildir_runtime
    load_state(rt, SAMPLES / "emails" / "bot-state.json", SAMPLES)
    emails = sample_emails()
    deliver(_inbox(rt), [raw for _f, _e, raw in emails], start=1_700_000_000)
    for incoming in list(rt.mailbox.fetch_new())[:7]:
        handle_message(rt, incoming)  # handled and committed, never moved: the "crash"
    with rt.store.session() as s:
        queued = len(_outbox(s))
    while drain(rt).handled:  # the restarted daemon
        pass
    with rt.store.session() as s:
        assert s.scalar(select(func.count()).select_from(MessageSeen)) == 14
        keys = [m.dedupe_key for m in _outbox(s)]
        assert len(keys) == len(set(keys))
        assert len(_outbox(s, kind="acknowledgement")) == 2
        assert queued <= len(keys)
    # Delivering the very same messages again changes nothing.
    deliver(_inbox(rt), [raw for _f, _e, raw in emails], start=1_800_000_000)
    with rt.store.session() as s:
        before = len(_outbox(s))
    while drain(rt).handled:
        pass
    with rt.store.session() as s:
        assert len(_outbox(s)) == before
        assert s.scalar(select(func.count()).select_from(MessageSeen)) == 14



def test_message_handled_meanwhile_by_another_worker_keeps_its_outcome(maildir_runtime, monkeypatch):
    """Two workers on one board take the same message: the second finds the first's ledger row
    when its own commit fails, and takes that outcome instead of holding the message."""
    from mailbot.inbound import pipeline
    from mailbot.mailbox.base import Folder

    rt = maildir_runtime
    load_state(rt, SAMPLES / "emails" / "bot-state.json", SAMPLES)
    deliver(_inbox(rt), [(SAMPLES / "emails" / "01-out-of-office.eml").read_bytes()], start=1_700_000_000)
    [incoming] = list(rt.mailbox.fetch_new())
    real_read_forms = pipeline.read_forms
    other_worker: list[Folder] = []

    def read_forms_while_another_worker_finishes(*args, **kwargs):
        monkeypatch.setattr(pipeline, "read_forms", real_read_forms)
        other_worker.append(handle_message(rt, incoming))  # after our "not seen yet" check
        return real_read_forms(*args, **kwargs)

    monkeypatch.setattr(pipeline, "read_forms", read_forms_while_another_worker_finishes)
    folder = handle_message(rt, incoming)
    assert other_worker == [Folder.PROCESSED] and folder == Folder.PROCESSED
    with rt.store.session() as s:
        assert s.scalar(select(func.count()).select_from(MessageSeen)) == 1
        assert not _outbox(s, kind="notice")


def test_database_outage_mid_message_leaves_it_for_the_next_pass(maildir_runtime, monkeypatch):
    """The database going away while a message is handled records nothing and holds nothing:
    the message stays in the inbox and the next pass handles it as if nothing happened."""
    from mailbot.inbound import pipeline
    from mailbot.mailbox.base import Folder
    from mailbot.store.db import StoreUnavailable

    rt = maildir_runtime
    load_state(rt, SAMPLES / "emails" / "bot-state.json", SAMPLES)
    deliver(_inbox(rt), [(SAMPLES / "emails" / "06-referral-outlook.eml").read_bytes()], start=1_700_000_000)
    [incoming] = list(rt.mailbox.fetch_new())
    real_read_forms = pipeline.read_forms

    def outage(*args, **kwargs):
        raise StoreUnavailable("database unavailable (test)")

    monkeypatch.setattr(pipeline, "read_forms", outage)
    with pytest.raises(StoreUnavailable):
        handle_message(rt, incoming)
    with rt.store.session() as s:
        assert s.scalar(select(func.count()).select_from(MessageSeen)) == 0
        assert not _outbox(s)
    monkeypatch.setattr(pipeline, "read_forms", real_read_forms)
    assert handle_message(rt, incoming) == Folder.PROCESSED
    with rt.store.session() as s:
        assert len(_outbox(s, kind="acknowledgement")) == 1
        assert not [m for m in _outbox(s, kind="notice") if ":held:" in m.dedupe_key]
