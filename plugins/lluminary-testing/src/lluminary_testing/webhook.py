"""A webhook receiver for tests: a loopback HTTP server that keeps every JSON body POSTed to it
(budget alerts, for instance), so a test sees what a real endpoint would have received.

``WebhookReceiver(status=204, path="/hooks/token")`` starts serving at once; use it as a context
manager or call :meth:`~WebhookReceiver.close`. ``url`` is where to point the sender, ``bodies``
the decoded JSON bodies in arrival order, ``paths`` the request paths, ``raw`` each body with
its headers (to look for a leaked secret), and :meth:`~WebhookReceiver.wait_for` waits for a
number of them."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

__all__ = ["WebhookReceiver"]


class WebhookReceiver:
    """Answers every POST with ``status`` and keeps what it received."""

    def __init__(self, *, status: int = 204, path: str = "/hooks/secret-token-123") -> None:
        self.path = path
        self.bodies: list[Any] = []
        self.paths: list[str] = []
        self.raw: list[bytes] = []
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                data = self.rfile.read(int(self.headers.get("content-length") or 0))
                with receiver.arrived:
                    receiver.raw.append(data + str(self.headers).encode())
                    receiver.paths.append(self.path)
                    receiver.bodies.append(json.loads(data) if data else None)
                    receiver.arrived.notify_all()
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, name="webhook-receiver", daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{self.path}"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Any]:
        """The bodies once ``count`` have arrived (or when ``timeout`` seconds have passed)."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.bodies) >= count, timeout)
            return list(self.bodies)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> WebhookReceiver:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
