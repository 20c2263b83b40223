"""OpenEnv's contract, served by OpenEnv's own framework (``create_fastapi_app``).

A WebSocket connection to ``/ws`` is one session with its own env; its messages are OpenEnv's
``reset`` (``seed``, ``options``), ``step`` (``{"message": "..."}``), ``state`` and ``close``.
OpenEnv's ``EnvClient`` (and :class:`~collab_env.serve.client.CollabEnvClient`) drive it
unchanged. A failed request comes back as OpenEnv's error frame whose message is the
:class:`~collab_env.serve.session.ServeError` (``[code] reason | retry: ...``).

OpenEnv's stateless HTTP routes build a fresh env per call: ``POST /reset`` works (it returns an
episode's opening, and the env is dropped), ``POST /step`` cannot (no episode was ever reset in
that env), so it answers ``no_session`` and points at ``/ws``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from openenv.core.env_server.http_server import create_fastapi_app
from openenv.core.env_server.interfaces import Environment
from openenv.core.env_server.serialization import serialize_observation
from openenv.core.env_server.types import Action, ConcurrencyConfig, EnvironmentMetadata, Observation, State
from pydantic import Field

from collab_env.serve.guard import JSON_KEY, client_of
from collab_env.serve.session import ServeError
from collab_env.serve.store import SessionStore

logger = logging.getLogger(__name__)


class CollabAction(Action):
    """The assistant's next message (a string; anything else is refused with ``not_text``)."""

    message: Any = Field(description="the assistant's message", json_schema_extra={"type": "string"})


class CollabObservation(Observation):
    """The conversation so far, how the episode stands and the step's ``info`` (reward parts,
    ``turn_rewards``, MR, task id and seed); ``reward`` and ``done`` as OpenEnv defines them."""

    messages: list[dict[str, Any]] = Field(default_factory=list, description="the conversation so far")
    terminated: bool = Field(default=False, description="the user ended the chat")
    truncated: bool = Field(default=False, description="max_turns reached")
    info: dict[str, Any] = Field(
        default_factory=dict, description="reward parts, turn_rewards, task_id, seed"
    )


class CollabState(State):
    """The session's episode: OpenEnv's ids and counts, the seed and the task instance."""

    seed: int | None = None
    task_id: str | None = None
    finished: bool = False


class CollabEnvironment(Environment[CollabAction, CollabObservation, CollabState]):
    """One OpenEnv session: a :class:`~collab_env.serve.session.Session` of the server's store.

    Args:
        store: The server's sessions (this one is opened in it, and closed with it).
        name: The env id, for OpenEnv's metadata.
    """

    SUPPORTS_CONCURRENT_SESSIONS = True

    def __init__(self, store: SessionStore, name: str = "collab-env") -> None:
        super().__init__()
        self.store, self.name = store, name
        self.sid, self.session = store.open()
        self._episode_id: str | None = None

    async def reset_async(
        self, seed: int | None = None, episode_id: str | None = None, **kwargs: Any
    ) -> CollabObservation:
        """Start an episode (``options`` as :meth:`CollabEnv.reset` takes them)."""
        options = kwargs.pop("options", None)
        if kwargs:
            raise ServeError(
                "bad_option", f"unknown reset field(s) {sorted(kwargs)}", "send seed and options only"
            )
        out = await _coded(self.session.reset(seed, options), "reset")
        self._episode_id = episode_id
        return CollabObservation(messages=out["observation"], info=out["info"], reward=None, done=False)

    async def step_async(
        self, action: CollabAction, timeout_s: float | None = None, **kwargs: Any
    ) -> CollabObservation:
        """Send the assistant message of ``action`` (``metadata`` holds the reward's components)."""
        out = await _coded(self.session.step(action.message), "step")
        return CollabObservation(
            messages=out["observation"], reward=out["reward"], done=out["done"],
            terminated=out["terminated"], truncated=out["truncated"], info=out["info"],
            metadata={"reward_components": out["info"]["reward_components"]},
        )  # fmt: skip

    def reset(
        self, seed: int | None = None, episode_id: str | None = None, **kwargs: Any
    ) -> CollabObservation:
        """Synchronous :meth:`reset_async` (OpenEnv's framework calls the async one)."""
        return asyncio.run(self.reset_async(seed, episode_id, **kwargs))

    def step(self, action: CollabAction, timeout_s: float | None = None, **kwargs: Any) -> CollabObservation:
        """Synchronous :meth:`step_async` (OpenEnv's framework calls the async one)."""
        return asyncio.run(self.step_async(action))

    @property
    def state(self) -> CollabState:
        """The session's episode."""
        s = self.session
        return CollabState(episode_id=self._episode_id, step_count=len(s.turn_rewards), seed=s.seed,
                           task_id=s.task_id, finished=s.done)  # fmt: skip

    def get_metadata(self) -> EnvironmentMetadata:
        """OpenEnv's metadata of the env."""
        from collab_env import __version__

        return EnvironmentMetadata(
            name=self.name,
            version=__version__,
            description="collab-env: an assistant collaborates with a simulated user",
        )

    def close(self) -> None:
        """Close the session (OpenEnv calls this when the WebSocket goes away or the session expires)."""
        self.store.close(self.sid)


