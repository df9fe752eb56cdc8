"""Change notifications against the fake Graph: validation, wake-up, clientState, lifecycle, renewal.

Graph posts to the daemon's listener (here on loopback; in a deployment
behind an HTTPS reverse proxy). Delta stays the source of truth: a lost
notification only means the mail is found at the next poll.
"""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
import requests

from mailbot.mailbox.base import Folder
from mailbot.mailbox.graph import GraphMailbox
from mailbot.mailbox.graph_notify import NotificationListener, Subscription
from mailbot.mailbox.graph_state import MemoryDeltaState
from tests.graph.test_graph_mailbox import _client, _mail

STATE = "a-long-random-client-state-0123456789"


class Clock:
    def __init__(self) -> None:
        self.t = dt.datetime.now(dt.timezone.utc)

    def __call__(self) -> dt.datetime:
        return self.t


@pytest.fixture
def notified(graph_server):  # noqa: ANN001, ANN201
    listener = NotificationListener(STATE).start()
    clock = Clock()
    sub = Subscription(_client(graph_server), listener, f"http://127.0.0.1:{listener.port}/notify", now=clock)
    box = GraphMailbox("graph:test", _client(graph_server), state=MemoryDeltaState(), subscription=sub,
                       poll_interval=30.0)
    yield box, clock
    box.close()


def test_new_mail_ends_the_wait_at_once(notified, graph_server):
    box, _clock = notified
    g = graph_server.graph
    list(box.fetch_new())
    assert box.wait(0.01) is False  # makes the subscription (the endpoint validated first)
    [sub] = g.subscriptions.values()
    assert sub["resource"] == f"users/{g.user}/mailFolders('inbox')/messages" and sub["clientState"] == STATE
    g.deliver(_mail(1))
    started = time.monotonic()
    assert box.wait(30.0) is True
    assert time.monotonic() - started < 5.0  # not the 30 s poll
    [incoming] = list(box.fetch_new())
    box.move(incoming.ref, Folder.PROCESSED)


def test_a_lost_notification_costs_one_poll_not_the_message(notified, graph_server):
    box, _clock = notified
    g = graph_server.graph
    box.poll_interval = 0.5
    list(box.fetch_new())
    box.wait(0.01)
    g.notifications_lost = True
    g.deliver(_mail(1))
    assert box.wait(30.0) is False  # nobody told us: the poll ends the wait
    assert [m.raw for m in box.fetch_new()] == [_mail(1)]


def test_a_notification_without_our_client_state_wakes_nothing(notified):
    box, _clock = notified
    listener = box.subscription.listener
    url = f"http://127.0.0.1:{listener.port}/notify"
    forged = {"value": [{"subscriptionId": "x", "clientState": "guessed", "changeType": "created"}]}
    assert requests.post(url, data=json.dumps(forged), timeout=5).status_code == 202
    assert box.wait(0.3) is False and listener.refused == 1
    assert requests.post(url, data=b"not json", timeout=5).status_code == 202
    assert requests.post(url, params={"validationToken": "abc <x>"}, timeout=5).text == "abc <x>"


def test_lifecycle_events_renew_remake_or_wake(notified, graph_server):
    box, _clock = notified
    g = graph_server.graph
    box.wait(0.01)
    [first] = list(g.subscriptions)
    g.lifecycle("reauthorizationRequired")
    time.sleep(0.5)
    box.wait(0.01)
    assert g.subscriptions[first].get("renewals") == 1
    g.lifecycle("subscriptionRemoved")
    time.sleep(0.5)
    box.wait(0.01)
    assert list(g.subscriptions) != [first] and len(g.subscriptions) == 1
    g.lifecycle("missed")  # notifications were lost: look now
    assert box.wait(10.0) is True


def test_renewed_before_it_expires_and_remade_if_it_is_gone(notified, graph_server):
    box, clock = notified
    g = graph_server.graph
    box.wait(0.01)
    [sub_id] = list(g.subscriptions)
    box.wait(0.01)
    assert "renewals" not in g.subscriptions[sub_id]  # nothing due yet
    clock.t += dt.timedelta(days=1, hours=13)  # within twelve hours of the two-day expiry
    box.wait(0.01)
    assert g.subscriptions[sub_id]["renewals"] == 1
    del g.subscriptions[sub_id]  # expired while the daemon was down
    clock.t += dt.timedelta(days=2)
    box.wait(0.01)
    assert len(g.subscriptions) == 1 and sub_id not in g.subscriptions


def test_closing_deletes_the_subscription(graph_server):
    listener = NotificationListener(STATE).start()
    sub = Subscription(_client(graph_server), listener, f"http://127.0.0.1:{listener.port}/n")
    box = GraphMailbox("graph:test", _client(graph_server), subscription=sub)
    box.wait(0.01)
    assert len(graph_server.graph.subscriptions) == 1
    box.close()
    assert graph_server.graph.subscriptions == {}
