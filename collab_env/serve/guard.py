"""The server's front door: every request is checked here, in linear time, before a contract sees it.

:class:`Guard` is a plain ASGI middleware around either contract's app. For HTTP it reads the
body chunk by chunk and refuses it (``too_large``, 413) as soon as it crosses
``--max-body-bytes``, chunked or not, and refuses a POST body that is not a JSON object
(``malformed``, 400): invalid JSON or UTF-8, a lone surrogate escape (``"\\ud800"``), an array or
a scalar, or an object nested deeper than :data:`MAX_DEPTH`. For WebSockets it holds one of the
client's slots for the connection (``client_capacity``) and answers a frame of that kind with an
error frame, the session untouched. A client that goes away while its request runs costs one log
line, never a traceback; an unexpected failure is a coded ``internal`` error, logged once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

from collab_env.serve.session import ServeError
from collab_env.serve.store import SessionStore

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
AsgiMessage = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[AsgiMessage]]
Send = Callable[[AsgiMessage], Awaitable[None]]

#: Deepest nesting of a body or frame (the contracts' own are 4 deep; Python's JSON parser, which
#: OpenEnv's framework runs after this check, fails near 1,000).
MAX_DEPTH = 64
#: The message types of OpenEnv's WebSocket contract that a session serves.
WS_TYPES = ("reset", "step", "state", "close")
#: Where the parsed JSON body of a request is left for the contract's handlers.
JSON_KEY = "collab_env.json"
#: Bodies and frames past this size are parsed in a worker thread, off the event loop.
THREAD_BYTES = 65_536
#: OpenEnv's error-frame code for each of ours (its clients read ``data.code``; ours is in the message).
OPENENV_CODES = {"malformed": "INVALID_JSON", "client_capacity": "CAPACITY_REACHED"}


def parse_object(raw: bytes | str, what: str = "the body") -> dict[str, Any]:
    """``raw`` as a JSON object, checked in time linear in its size.

    Raises:
        ServeError: ``malformed`` for invalid JSON or UTF-8, a lone surrogate, a value that is
            not an object, or nesting deeper than :data:`MAX_DEPTH`.
    """
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ServeError("malformed", f"{what} is not valid JSON: {exc}", "send a JSON object") from None
    if not isinstance(value, dict):
        raise ServeError(
            "malformed", f"{what} must be a JSON object, got {json_type(value)}", "send a JSON object"
        )
    opens = raw.count(b"{" if isinstance(raw, bytes) else "{") + raw.count(
        b"[" if isinstance(raw, bytes) else "["
    )
    if opens > MAX_DEPTH and _deeper_than(value, MAX_DEPTH):
        raise ServeError(
            "malformed", f"{what} is nested deeper than {MAX_DEPTH} levels", "send a flatter object"
        )
    return value


def json_type(value: Any) -> str:
    """JSON's name for the type of ``value`` ("an array", "a string", "null"...)."""
    names = {
        dict: "an object",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
    }
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _deeper_than(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def check_frame(frame: dict[str, Any]) -> None:
    """Refuse an OpenEnv WebSocket message that is not one a session serves, as OpenEnv's message
    models would (``extra="forbid"``), before they see it.

    Raises:
        ServeError: ``malformed`` for a ``type`` outside :data:`WS_TYPES`, a field the type does
            not have, ``data`` that is not an object, or a step whose data is not
            ``{"message": ...}`` (and optionally ``"metadata": {...}``).
    """
    kind = frame.get("type")
    if kind not in WS_TYPES:
        raise ServeError("malformed", f"the message type must be one of {list(WS_TYPES)}, got {kind!r}",
                         "send OpenEnv's reset, step, state or close message")  # fmt: skip
    allowed = {"type", "data"} if kind in ("reset", "step") else {"type"}
    data = frame.get("data", {})
    if set(frame) - allowed or not isinstance(data, dict):
        what = (
            f"field(s) {sorted(set(frame) - allowed)}" if set(frame) - allowed else f"data {json_type(data)}"
        )
        raise ServeError("malformed", f"a {kind} message with {what}",
                         'send {"type": "reset", "data": {...}}, {"type": "step", "data": {"message": ...}}, '
                         '{"type": "state"} or {"type": "close"}')  # fmt: skip
    if kind == "step" and ("message" not in data or set(data) - {"message", "metadata"}
                           or not isinstance(data.get("metadata", {}), dict)):  # fmt: skip
        raise ServeError("malformed", f"a step's data must be {{'message': ...}}, got keys {sorted(data)}",
                         'send {"type": "step", "data": {"message": "the assistant\'s text"}}')  # fmt: skip


def client_of(scope: Scope) -> str:
    """The client's address (its fair share is counted by it)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def error_frame(err: ServeError) -> str:
    """OpenEnv's error frame for ``err``: its message reads ``[code] reason | retry: ...``."""
    data = {
        "message": str(err),
        "code": OPENENV_CODES.get(err.code, "EXECUTION_ERROR"),
        "error": err.as_dict(),
    }
    return orjson.dumps({"type": "error", "data": data}).decode()


async def send_json(send: Send, status: int, payload: dict[str, Any]) -> None:
    """Answer an HTTP request with ``payload`` as JSON."""
    body = orjson.dumps(payload)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Guard:
    """The ASGI middleware that checks every request before ``app`` sees it (see the module).

    Args:
        app: The contract's ASGI app.
        store: The server's sessions (a WebSocket connection holds one of its client's slots).
        max_body_bytes: Largest HTTP body (WebSocket messages: uvicorn's ``ws_max_size``).
    """

    def __init__(self, app: Any, store: SessionStore, max_body_bytes: int) -> None:
        self.app, self.store, self.max_body_bytes = app, store, max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection."""
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def parse(self, raw: bytes | str, what: str) -> dict[str, Any]:
        """:func:`parse_object`, in a worker thread for a large ``raw``."""
        if len(raw) > THREAD_BYTES:
            return await asyncio.to_thread(parse_object, raw, what)
        return parse_object(raw, what)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            body = await self._read_body(scope, receive)
            if body and scope["method"] in ("POST", "PUT", "PATCH"):
                scope[JSON_KEY] = await self.parse(body, "the body")
        except ServeError as err:
            await send_json(send, err.status, {"error": err.as_dict()})
            return
        except _ClientGone:
            return
        exchange = _HttpExchange(scope, body, receive, send)
        try:
            await self.app(scope, exchange.receive, exchange.send)
        except Exception:
            logger.exception("%s %s failed: a bug, please report it", scope["method"], scope["path"])
            if not exchange.started:
                internal = ServeError(
                    "internal", "the server failed on this request", "report it; retry later", 500
                )
                await send_json(send, 500, {"error": internal.as_dict()})
        finally:
            exchange.finish()

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes:
        """The request body, refused as soon as it crosses the limit (a chunked body included)."""
        limit = self.max_body_bytes
        length = dict(scope.get("headers") or []).get(b"content-length", b"")
        if length.isdigit() and int(length) > limit:
            raise _too_large(f"the body is {int(length)} bytes; the limit is {limit}")
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _ClientGone
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise _too_large(f"the body is over {limit} bytes (refused after {size} bytes read)")
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = client_of(scope)
        try:
            self.store.claim(client)
        except ServeError as err:
            await _refuse_websocket(receive, send, err)
            return
        connection = _WebSocketConnection(self, client, receive, send)
        try:
            await self.app(scope, connection.receive, connection.send)
        except Exception:
            logger.exception(
                "WebSocket %s of client %s failed: a bug, please report it", scope["path"], client
            )
        finally:
            self.store.release(client)


class _ClientGone(Exception):
    """The client disconnected before its request was read."""


def _too_large(reason: str) -> ServeError:
    return ServeError("too_large", reason, "send a smaller body (the server's --max-body-bytes)", status=413)


class _HttpExchange:
    """One HTTP request as the app sees it: its body replayed, the client's disconnect watched."""

    def __init__(self, scope: Scope, body: bytes, receive: Receive, send: Send) -> None:
        self.scope, self.body, self._send = scope, body, send
        self.started = self.done = self.replayed = False
        self.gone = asyncio.Event()
        self._watcher = asyncio.create_task(self._watch(receive))

    async def receive(self) -> AsgiMessage:
        """The body once, then (as ASGI has it) ``http.disconnect`` when the client goes away."""
        if not self.replayed:
            self.replayed = True
            return {"type": "http.request", "body": self.body, "more_body": False}
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: AsgiMessage) -> None:
        """Send, noting where the response stands."""
        if message["type"] == "http.response.start":
            self.started = True
        elif message["type"] == "http.response.body" and not message.get("more_body", False):
            self.done = True
        await self._send(message)

    def finish(self) -> None:
        """Stop watching the client."""
        self._watcher.cancel()

    async def _watch(self, receive: Receive) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        self.gone.set()
        if not self.done:
            logger.warning("client %s went away during %s %s: its reply was dropped (the request ran to its end)",
                           client_of(self.scope), self.scope["method"], self.scope["path"])  # fmt: skip