async def _coded(call: Any, what: str) -> Any:
    """Await ``call``; an unexpected failure becomes ``internal`` (logged once, with its traceback)
    instead of OpenEnv's bare ``EXECUTION_ERROR``."""
    try:
        return await call
    except ServeError:
        raise
    except Exception as exc:
        logger.exception("%s failed: a bug, please report it", what)
        raise ServeError("internal", f"the server failed on this {what}: {type(exc).__name__}",
                         "report it; reset the session to go on", status=500) from exc  # fmt: skip


def openenv_app(store: SessionStore, name: str) -> FastAPI:
    """The FastAPI app of OpenEnv's contract over ``store`` (OpenEnv's ``create_fastapi_app``),
    its stateless HTTP ``/reset`` and ``/step`` replaced (see the module)."""

    def factory() -> CollabEnvironment:
        return CollabEnvironment(store, name)

    factory.SUPPORTS_CONCURRENT_SESSIONS = True  # type: ignore[attr-defined]
    # Idle expiry is the store's (one clock for both contracts): an expired session's requests get
    # ``expired``, and its WebSocket slot is freed when the client goes away.
    config = ConcurrencyConfig(max_concurrent_envs=store.max_sessions, session_timeout=None)
    app = create_fastapi_app(
        factory,
        CollabAction,
        CollabObservation,
        concurrency_config=config,
        env_name=name,
        state_cls=CollabState,
    )
    stateless = {"/reset", "/step"}
    app.router.routes[:] = [
        r
        for r in app.router.routes
        if not (isinstance(r, APIRoute) and r.path in stateless and "POST" in r.methods)
    ]
    _stateless_routes(app, store)
    return app


def _stateless_routes(app: FastAPI, store: SessionStore) -> None:
    """OpenEnv's HTTP ``POST /reset`` (an opening, its env dropped) and ``POST /step`` (``no_session``)."""

    @app.post("/reset", tags=["Environment Control"])
    async def reset(request: Request) -> JSONResponse:
        """An episode's opening observation; the env is dropped (play episodes over ``/ws``)."""
        body = dict(request.scope.get(JSON_KEY) or {})
        seed, options = body.pop("seed", None), body.pop("options", None)
        body.pop("episode_id", None)
        if body:
            raise ServeError(
                "bad_option", f"unknown reset field(s) {sorted(body)}", "send seed and options only"
            )
        sid, session = store.open(client_of(request.scope))
        try:
            out = await _coded(session.reset(seed, options), "reset")
        finally:
            store.close(sid)
        obs = CollabObservation(messages=out["observation"], info=out["info"], reward=None, done=False)
        return JSONResponse(serialize_observation(obs))

    @app.post("/step", tags=["Environment Control"])
    async def step(request: Request) -> JSONResponse:
        """Refused: an HTTP step has no session; episodes are played over the WebSocket at ``/ws``."""
        raise ServeError(
            "no_session", "POST /step is stateless in OpenEnv's contract: each call would get a fresh env "
            "that no reset started, so no episode can be played over it",
            "open a WebSocket session at /ws (OpenEnv's EnvClient, or collab_env.serve.client.RemoteEnv) "
            "and send reset and step there", status=409,
        )  # fmt: skip
