"""A real HTTP server that speaks the OpenAI chat-completions protocol, with scripted replies.

Tests point the real ``openai`` client at ``fake_openai.base_url`` and queue replies with
``fake_openai.script(...)``; each POST /v1/chat/completions pops one reply. Every request the
server receives is recorded in ``fake_openai.requests`` (parsed JSON body, headers, path) so
tests can assert what the grader actually sent.

Reply specs (see ``Reply``):
- ``Reply.content("...")`` or a plain ``str``: a normal completion whose message content is
  that string; a ``dict``/``list`` is JSON-encoded first;
- ``Reply.error(429)``: an error status with an OpenAI-style error body;
- ``Reply.malformed(b"...")``: a 200 whose body is whatever bytes are given;
- ``Reply.refusal("...")``: message.refusal set, content null;
- any of them with ``delay=`` seconds before the server answers (for timeouts).

Callers that send requests concurrently (their order is not fixed) can instead give
``fake_openai.respond_with(fn)``: ``fn(request)`` builds the reply from the recorded request
whenever the queue is empty.

When the queue is empty and no responder is set, the server answers 500 with an
explanatory error, so a test that forgot to script a reply fails loudly rather than hanging.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

CHAT_PATH = "/v1/chat/completions"

_DEFAULT_USAGE = {"prompt_tokens": 321, "completion_tokens": 54, "total_tokens": 375}


@dataclass(frozen=True)
class Reply:
    """One scripted reply. Build with the class methods; fields are the raw knobs."""

    status: int = 200
    content: str | None = ""
    refusal: str | None = None
    finish_reason: str = "stop"
    usage: dict[str, int] | None = field(default_factory=lambda: dict(_DEFAULT_USAGE))
    delay: float = 0.0
    raw_body: bytes | None = None  # sent as-is instead of a chat.completion
    error_body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    no_choices: bool = False

    @classmethod
    def ok(cls, content: str | dict | list | None, **kwargs: Any) -> Reply:
        if content is not None and not isinstance(content, str):
            content = json.dumps(content)
        return cls(content=content, **kwargs)

    @classmethod
    def error(cls, status: int, message: str = "", **kwargs: Any) -> Reply:
        kind = {429: "rate_limit_exceeded", 400: "invalid_request_error"}.get(
            status, "server_error"
        )
        body = {
            "error": {
                "message": message or f"fake error {status}",
                "type": kind,
                "param": None,
                "code": kind,
            }
        }
        return cls(status=status, error_body=body, **kwargs)

    @classmethod
    def malformed(cls, body: bytes = b"{this is not json", **kwargs: Any) -> Reply:
        return cls(raw_body=body, **kwargs)

    @classmethod
    def refused(cls, refusal: str = "I can't help with that.", **kwargs: Any) -> Reply:
        return cls(content=None, refusal=refusal, **kwargs)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any  # the parsed JSON body, or the raw text when it is not JSON

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.body.get("messages", []) if isinstance(self.body, dict) else []

    def message_text(self, role: str) -> str:
        """All text content sent with ``role``, joined (content may be a string or parts)."""
        texts = []
        for message in self.messages:
            if message.get("role") != role:
                continue
            content = message.get("content")
            if isinstance(content, str):
                texts.append(content)
            elif isinstance(content, list):
                texts.extend(part.get("text", "") for part in content if isinstance(part, dict))
        return "\n".join(texts)


class FakeOpenAI:
    """The server plus its script and request log; use as a context manager or via the fixture."""

    def __init__(self) -> None:
        self._replies: deque[Reply] = deque()
        self._responder: Callable[[RecordedRequest], Reply | str | dict | list] | None = None
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self.requests: list[RecordedRequest] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-openai",
            daemon=True,
        )

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def script(self, *replies: Reply | str | dict | list) -> None:
        """Queue replies, served in order, one per request."""
        with self._lock:
            for reply in replies:
                self._replies.append(reply if isinstance(reply, Reply) else Reply.ok(reply))

    def respond_with(
        self, responder: Callable[[RecordedRequest], Reply | str | dict | list] | None
    ) -> None:
        """Answer any request the queue does not cover with ``responder(request)``."""
        self._responder = responder

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._replies)

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closing.set()  # wakes handlers sleeping on a scripted delay
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- internals ---------------------------------------------------------------------

    def _next_reply(self) -> Reply | None:
        with self._lock:
            return self._replies.popleft() if self._replies else None

    def _responded(self, request: RecordedRequest) -> Reply | None:
        if self._responder is None:
            return None
        reply = self._responder(request)
        return reply if isinstance(reply, Reply) else Reply.ok(reply)

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "FakeOpenAI/1.0"

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep pytest output clean

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body: Any = json.loads(raw or b"null")
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                recorded = RecordedRequest(
                    method="POST",
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                fake._record(recorded)
                if self.path.rstrip("/") != CHAT_PATH:
                    self._send_json(404, {"error": {"message": "not found", "type": "x"}})
                    return
                reply = fake._next_reply() or fake._responded(recorded)
                if reply is None:
                    message = "fake_openai: no scripted reply left"
                    self._send_json(500, {"error": {"message": message, "type": "server_error"}})
                    return
                if reply.delay and fake._closing.wait(reply.delay):
                    return  # server shutting down: drop the connection
                if reply.raw_body is not None:
                    self._send(reply.status, reply.raw_body, reply.headers)
                elif reply.status >= 400:
                    self._send_json(reply.status, reply.error_body or {}, reply.headers)
                else:
                    model = body.get("model", "fake-model") if isinstance(body, dict) else "?"
                    self._send_json(reply.status, _completion(reply, model), reply.headers)

            def do_GET(self) -> None:
                self._send_json(404, {"error": {"message": "not found", "type": "x"}})

            def _send_json(self, status: int, payload: Any, headers: dict | None = None) -> None:
                self._send(status, json.dumps(payload).encode(), headers, "application/json")

            def _send(
                self,
                status: int,
                data: bytes,
                headers: dict | None = None,
                content_type: str = "application/json",
            ) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test); nothing to tell it

        return Handler


def _completion(reply: Reply, model: str) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": f"chatcmpl-fake{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": "fp_fake",
        "choices": []
        if reply.no_choices
        else [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": reply.content,
                    "refusal": reply.refusal,
                },
                "logprobs": None,
                "finish_reason": reply.finish_reason,
            }
        ],
    }
    if reply.usage is not None:
        payload["usage"] = reply.usage
    return payload


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    """A running fake OpenAI server; ``.base_url``, ``.script(*replies)``, ``.requests``."""
    with FakeOpenAI() as server:
        yield server