class _WebSocketConnection:
    """One WebSocket as the app sees it: bad frames answered here, a vanished client's replies dropped."""

    def __init__(self, guard: Guard, client: str, receive: Receive, send: Send) -> None:
        self.guard, self.client, self._receive, self._send = guard, client, receive, send
        self.gone = False

    async def receive(self) -> AsgiMessage:
        """The next frame that is a JSON object of the contract's shape (others get an error frame)."""
        while True:
            message = await self._receive()
            if message["type"] != "websocket.receive":
                return message
            try:
                text = message.get("text")
                if text is None:
                    raise ServeError("malformed", "a binary frame; the contract's messages are JSON text",
                                     "send text frames")  # fmt: skip
                check_frame(await self.guard.parse(text, "the message"))
                return message
            except ServeError as err:
                await self.send({"type": "websocket.send", "text": error_frame(err)})

    async def send(self, message: AsgiMessage) -> None:
        """Send; once the client is gone, drop the rest with one log line."""
        if self.gone:
            return
        try:
            await self._send(message)
        except OSError:  # uvicorn's ClientDisconnected, a reset connection
            self.gone = True
            if message["type"] == "websocket.send":
                logger.warning("client %s went away before its reply: the reply was dropped", self.client)


async def _refuse_websocket(receive: Receive, send: Send, err: ServeError) -> None:
    """Accept, send the error frame and close with 1013 (try again later)."""
    if (await receive())["type"] != "websocket.connect":
        return
    try:
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": error_frame(err)})
        await send({"type": "websocket.close", "code": 1013, "reason": err.code})
    except OSError:
        pass


