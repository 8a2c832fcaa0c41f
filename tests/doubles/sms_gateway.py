"""A real HTTP SMS gateway on loopback that keeps what it receives: test double.

``stop``/``start`` on the same port simulate an outage, like ``Mailbox`` does for SMTP.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.doubles.smtp import free_port, wait_until

TOKEN = "sms-gateway-test-token"


class SmsGateway:
    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[dict[str, Any]] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sms"

    def start(self) -> None:
        messages = self.messages

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    self.send_response(401)
                else:
                    messages.append(json.loads(body))
                    self.send_response(202)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    async def wait_for(self, count: int, timeout: float = 10) -> list[dict[str, Any]]:
        await wait_until(lambda: len(self.messages) >= count, timeout)
        return self.messages
