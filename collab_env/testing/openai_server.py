"""A small OpenAI-compatible chat-completions server on loopback, for tests and benchmarks.

It speaks the wire format the ``openai`` client expects (``POST /v1/chat/completions``), answers
after a fixed latency, and can inject failures, so that code talking to real endpoints is
tested offline through the real client. Faults, served in order before normal service resumes:

- an HTTP status code (``429``, ``500``, ``503``...; a 429 carries ``Retry-After`` when
  ``retry_after_s`` is set), answered with an OpenAI-style error body;
- ``"malformed"`` (or ``0``): a 200 whose body is not JSON (a broken proxy, a crashed worker);
- ``"reset"``: the connection is reset (TCP RST) before any response;
- ``"stall"``: the status line and headers arrive, then the body only after ``stall_s`` seconds
  (a response that stalls past the client's read timeout);
- ``"empty"``: a 200 whose completion is empty;
- ``"filtered"``: a 200 whose completion the endpoint's content filter withheld
  (``finish_reason="content_filter"``, no content);
- ``None``: no fault; this request is served normally (to space faults out).

Beyond faults it behaves like the real servers that the library meets (llama.cpp, vLLM, OpenAI):
it honours ``max_tokens`` (a longer reply is cut there, with ``finish_reason="length"``),
generates at ``token_latency_s`` per word and goes on generating for a client that gave up,
refuses a wrong API key with 401 when given one, and beyond ``max_concurrency`` answers 429 or,
with ``queue=True``, makes requests wait their turn (llama.cpp's single slot). A reply function
that takes a second argument receives the whole request (``seed``, ``temperature``,
``response_format``...): :mod:`collab_env.testing.fake_models` has ones that sample by seed and
that behave like a small real model.

>>> from openai import OpenAI
>>> with LoopbackServer(reply=lambda messages: "Hi!") as server:
...     client = OpenAI(base_url=server.base_url, api_key="test")
...     out = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "Hello"}])
>>> out.choices[0].message.content, server.requests
('Hi!', 1)
"""

from __future__ import annotations

import inspect
import json
import math
import random
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from collab_env.testing.fake_models import Completion

#: ``reply(messages)`` or ``reply(messages, request)``: the text, or a :class:`Completion`.
Reply = Callable[..., "str | Completion"]
Fault = int | str | None
FAULTS = ("malformed", "reset", "stall", "empty", "filtered")


