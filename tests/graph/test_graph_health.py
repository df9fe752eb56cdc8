"""Never silent on Graph too: an unreachable Graph is alerted on after the configured time.

With Graph as both mailbox and sender, the alert cannot leave while Graph
is away: it waits in the outbox and goes, with the recovery notice, the
moment Graph answers again (docs/microsoft-365.md says so).
"""

from __future__ import annotations

from sqlalchemy import select

from mailbot.daemon import one_pass
from mailbot.store.models import OutboxMail


def _health_rows(rt) -> list[tuple[str, str]]:  # noqa: ANN001
    with rt.store.session() as s:
        rows = s.execute(select(OutboxMail.subject, OutboxMail.status).where(OutboxMail.kind == "alert")
                         .order_by(OutboxMail.id)).all()
    return [(str(subject), status) for subject, status in rows]


def test_graph_down_alerts_after_the_configured_time_and_recovers(graph_runtime, graph_server, clock):
    rt, g = graph_runtime, graph_server.graph
    for client in (rt.mailbox.client, rt.sender.client):
        client.max_attempts, client._sleep = 2, (lambda _s: None)
    one_pass(rt)  # reachable: fine
    graph_server.stop()
    one_pass(rt)
    clock.advance(minutes=10)
    one_pass(rt)
    assert _health_rows(rt) == []  # not yet: under the 15 minutes configured
    clock.advance(minutes=6)
    one_pass(rt)
    clock.advance(minutes=30)
    one_pass(rt)
    assert _health_rows(rt) == [("ALERT: mailbot cannot reach the WSSCB mailbox", "pending")]
    graph_server.start()
    clock.advance(hours=1)  # past the outbox's retry time
    one_pass(rt)
    assert [s for s, _st in _health_rows(rt)] == ["ALERT: mailbot cannot reach the WSSCB mailbox",
                                                  "Resolved: mailbot can reach the WSSCB mailbox again"]
    sent = [m for _r, m in g.received() if str(m["Subject"]).startswith(("ALERT", "Resolved"))]
    assert len(sent) == 2
    assert sorted(a for r, m in g.received() if str(m["Subject"]).startswith("ALERT") for a in r) == [
        "admin@westsussex-scb.example", "businessmanager@westsussex-scb.example"]
