"""A small OpenAI-compatible chat-completions server on loopback, for tests and benchmarks.

It speaks the wire format the ``openai`` client expects (``POST /v1/chat/completions``), answers
after a fixed latency, and can inject failures, so that code talking to real endpoints is
tested offline through the real client.

>>> from openai import OpenAI
>>> with LoopbackServer(reply=lambda messages: "Hi!") as server:
...     client = OpenAI(base_url=server.base_url, api_key="test")
...     out = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "Hello"}])
>>> out.choices[0].message.content, server.requests
('Hi!', 1)
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = Callable[[list[dict[str, Any]]], str]


class LoopbackServer:
    """An OpenAI-compatible endpoint on 127.0.0.1 (port chosen by the OS).

    Args:
        reply: Text of the assistant message, from the request's messages.
        latency_s: Seconds each request takes before it is answered.
        max_concurrency: Requests served at once; further ones get HTTP 429 (``None``: no limit).
        faults: HTTP status codes to answer the next requests with, in order (e.g. ``[429, 500]``),
            before normal service resumes; ``0`` answers 200 with a body that is not JSON.

    Attributes:
        requests: Requests received.
        max_in_flight: Most requests that were being served at the same time.
    """

    def __init__(
        self,
        reply: Reply | None = None,
        latency_s: float = 0.0,
        max_concurrency: int | None = None,
        faults: Iterable[int] = (),
    ) -> None:
        self.reply = reply or (lambda messages: "OK")
        self.latency_s, self.max_concurrency = latency_s, max_concurrency
        self.faults: deque[int] = deque(faults)
        self.requests = self.max_in_flight = self._in_flight = 0
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """The URL to give the openai client as ``base_url``."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> LoopbackServer:
        """Start serving in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _admit(self) -> int | None:
        """Count a request; return a status code to fail it with, or None to serve it."""
        with self._lock:
            self.requests += 1
            if self.faults:
                return self.faults.popleft()
            if self.max_concurrency is not None and self._in_flight >= self.max_concurrency:
                return 429
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            return None

    def _release(self) -> None:
        with self._lock:
            self._in_flight -= 1


class _Server(ThreadingHTTPServer):
    # The default listen backlog (5) makes bursts of connections wait for SYN retries (1 s).
    request_queue_size = 1024


def _handler(server: LoopbackServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            status = server._admit()
            if status == 0:  # fault 0: a 200 whose body is not JSON (a broken proxy, a crashed server)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "9")
                self.end_headers()
                self.wfile.write(b"{not json")
                return
            if status is not None:
                self._send(
                    status, {"error": {"message": f"injected {status}", "type": "test", "code": status}}
                )
                return
            try:
                time.sleep(server.latency_s)
                text = server.reply(body.get("messages", []))
            finally:
                server._release()
            self._send(200, _completion(body.get("model", "loopback"), text))

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def _completion(model: str, text: str) -> dict[str, Any]:
    words = len(text.split())
    return {
        "id": "chatcmpl-loopback",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 0, "completion_tokens": words, "total_tokens": words},
    }