class LoopbackServer:
    """An OpenAI-compatible endpoint on 127.0.0.1 (port chosen by the OS).

    Args:
        reply: Text of the assistant message, from the request's messages.
        latency_s: Seconds each request takes before it is answered (the mean, with ``latency_log_sd``).
        max_concurrency: Requests served at once; further ones get HTTP 429 (``None``: no limit).
        faults: Faults to answer the next requests with, in order (e.g. ``[429, "reset", 500]``),
            before normal service resumes; see the module docstring.
        retry_after_s: ``Retry-After`` of injected 429s, in seconds (``None``: no header).
        stall_s: How long a ``"stall"`` fault holds back the body, in seconds.
        token_latency_s: Seconds per completion word, on top of ``latency_s`` (slow generation).
        api_key: The only key accepted (others get 401); ``None`` accepts any.
        queue: Beyond ``max_concurrency``, requests wait for a free slot instead of getting 429.
        latency_log_sd: With > 0, each request's latency is drawn from a lognormal distribution of
            mean ``latency_s`` and this log-standard deviation (real replies vary in length: 0.6
            is a spread seen on real servers), from a generator seeded with ``seed``.
        seed: Seed of the latency generator.
        port: The port to listen on (0: one the OS chooses; a fixed one lets a killed server
            come back at the same URL).

    Attributes:
        requests: Requests received.
        max_in_flight: Most requests that were being served at the same time.
        bodies: The JSON body of every request received, in order.
        completion_tokens: Words generated, for every request served (abandoned ones included).
    """

    def __init__(
        self,
        reply: Reply | None = None,
        latency_s: float = 0.0,
        max_concurrency: int | None = None,
        faults: Iterable[Fault] = (),
        retry_after_s: float | None = None,
        stall_s: float = 2.0,
        token_latency_s: float = 0.0,
        api_key: str | None = None,
        queue: bool = False,
        latency_log_sd: float = 0.0,
        seed: int = 0,
        port: int = 0,
    ) -> None:
        faults = list(faults)
        unknown = [f for f in faults if f is not None and not isinstance(f, int) and f not in FAULTS]
        if unknown:
            raise ValueError(f"unknown fault(s) {unknown}: use HTTP status codes or one of {FAULTS}")
        self.reply = reply or (lambda messages: "OK")
        self.latency_s, self.max_concurrency = latency_s, max_concurrency
        self.latency_log_sd, self._latency_rng = latency_log_sd, random.Random(seed)
        self.retry_after_s, self.stall_s = retry_after_s, stall_s
        self.token_latency_s, self.api_key = token_latency_s, api_key
        self.faults: deque[Fault] = deque("malformed" if f == 0 else f for f in faults)
        self.requests = self.max_in_flight = self._in_flight = self.completion_tokens = 0
        self.bodies: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._slots = threading.Semaphore(max_concurrency) if queue and max_concurrency else None
        self._httpd = _Server(("127.0.0.1", port), _handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

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

    def _admit(self, body: dict[str, Any], authorization: str | None) -> Fault | None:
        """Count a request; return the fault to answer it with, or None to serve it."""
        with self._lock:
            self.requests += 1
            self.bodies.append(body)
            fault = self.faults.popleft() if self.faults else None
            if fault is None and self.api_key is not None and authorization != f"Bearer {self.api_key}":
                fault = 401
        if fault is not None:
            return fault
        if self._slots is not None:
            self._slots.acquire()  # a slow queue: wait for a slot, as llama.cpp's server does
        with self._lock:
            if self._slots is None and self.max_concurrency is not None:
                if self._in_flight >= self.max_concurrency:
                    return 429
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            return None

    def _release(self) -> None:
        with self._lock:
            self._in_flight -= 1
        if self._slots is not None:
            self._slots.release()

    def _generate(self, body: dict[str, Any]) -> Completion:
        """The completion of ``body``: the reply, cut at ``max_tokens`` words, generated slowly."""
        messages = body.get("messages", [])
        wants_request = len(inspect.signature(self.reply).parameters) > 1
        out = self.reply(messages, body) if wants_request else self.reply(messages)
        out = out if isinstance(out, Completion) else Completion(out)
        if out.text is not None and body.get("max_tokens") is not None:
            words = out.text.split(" ")
            if len(words) > body["max_tokens"]:
                out = Completion(" ".join(words[: body["max_tokens"]]), "length")
        tokens = len((out.text or "").split())
        with self._lock:
            self.completion_tokens += tokens
            latency = self.latency_s
            if self.latency_log_sd > 0:  # lognormal of mean latency_s: exp(N(-sd²/2, sd))
                sd = self.latency_log_sd
                latency *= math.exp(self._latency_rng.gauss(-sd * sd / 2, sd))
        time.sleep(latency + self.token_latency_s * tokens)
        return out


class Together:
    """A reply that holds the requests it picks until ``parties`` of them are in flight at once.

    It turns "these calls go out together" into a fact a test checks, not a race against the
    machine's speed (a fixed latency lets a loaded machine spread a wave past it): code that sent
    them one group at a time never gathers ``parties``: the barrier times out, ``broken`` says so
    and every request is answered from then on without waiting. Requests it does not pick are answered at once. A barrier is reused: each further
    ``parties`` picked requests gather again.

    Args:
        parties: How many picked requests must be in flight before any is answered.
        reply: The text (or a function of the messages giving it) to answer with.
        picks: ``picks(messages, n)``: whether the ``n``-th request (from 0) is held; all by default.
        timeout_s: How long a held request waits for the others before the barrier breaks.

    >>> import asyncio
    >>> from collab_env.llm import OpenAIChat
    >>> together = Together(4, reply="OK")
    >>> with LoopbackServer(reply=together) as server:
    ...     model = OpenAIChat("m", base_url=server.base_url, concurrency=4)
    ...     async def four():
    ...         return await asyncio.gather(*(model.acomplete([{"role": "user", "content": "hi"}]) for _ in range(4)))
    ...     texts = [c.text for c in asyncio.run(four())]
    >>> texts, server.max_in_flight, together.broken
    (['OK', 'OK', 'OK', 'OK'], 4, False)
    """

    def __init__(
        self,
        parties: int,
        reply: str | Callable[[list[dict[str, Any]]], str] = "OK",
        picks: Callable[[list[dict[str, Any]], int], bool] = lambda messages, n: True,
        timeout_s: float = 60.0,
    ) -> None:
        self._barrier = threading.Barrier(parties, timeout=timeout_s)
        self._reply, self._picks = reply, picks
        self._count, self._lock = 0, threading.Lock()

    @property
    def broken(self) -> bool:
        """Whether a held request waited ``timeout_s`` without the others coming."""
        return self._barrier.broken

    def __call__(self, messages: list[dict[str, Any]]) -> str:
        with self._lock:
            n, self._count = self._count, self._count + 1
        if self._picks(messages, n):
            try:
                self._barrier.wait()
            except threading.BrokenBarrierError:  # answered all the same: ``broken`` tells the test
                pass
        return self._reply(messages) if callable(self._reply) else self._reply


class _Server(ThreadingHTTPServer):
    # The default listen backlog (5) makes bursts of connections wait for SYN retries (1 s).
    request_queue_size = 1024


def _handler(server: LoopbackServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            fault = server._admit(body, self.headers.get("Authorization"))
            if isinstance(fault, str):
                self._fault(fault, body.get("model", "loopback"))
                return
            if fault is not None:
                error = {"error": {"message": f"injected {fault}", "type": "test", "code": fault}}
                retry = server.retry_after_s if fault == 429 else None
                self._send(fault, error, {} if retry is None else {"Retry-After": str(retry)})
                return
            try:
                out = server._generate(body)
            finally:
                server._release()
            self._send(200, _completion(body.get("model", "loopback"), out.text, out.finish_reason))

        def _fault(self, fault: str, model: str) -> None:
            if fault == "reset":  # SO_LINGER 0: close() sends RST instead of FIN
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                self.connection.close()
            elif fault == "malformed":
                self._send_raw(200, b"{not json")
            elif fault == "stall":
                data = json.dumps(_completion(model, "too late")).encode()
                self._send_raw(200, data, stall_s=server.stall_s)
            else:
                finish = "content_filter" if fault == "filtered" else "stop"
                self._send(200, _completion(model, "" if fault == "empty" else None, finish))

        def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            self._send_raw(status, json.dumps(payload).encode(), headers)

        def _send_raw(
            self, status: int, data: bytes, headers: dict[str, str] | None = None, stall_s: float = 0.0
        ) -> None:
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.flush()
            time.sleep(stall_s)
            try:
                self.wfile.write(data)
            except OSError:  # the client gave up waiting
                pass

    return Handler


def _completion(model: str, text: str | None, finish: str = "stop") -> dict[str, Any]:
    words = len((text or "").split())
    return {
        "id": "chatcmpl-loopback",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}],
        "usage": {"prompt_tokens": 0, "completion_tokens": words, "total_tokens": words},
    }
