"""The server: one env factory behind one wire contract, with its limits, run by uvicorn."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym

from collab_env.errors import ConfigError
from collab_env.serve.session import EnvRunner, ServeError
from collab_env.serve.store import SessionStore

logger = logging.getLogger(__name__)

CONTRACTS = ("openenv", "nemo-gym")


@dataclass
class ServeOptions:
    """How ``collab-env serve`` serves its env.

    Attributes:
        contract: The wire contract: openenv (WebSocket sessions at /ws) or nemo-gym
            (/reset, /step, /close with a session cookie).
        host: Address to listen on.
        port: Port to listen on (0: one the OS chooses; the server logs it).
        max_sessions: Sessions open at once.
        idle_timeout_s: Seconds without a request after which a session expires.
        max_body_bytes: Largest request body or WebSocket message, in bytes.
        ws_compression: Offer permessage-deflate on WebSocket sessions (off: on loopback and
            LANs compressing every observation costs more CPU, on both ends, than it saves).
        threads: Worker threads for envs without the async API (0: call them inline; the
            registered envs are awaited, their model calls in flight together).
        shutdown_grace_s: Seconds a shutdown waits for the steps in flight.
        mr_window: MR computed server-side: simulated assistant turns per step (none: no MR).
        mr_samples: MR's simulated futures per step.
        mr_policy: Agent spec that plays MR's simulated assistant turns.
    """

    contract: str = field(default="openenv", metadata={"choices": CONTRACTS})
    host: str = "127.0.0.1"
    port: int = 8000
    max_sessions: int = 1024
    idle_timeout_s: float = 600.0
    max_body_bytes: int = 1_048_576
    ws_compression: bool = False
    threads: int = 0
    shutdown_grace_s: float = 30.0
    mr_window: int | None = None
    mr_samples: int = 3
    mr_policy: str = "clarify"

    def __post_init__(self) -> None:
        if self.contract not in CONTRACTS:
            raise ConfigError(f"contract must be one of {CONTRACTS}, got {self.contract!r}")
        for name in ("max_sessions", "max_body_bytes"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        if self.idle_timeout_s <= 0:
            raise ConfigError(f"idle_timeout_s must be > 0, got {self.idle_timeout_s!r}")
        if self.mr_window is not None and self.mr_window < 0:
            raise ConfigError(f"mr_window must be >= 0, got {self.mr_window!r}")
        if self.mr_samples < 1:
            raise ConfigError(f"mr_samples must be >= 1, got {self.mr_samples!r}")


def build_app(make_env: Callable[[], gym.Env], options: ServeOptions, name: str, threads: int = 0) -> Any:
    """The ASGI app that serves ``make_env``'s envs in ``options.contract``.

    Args:
        make_env: Builds one session's env.
        options: The server's options.
        name: The env id (OpenEnv's metadata).
        threads: Worker threads for envs without the async API (see :class:`EnvRunner`).

    Returns:
        The FastAPI app; ``app.state.store`` is its :class:`SessionStore`.
    """
    store = SessionStore(make_env, EnvRunner(threads), options.max_sessions, options.idle_timeout_s)
    if options.contract == "openenv":
        from collab_env.serve.openenv_app import openenv_app

        app = openenv_app(store, name)
    else:
        from collab_env.serve.nemo_gym import nemo_gym_app

        app = nemo_gym_app(store)
    app.state.store, app.state.shutdown_report = store, None
    _limit_body(app, options.max_body_bytes)

    @app.get("/sessions")
    async def sessions() -> dict[str, Any]:
        """Open sessions and the ids of expired ones (for operators and tests)."""
        return {"open": store.describe(), "expired": list(store.expired)}

    reaper: list[asyncio.Task] = []

    async def start() -> None:
        reaper.append(asyncio.create_task(store.reap_forever()))

    async def stop() -> None:
        for task in reaper:
            task.cancel()
        if app.state.shutdown_report is None:  # not drained by serve() (an app run by another server)
            app.state.shutdown_report = await store.shutdown(options.shutdown_grace_s)

    app.router.on_startup.append(start)
    app.router.on_shutdown.insert(0, stop)
    return app


def _limit_body(app: Any, limit: int) -> None:
    """Refuse HTTP bodies over ``limit`` bytes with 413 (WebSocket messages: uvicorn's ``ws_max_size``)."""
    from fastapi import Request
    from fastapi.responses import JSONResponse

    @app.middleware("http")
    async def _limit(request: Request, call_next: Any) -> Any:
        size = request.headers.get("content-length")
        if size is not None and size.isdigit() and int(size) > limit:
            err = ServeError("too_large", f"the body is {size} bytes; the limit is {limit}",
                             "send a smaller body (the server's --max-body-bytes)", status=413)  # fmt: skip
            return JSONResponse({"error": err.as_dict()}, status_code=413)
        return await call_next(request)


def serve(
    app: Any,
    options: ServeOptions,
    ready: Callable[[str], None] | None = None,
    stopped: Callable[[list[dict[str, Any]]], None] | None = None,
) -> None:
    """Run ``app`` with uvicorn until SIGINT or SIGTERM, then shut down gracefully.

    On the first signal the sessions are drained before uvicorn closes any connection: the steps
    in flight finish (up to ``shutdown_grace_s``), every open session is closed and reported,
    and only then does the server stop (a second Ctrl-C forces it).

    Args:
        app: The app of :func:`build_app`.
        options: Host, port and limits.
        ready: Called with the server's base URL once it listens.
        stopped: Called with the shutdown report (one record per session that was open).
    """
    import uvicorn

    store: SessionStore = app.state.store
    config = uvicorn.Config(
        app, host=options.host, port=options.port, ws_max_size=options.max_body_bytes, log_level="warning",
        timeout_graceful_shutdown=options.shutdown_grace_s, backlog=4096,
        ws_per_message_deflate=options.ws_compression,
    )  # fmt: skip

    class Server(uvicorn.Server):
        draining: asyncio.Task | None = None

        def handle_exit(self, sig: int, frame: Any) -> None:
            if self.draining is not None:  # a second signal: stop now
                return super().handle_exit(sig, frame)
            self.draining = loop.create_task(drain())

    async def drain() -> None:
        app.state.shutdown_report = await store.shutdown(options.shutdown_grace_s)
        server.should_exit = True

    server = Server(config)

    async def main() -> None:
        task = asyncio.create_task(server.serve())
        while not server.started and not task.done():
            await asyncio.sleep(0.02)
        if server.started and ready is not None:
            port = server.servers[0].sockets[0].getsockname()[1]
            ready(f"http://{options.host}:{port}")
        await task

    try:
        import uvloop  # uvicorn's own choice of loop when it is installed (the [serve] extra brings it)
    except ImportError:
        uvloop = None
    with asyncio.Runner(loop_factory=uvloop.new_event_loop if uvloop else None) as runner:
        loop = runner.get_loop()
        runner.run(main())
    if stopped is not None:
        stopped(app.state.shutdown_report or [])
