"""An OAuth2 token introspection endpoint on loopback, for Dovecot 2.4's XOAUTH2.

Dovecot 2.3 checks an XOAUTH2 bearer token against the passdb like a password,
so the tests sign in with the user's password as the token. Dovecot 2.4 no
longer does: its XOAUTH2 always asks an OAuth2 server about the token
(``oauth2_introspection_url``). This is that server, keeping 2.3's rule: a
token is valid for the user whose passwd-file password it is. Dovecot sends
``Authorization: Bearer <token>`` (``oauth2_introspection_mode = auth``) and
we answer ``{"active": true, "email": user}`` or ``{"active": false}``.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def token_owner(users_dir: Path, token: str) -> str | None:
    """The user whose passwd-file line (``user:{PLAIN}password:…``) has ``token`` as password."""
    for entry in users_dir.iterdir():
        try:
            user, password = entry.read_text().split(":", 2)[:2]
        except (OSError, ValueError):
            continue
        if token and password == "{PLAIN}" + token:
            return user
    return None


class IntrospectionServer:
    """ThreadingHTTPServer on 127.0.0.1 (a free port), answering from ``users_dir``."""

    def __init__(self, users_dir: Path) -> None:
        users = users_dir

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                header = self.headers.get("Authorization", "")
                token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
                owner = token_owner(users, token)
                body = json.dumps({"active": True, "email": owner} if owner else {"active": False}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass  # tokens are secrets: nothing on stderr

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/introspect"
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="oauth2-introspection", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
