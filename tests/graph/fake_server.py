"""The fake Graph's HTTP side: a threaded server on a free loopback port, faults applied here.

A fault answers in place of Graph (429/503 with Retry-After, a 400) or lets
the work happen and then loses the answer (``drop``) or holds it
(``hold``), which is where a client cannot tell whether its request was
carried out.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from tests.graph.fake_graph import FakeGraph, _error


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go as two writes: no 40 ms delayed-ACK stall
    graph: FakeGraph

    def log_message(self, *args) -> None:  # noqa: ANN002 - quiet
        pass

    def setup(self) -> None:
        super().setup()
        self.server.open_connections.add(self.connection)  # type: ignore[attr-defined]

    def finish(self) -> None:
        self.server.open_connections.discard(self.connection)  # type: ignore[attr-defined]
        super().finish()

    def _send(self, status: int, body: bytes | dict | None = None, headers: dict[str, str] | None = None,
              ctype: str = "application/json") -> None:
        data = json.dumps(body).encode() if isinstance(body, dict) else (body or b"")
        self.graph.log.append((self.command, urlsplit(self.path).path, status))  # before the client can read it
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        from tests.graph import fake_routes

        g = self.graph
        body = self._body()
        parts = urlsplit(self.path)
        path, query = unquote(parts.path), {k: v[0] for k, v in parse_qs(parts.query).items()}
        with g.lock:
            fault = next((f for f in g.faults if f.match in f"{self.command} {path}" and f.times > 0), None)
            if fault is not None:
                fault.times -= 1
        if fault is not None and not fault.drop and not fault.hold:
            hdrs = {"Retry-After": str(int(fault.retry_after))} if fault.retry_after is not None else {}
            code = {400: "ErrorInvalidRecipients", 429: "TooManyRequests", 503: "ServiceUnavailable"}.get(fault.status, "InternalServerError")
            self._send(fault.status, _error(code, "Injected by the test."), hdrs)
            return
        with g.lock:
            status, answer, hdrs, ctype = fake_routes.route(g, self.command, path, query, dict(self.headers), body)
        if fault is not None and fault.hold:
            fault.held.set()
            threading.Event().wait(fault.hold)
        if fault is not None and fault.drop:
            g.log.append((self.command, path, -1))
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self._send(status, answer, hdrs, ctype)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address) -> None:  # noqa: ANN001
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)  # a client that went away is no news


class GraphServer:
    """The fake on a free loopback port, in a thread; ``stop``/``start`` keep the port and the state."""

    def __init__(self, graph: FakeGraph | None = None) -> None:
        self.graph = graph or FakeGraph()
        self.port = 0
        self._server: _Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        handler = type("Handler", (_Handler,), {"graph": self.graph})
        self._server = _Server(("127.0.0.1", self.port), handler)
        self._server.open_connections = set()  # type: ignore[attr-defined]
        self.port = self._server.server_address[1]
        self.graph.base = f"{self.url}/v1.0"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            for conn in list(self._server.open_connections):  # type: ignore[attr-defined]
                try:  # a kept-alive connection would go on being served: Graph is down for everyone
                    conn.shutdown(2)
                except OSError:
                    pass
            self._server.server_close()
            self._server = None
