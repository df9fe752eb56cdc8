"""Fixtures for the Graph backend: the fake Graph on loopback and a board wired to it."""

from __future__ import annotations

from typing import Iterator

import pytest
import requests

from mailbot.config import GraphMailbox, GraphSending
from mailbot.runtime import build_runtime
from mailbot.transports import graph_mailbox_from_config, graph_sender_from_config
from tests.flow.conftest import clock, maildir_runtime, ws_board  # noqa: F401 - fixtures
from tests.graph.fake_graph import CLIENT_ID, TENANT, FakeGraph
from tests.graph.fake_server import GraphServer

LOGIN = "https://login.microsoftonline.com"


class LocalEntra:
    """msal's HTTP client: its requests to login.microsoftonline.com go to the fake on loopback.

    msal insists on an https authority, so the token endpoint is faked at
    the one seam msal offers (``http_client``); the requests themselves,
    form and JSON, are msal's own.
    """

    def __init__(self, server: GraphServer) -> None:
        self.server = server
        self.session = requests.Session()

    def _local(self, url: str) -> str:
        assert url.startswith(LOGIN), url
        return self.server.url + url[len(LOGIN):]

    def get(self, url, params=None, headers=None, **kwargs):  # noqa: ANN001, ANN201
        return self.session.get(self._local(url), params=params, headers=headers, timeout=10)

    def post(self, url, params=None, data=None, headers=None, **kwargs):  # noqa: ANN001, ANN201
        return self.session.post(self._local(url), params=params, data=data, headers=headers, timeout=10)

    def close(self) -> None:
        self.session.close()


@pytest.fixture
def graph_server() -> Iterator[GraphServer]:
    server = GraphServer(FakeGraph(user="lscb@westsussex-scb.example"))
    server.start()
    yield server
    server.stop()


def graph_settings(server: GraphServer, **extra) -> GraphMailbox:  # noqa: ANN003
    return GraphMailbox(kind="graph", tenant=TENANT, client_id=CLIENT_ID, user=server.graph.user,
                        credential={"secret": {"env": "MAILBOT_TEST_GRAPH_SECRET"}},
                        endpoint=f"{server.url}/v1.0", poll_seconds=1, **extra)


@pytest.fixture
def graph_board(ws_board, graph_server, monkeypatch):  # noqa: ANN001, ANN201
    monkeypatch.setenv("MAILBOT_TEST_GRAPH_SECRET", "fictional-client-secret")
    ws_board.config = ws_board.config.model_copy(update={
        "mailbox": graph_settings(graph_server), "sending": GraphSending(kind="graph")})
    return ws_board


def graph_runtime_for(board, store, data_dir, clock, server: GraphServer):  # noqa: ANN001, ANN201
    """A runtime as ``build_runtime`` makes it from the board file, msal's HTTP pointed at the fake."""
    cfg = board.config.mailbox
    entra = LocalEntra(server)
    return build_runtime(board, store, data_dir, clock,
                         mailbox=graph_mailbox_from_config(board, cfg, data_dir, http_client=entra),
                         sender=graph_sender_from_config(board, cfg, data_dir, http_client=entra))


@pytest.fixture
def graph_runtime(graph_board, store, tmp_path, clock, graph_server):  # noqa: ANN001, ANN201
    rt = graph_runtime_for(graph_board, store, tmp_path / "data", clock, graph_server)
    yield rt
    rt.close()
