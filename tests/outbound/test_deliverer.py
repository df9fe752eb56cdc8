"""The deliverer thread: sends what is kicked, in order, keeps retry times, stops cleanly."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from mailbot.config import load_board
from mailbot.daemon import drain
from mailbot.errors import SendError
from mailbot.outbound import deliverer as deliverer_module
from mailbot.outbound import outbox
from mailbot.outbound.deliverer import Deliverer
from mailbot.runtime import FixedClock, build_runtime
from mailbot.store.models import OutboxMail
from tests.conftest import REPO, SAMPLES

pytestmark = pytest.mark.timeout(60)
NOW = dt.datetime(2026, 2, 16, 9, 0, tzinfo=dt.timezone.utc)


class _Sender:
    """Records what it is handed; the first ``failures`` sends fail transiently."""

    def __init__(self, failures: int = 0) -> None:
        self.sent: list[bytes] = []
        self.failures = failures
        self.threads: set[str] = set()

    def send_raw(self, raw: bytes, recipients: list[str]) -> None:
        self.threads.add(threading.current_thread().name)
        if self.failures:
            self.failures -= 1
            raise SendError("SMTP server answered 451 (SMTPDataError)")
        self.sent.append(raw)

    def send(self, message, recipients):
        raise AssertionError("the outbox sends stored bytes")

    def close(self) -> None:
        pass


@pytest.fixture
def runtime(store, tmp_path: Path):
    rt = build_runtime(load_board("west-sussex", REPO / "config"), store, tmp_path / "data",
                       FixedClock(NOW), sender=_Sender())
    yield rt
    if rt.deliverer is not None:
        rt.deliverer.stop()
    rt.close()


def _queue(rt, count: int) -> list[str]:
    ids = []
    with rt.store.transaction() as s:
        for n in range(count):
            msg = rt.composer.build("notices/attention", kind="notice", to=[f"a{n}@example.org"], now=rt.now(),
                                    context={"headline": f"H{n}", "reason": "R", "details": [], "ledger_id": None})
            outbox.queue(s, board=rt.slug, kind="notice", dedupe_key=f"t:{uuid.uuid4()}", message=msg,
                         now=rt.now(), flush=n % 2 == 0)
            ids.append(msg["Message-ID"])
    return ids


def _statuses(rt) -> list[str]:
    with rt.store.session() as s:
        return list(s.scalars(select(OutboxMail.status).order_by(OutboxMail.id)))


def _message_ids(raws: list[bytes]) -> list[str]:
    import email
    from email import policy

    return [email.message_from_bytes(r, policy=policy.default)["Message-ID"].strip() for r in raws]


def test_a_kick_sends_everything_due_in_order_from_its_own_thread(runtime) -> None:
    ids = _queue(runtime, 5)
    d = Deliverer(runtime).start()
    d.kick()
    assert d.wait_idle(20)
    assert _message_ids(runtime.sender.sent) == ids
    assert _statuses(runtime) == ["sent"] * 5
    assert runtime.sender.threads == {"deliver-west-sussex"}
    more = _queue(runtime, 2)
    d.kick()
    assert d.wait_idle(20)
    assert _message_ids(runtime.sender.sent) == ids + more
    d.stop()
    assert not d.alive() and not d.ensure_running()


def test_a_transient_failure_is_retried_when_its_time_comes_without_a_kick(runtime, monkeypatch) -> None:
    monkeypatch.setattr(deliverer_module, "MIN_WAIT", 0.05)
    monkeypatch.setattr(outbox, "RETRY_BASE_SECONDS", 0.5)  # the thread waits ~1 s (real time) for the retry
    runtime.sender.failures = 1
    ids = _queue(runtime, 3)
    d = Deliverer(runtime).start()
    d.kick()
    assert d.wait_idle(20)
    assert runtime.sender.sent == [] and _statuses(runtime) == ["pending"] * 3
    runtime.clock.advance(seconds=5)  # past the backoff when the thread's own wait ends: no kick needed
    for _ in range(200):
        if len(runtime.sender.sent) == 3:
            break
        threading.Event().wait(0.05)
    assert _message_ids(runtime.sender.sent) == ids
    d.stop()


def test_drain_with_a_deliverer_hands_the_sending_to_it(runtime) -> None:
    """A referral through the Maildir inbox: handled, its nine emails sent by the thread, the message moved."""
    import mailbox

    form = SAMPLES / "forms/west-sussex/referral/referral-02.docx"
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"] = "Harvey Radcliffe <harvey.radcliffe@childrens.westsussex-cc.example>"
    msg["To"] = "lscb@westsussex-scb.example"
    msg["Subject"] = "Referral for consideration"
    msg["Message-ID"] = "<deliverer-test-1@childrens.westsussex-cc.example>"
    msg.set_content("Please find attached a referral.")
    msg.add_attachment(form.read_bytes(), maintype="application",
                       subtype="vnd.openxmlformats-officedocument.wordprocessingml.document", filename=form.name)
    mailbox.Maildir(runtime.mailbox.path).add(bytes(msg))
    runtime.deliverer = Deliverer(runtime).start()
    stats = drain(runtime)
    assert stats.handled == 1 and stats.sent == 0  # counted by the thread, not the pass
    assert runtime.deliverer.wait_idle(30)
    kinds = [r.split(b"X-Mailbot-Kind: ", 1)[1].split(b"\r\n", 1)[0] for r in runtime.sender.sent]
    assert kinds.count(b"scoping_request") == 8 and kinds.count(b"acknowledgement") == 1
    assert set(_statuses(runtime)) == {"sent"} and runtime.deliverer.sent == len(kinds)
