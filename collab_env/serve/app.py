"""The server: one env factory behind one wire contract, with its limits, run by uvicorn."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym

from collab_env.errors import ConfigError
from collab_env.serve.runner import EnvRunner
from collab_env.serve.store import SessionStore

logger = logging.getLogger(__name__)
#: The interpreter's thread switch interval in a server process (seconds; see :func:`serve`).
SWITCH_INTERVAL_S = 0.0005

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
        max_sessions_per_client: Sessions one client address may hold at once (NeMo Gym
            sessions and OpenEnv WebSocket connections), so that no client holds every slot
            (default: a quarter of --max-sessions).
        idle_timeout_s: Seconds without a request after which a session expires.
        max_body_bytes: Largest request body or WebSocket message, in bytes.
        ws_compression: Offer permessage-deflate on WebSocket sessions (off: on loopback and
            LANs compressing every observation costs more CPU, on both ends, than it saves).
        threads: Worker threads that run the reset and step of envs that call no model (a
            scripted user), off the event loop, so that one slow step delays no other session
            (0: on the loop; envs with a model user are awaited, their calls in flight together).
        shutdown_grace_s: Seconds a shutdown waits for the steps in flight.
        mr_window: MR computed server-side: simulated assistant turns per step (none: no MR).
        mr_samples: MR's simulated futures per step.
        mr_policy: Agent spec that plays MR's simulated assistant turns.
        agent_options: KEY=VALUE options of a model MR policy's model (--agent.KEY VALUE).
        describe: Write openenv.yaml and NeMo Gym's manifest.yaml, describing this env (its
            reward range, determinism, pinned user, judge and task set), into this folder and
            exit without serving.
        parent_pid: Stop gracefully when the process with this id exits (LocalServer passes its
            own, so that a script's server never outlives the script).
    """

    contract: str = field(default="openenv", metadata={"choices": CONTRACTS})
    host: str = "127.0.0.1"
    port: int = 8000
    max_sessions: int = 1024
    max_sessions_per_client: int | None = None
    idle_timeout_s: float = 600.0
    max_body_bytes: int = 1_048_576
    ws_compression: bool = False
    threads: int = 4
    shutdown_grace_s: float = 30.0
    mr_window: int | None = None
    mr_samples: int = 3
    mr_policy: str = "clarify"
    agent_options: list[str] = field(default_factory=list, metadata={"metavar": "KEY=VALUE"})
    describe: str | None = None
    parent_pid: int | None = None

    def __post_init__(self) -> None:
        if self.contract not in CONTRACTS:
            raise ConfigError(f"contract must be one of {CONTRACTS}, got {self.contract!r}")
        for name in ("max_sessions", "max_body_bytes"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        if self.max_sessions_per_client is None:
            self.max_sessions_per_client = max(1, self.max_sessions // 4)
        if not 1 <= self.max_sessions_per_client <= self.max_sessions:
            raise ConfigError(
                f"max_sessions_per_client must be in [1, max_sessions={self.max_sessions}], "
                f"got {self.max_sessions_per_client!r}"
            )
        if self.threads < 0:
            raise ConfigError(f"threads must be >= 0, got {self.threads!r}")
        if self.idle_timeout_s <= 0:
            raise ConfigError(f"idle_timeout_s must be > 0, got {self.idle_timeout_s!r}")
        if self.mr_window is not None and self.mr_window < 0:
            raise ConfigError(f"mr_window must be >= 0, got {self.mr_window!r}")
        if self.mr_samples < 1:
            raise ConfigError(f"mr_samples must be >= 1, got {self.mr_samples!r}")


def build_app(
    make_env: Callable[[], gym.Env], options: ServeOptions, name: str, threads: int | None = None
) -> Any:
    """The ASGI app that serves ``make_env``'s envs in ``options.contract``.

    Every request passes :class:`~collab_env.serve.guard.Guard` first (body limit, JSON shape,
    fair shares); with ``options.describe`` the env's description files are written there.

    Args:
        make_env: Builds one session's env.
        options: The server's options.
        name: The env id (OpenEnv's metadata).
        threads: Worker threads (see :class:`EnvRunner`; default ``options.threads``).

    Returns:
        The FastAPI app; ``app.state.store`` is its :class:`SessionStore`, ``app.state.described``
        the files written for ``options.describe``.
    """
    from collab_env.serve.guard import Guard, install_error_handlers  # the [serve] extra (orjson)

    threads = options.threads if threads is None else threads
    store = SessionStore(make_env, EnvRunner(threads), options.max_sessions, options.idle_timeout_s,
                         options.max_sessions_per_client)  # fmt: skip
    if options.contract == "openenv":
        from collab_env.serve.openenv_app import openenv_app

        app = openenv_app(store, name)
    else:
        from collab_env.serve.nemo_gym import nemo_gym_app

        app = nemo_gym_app(store)
    app.state.store, app.state.shutdown_report, app.state.described = store, None, []
    install_error_handlers(app)
    app.add_middleware(Guard, store=store, max_body_bytes=options.max_body_bytes)
    if options.describe is not None:
        from collab_env.serve.describe import write_description

        app.state.described = write_description(options.describe, make_env, options, name)

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


async def watch_parent(pid: int, on_exit: Callable[[], None], interval_s: float = 0.25) -> None:
    """Call ``on_exit`` once the process ``pid`` has exited (it may be this process's parent).

    A parent that dies (even by SIGKILL) leaves its children to another parent, so a child sees
    ``os.getppid()`` change; a process that is not the parent is polled with signal 0.
    """
    is_parent = os.getppid() == pid
    while True:
        await asyncio.sleep(interval_s)
        if (os.getppid() != pid) if is_parent else not _alive(pid):
            logger.warning("the process that started this server (pid %d) exited: shutting down", pid)
            on_exit()
            return


def _alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (a zombie counts: only a child's parent can tell)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, as another user's
        return True
    return True


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

    With ``options.parent_pid``, the death of that process is such a signal; with
    ``options.describe``, nothing is served.

    Args:
        app: The app of :func:`build_app`.
        options: Host, port and limits.
        ready: Called with the server's base URL once it listens.
        stopped: Called with the shutdown report (one record per session that was open).
    """
    if options.describe is not None:  # build_app wrote the files; nothing is served
        logger.warning("wrote %s (--describe: not serving)", ", ".join(map(str, app.state.described)))
        return
    server = _draining_server(app, options)
    # The worker threads that step envs share the interpreter's lock with the event loop, which
    # waits up to one switch interval (5 ms by default) each time it needs the lock back; a step
    # takes several such hand-overs, so a shorter interval is what keeps one session's long step
    # from delaying another's by tens of milliseconds (benchmarks/serve_stall.py).
    sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))
    try:
        import uvloop  # uvicorn's own choice of loop when it is installed (the [serve] extra brings it)
    except ImportError:
        uvloop = None
    with asyncio.Runner(loop_factory=uvloop.new_event_loop if uvloop else None) as runner:
        server.event_loop = runner.get_loop()
        runner.run(_run_server(server, options, ready))
    if stopped is not None:
        stopped(app.state.shutdown_report or [])


def _draining_server(app: Any, options: ServeOptions) -> Any:
    """A uvicorn server whose first signal drains ``app``'s sessions, then stops; a second stops it now."""
    import uvicorn

    store: SessionStore = app.state.store
    config = uvicorn.Config(
        app, host=options.host, port=options.port, ws_max_size=options.max_body_bytes, log_level="warning",
        timeout_graceful_shutdown=options.shutdown_grace_s, backlog=4096,
        ws_per_message_deflate=options.ws_compression,
    )  # fmt: skip

    class Server(uvicorn.Server):
        draining: asyncio.Task | None = None
        event_loop: asyncio.AbstractEventLoop  # the loop that runs it, set by serve()

        def handle_exit(self, sig: int, frame: Any) -> None:
            if self.draining is not None:  # a second signal: stop now
                return super().handle_exit(sig, frame)
            self.draining = self.event_loop.create_task(self.drain())

        async def drain(self) -> None:
            app.state.shutdown_report = await store.shutdown(options.shutdown_grace_s)
            self.should_exit = True

    return Server(config)


async def _run_server(server: Any, options: ServeOptions, ready: Callable[[str], None] | None) -> None:
    """Serve until ``server`` stops or ``options.parent_pid`` dies; give ``ready`` its URL once it listens."""
    task = asyncio.create_task(server.serve())
    if options.parent_pid is not None:
        exit_ = lambda: server.handle_exit(signal.SIGTERM, None)  # noqa: E731
        watcher = asyncio.create_task(watch_parent(options.parent_pid, exit_))
        task.add_done_callback(lambda _: watcher.cancel())
    while not server.started and not task.done():
        await asyncio.sleep(0.02)
    if server.started and ready is not None:
        port = server.servers[0].sockets[0].getsockname()[1]
        ready(f"http://{options.host}:{port}")
    await task
