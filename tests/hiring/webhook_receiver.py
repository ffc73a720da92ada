"""A real local HTTP server standing in for an applicant-tracking system's webhook
receiver: it records every request and answers with scripted status codes."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    statuses: deque = field(default_factory=deque)  # popped per request; then 200
    extra_headers: dict[int, dict[str, str]] = field(default_factory=dict)
    # When set, each request waits for it before answering (a slow receiver).
    hold: threading.Event | None = None

    def answer(self, *statuses: int) -> None:
        self.statuses.extend(statuses)


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
            if receiver.hold is not None:
                receiver.hold.wait(timeout=30)
            status = receiver.statuses.popleft() if receiver.statuses else 200
            self.send_response(status)
            for name, value in receiver.extra_headers.get(status, {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):  # keep the test output quiet
            pass

    return Handler


@pytest.fixture
def webhook_receiver(settings) -> Iterator[Receiver]:
    """A receiver on 127.0.0.1 (private addresses allowed, as in tests and `make run`)."""
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    receiver = Receiver(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/viva"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()