def install_error_handlers(app: Any) -> None:
    """Make every error of ``app`` (a FastAPI app) an ``{"error": {"code", "reason", "retry"}}`` body.

    :class:`ServeError` with its status; FastAPI's own refusals too: a body of the wrong shape
    for the route (``malformed``, 400) and a path or method the contract does not have
    (``no_route``, 404 or 405).
    """
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from starlette.exceptions import HTTPException

    async def serve_error(request: Any, exc: ServeError) -> JSONResponse:
        return JSONResponse({"error": exc.as_dict()}, status_code=exc.status)

    async def invalid(request: Any, exc: RequestValidationError) -> JSONResponse:
        where = "; ".join(f"{'.'.join(map(str, e.get('loc', ())))}: {e.get('msg')}" for e in exc.errors()[:3])
        err = ServeError("malformed", f"the body does not fit {request.url.path}: {where}", "see GET /schema")
        return JSONResponse({"error": err.as_dict()}, status_code=400)

    async def http_error(request: Any, exc: HTTPException) -> JSONResponse:
        code = "no_route" if exc.status_code in (404, 405) else "http_error"
        err = ServeError(code, f"{request.method} {request.url.path}: {exc.detail}",
                         "see docs/serving.md for the contract's routes", status=exc.status_code)  # fmt: skip
        return JSONResponse({"error": err.as_dict()}, status_code=exc.status_code, headers=exc.headers)

    app.add_exception_handler(ServeError, serve_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(HTTPException, http_error)
