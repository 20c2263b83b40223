"""One served episode: a :class:`Session` owns one env instance and speaks JSON.

Both wire contracts (OpenEnv's and NeMo Gym's) call an env only through :class:`Session`, and a
session calls it only through :class:`EnvRunner`, the one adapter between the server's event
loop and the env: it awaits the env's async API (:mod:`collab_env.aio`), so every session's
model calls are in flight at once on the one loop, and scripted users run in place (no threads,
as DESIGN.md asks).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from enum import Enum
from typing import Any

import gymnasium as gym

from collab_env import aio
from collab_env.errors import CollabEnvError, ConfigError, EpisodeError

try:  # the [serve] extra's; this module is imported without it (``collab-env serve --help``)
    import orjson
except ImportError:  # pragma: no cover - without the extra nothing is served
    orjson = None

#: What a lost episode's client should do (the error says it with the seed filled in).
RETRY_HINT = (
    "reset the session (or open a new one) with the same seed and replay the episode; it was not scored"
)


class ServeError(CollabEnvError):
    """A request the server could not serve, with what the client sees on the wire.

    Args:
        code: Machine-readable kind (``lost``, ``unknown_session``, ``episode_ended``,
            ``not_text``, ``too_long``, ``not_reset``, ``bad_option``, ``expired``, ``capacity``).
        reason: What was wrong, in words.
        retry: What the client should do about it.
        status: The HTTP status of the NeMo Gym contract.
    """

    def __init__(self, code: str, reason: str, retry: str, status: int = 400) -> None:
        super().__init__(f"[{code}] {reason} | retry: {retry}")
        self.code, self.reason, self.retry, self.status = code, reason, retry, status

    def as_dict(self) -> dict[str, Any]:
        """The error as JSON: ``{"code", "reason", "retry"}``."""
        return {"code": self.code, "reason": self.reason, "retry": self.retry}

    @classmethod
    def parse(cls, text: str) -> ServeError | None:
        """The :class:`ServeError` whose message is in ``text`` (OpenEnv's error frames carry it), or ``None``."""
        start = text.find("[")
        head, sep, retry = text[start:].partition(" | retry: ")
        if start < 0 or not sep or "] " not in head:
            return None
        code, _, reason = head[1:].partition("] ")
        retry = retry.rsplit(" (code: ", 1)[0]  # OpenEnv's client appends its own code
        return cls(code, reason, retry)


class EnvRunner:
    """The one adapter between the event loop and an env: how a session's reset and step run.

    An env with the async API (``CollabEnv``, ``MultiturnAwareReward``: :mod:`collab_env.aio`)
    is awaited: its model calls are in flight together, its scripted parts run in place. Any
    other env runs its sync ``reset``/``step`` inline, or in a worker thread with ``threads``.

    Args:
        threads: Worker threads for envs without the async API (0: call them inline).
    """

    def __init__(self, threads: int = 0) -> None:
        if not isinstance(threads, int) or threads < 0:
            raise ConfigError(f"threads must be an int >= 0, got {threads!r}")
        self.threads = threads
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="collab-serve") if threads else None

    async def reset(self, env: gym.Env, seed: int | None, options: dict[str, Any] | None) -> tuple:
        """``env.reset(seed=seed, options=options)``."""
        if _has_async(env):
            return await aio.reset_async(env, seed=seed, options=options)
        return await self._sync(env.reset, seed=seed, options=options)

    async def step(self, env: gym.Env, action: str) -> tuple:
        """``env.step(action)``."""
        if _has_async(env):
            return await aio.step_async(env, action)
        return await self._sync(env.step, action)

    async def _sync(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self._pool is None:
            return fn(*args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._pool, lambda: fn(*args, **kwargs))

    def close(self) -> None:
        """Stop the worker threads (after the steps in flight)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)


def _has_async(env: gym.Env) -> bool:
    try:
        aio.async_layer(env)
    except ConfigError:
        return False
    return True


class Session:
    """One env instance served to one client: reset, step, close; replies are JSON-ready dicts.

    Args:
        env: The env (built for this session alone).
        runner: How the env's calls run (:class:`EnvRunner`).

    Attributes:
        seed: The seed of the current episode.
        task_id: Its task instance.
        turn_rewards: The reward paid for each assistant turn so far (MR when the env pays it).
        last_active: ``time.monotonic()`` of the last request.
    """

    def __init__(self, env: gym.Env, runner: EnvRunner) -> None:
        self.env, self.runner = env, runner
        self.seed: int | None = None
        self.task_id: str | None = None
        self.turn_rewards: list[float] = []
        self.started = self.done = self.closed = False
        self.last_active = time.monotonic()
        self._busy = asyncio.Lock()

    async def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> dict[str, Any]:
        """Start an episode; returns ``{"observation", "info"}``.

        Raises:
            ServeError: ``bad_option`` for a bad seed or option, ``expired`` after close.
        """
        self._check_open()
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
            raise ServeError(
                "bad_option", f"seed must be an int >= 0 or null, got {seed!r}", "send a valid seed"
            )
        if options is not None and not isinstance(options, dict):
            raise ServeError(
                "bad_option", f"options must be an object, got {options!r}", "send an object or null"
            )
        async with self._busy:
            self.touch()
            try:
                obs, info = await self.runner.reset(self.env, seed, options)
            except ConfigError as exc:
                raise ServeError("bad_option", str(exc), "fix the reset options") from exc
            self.seed, self.task_id, self.turn_rewards = seed, info.get("task_id"), []
            self.started, self.done = True, False
            return {"observation": obs, "info": _jsonable({**info, "seed": seed})}

    async def step(self, message: Any) -> dict[str, Any]:
        """Send one assistant message; returns observation, reward, terminated, truncated, done, info.

        ``info`` holds every reward part (``info["reward"]``), ``turn_rewards`` (one per assistant
        turn so far, MR when the env pays MR, with ``info["mr"]``), ``task_id`` and ``seed``.

        Raises:
            ServeError: ``not_text`` / ``too_long`` for a bad message, ``not_reset`` before reset,
                ``episode_ended`` after the end, ``lost`` for an episode lost to a model call or
                the sandbox's host (never a reward of 0), ``expired`` after close.
        """
        self._check_open()
        if not isinstance(message, str):
            raise ServeError(
                "not_text", f"the message must be a string (the assistant's text), got {type(message).__name__}",
                "send the assistant message as a JSON string", status=422,
            )  # fmt: skip
        limit = self.env.action_space.max_chars
        if len(message) > limit:
            raise ServeError(
                "too_long", f"the message is {len(message)} characters; the limit is {limit}",
                "send a shorter message (the env's max_message_chars)", status=413,
            )  # fmt: skip
        if not self.started:
            raise ServeError("not_reset", "no episode in this session yet", "call reset first", status=409)
        if self.done:
            raise ServeError(
                "episode_ended", "the episode has ended", "call reset to start a new one", status=409
            )
        async with self._busy:
            self.touch()
            try:
                obs, reward, terminated, truncated, info = await self.runner.step(self.env, message)
            except EpisodeError as exc:
                raise ServeError(
                    "episode_ended", str(exc), "call reset to start a new one", status=409
                ) from exc
            self.done = terminated or truncated or "error" in info
            if "error" in info:
                raise ServeError(
                    "lost", f"episode lost (not scored) at turn {info.get('turn')}: {info['error']}",
                    f"{RETRY_HINT} (seed {self.seed}, task {self.task_id})", status=503,
                )  # fmt: skip
            self.turn_rewards.append(float(reward))
            info = {
                **info,
                "turn_rewards": list(self.turn_rewards),
                "seed": self.seed,
                "task_id": self.task_id,
            }
            return {
                "observation": obs, "reward": float(reward), "terminated": bool(terminated),
                "truncated": bool(truncated), "done": bool(terminated or truncated), "info": _jsonable(info),
            }  # fmt: skip

    def touch(self) -> None:
        """Mark the session active now (idle expiry counts from here)."""
        self.last_active = time.monotonic()

    def describe(self) -> dict[str, Any]:
        """Where the session stands: seed, task id, turns, whether its episode finished."""
        return {"seed": self.seed, "task_id": self.task_id, "turns": len(self.turn_rewards),
                "finished": self.done, "in_step": self._busy.locked()}  # fmt: skip

    def close(self) -> None:
        """Drop the env; later requests get ``expired``."""
        if not self.closed:
            self.closed = True
            self.env.close()

    def _check_open(self) -> None:
        if self.closed:
            raise ServeError(
                "expired", "this session was closed or expired", "open a new session", status=404
            )


def _jsonable(value: Any) -> Any:
    """``value`` as JSON reads it: numpy values as Python ones, non-finite floats as ``None``,
    tuples as lists, enums as their value, anything else as its ``str`` (so that both contracts
    send the same).

    One orjson round trip (C, a few microseconds for a step's ``info``, where the walk took 30);
    what orjson refuses (keys that are not strings, integers past 64 bits) takes the walk of
    :func:`_jsonable_walk`, which gives the same result for everything orjson takes. Dataclasses
    and datetimes are passed to ``_json_default`` (their ``str``), as the walk does.
    """
    if orjson is None:
        return _jsonable_walk(value)
    options = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
    try:
        return orjson.loads(orjson.dumps(value, default=_json_default, option=options))
    except TypeError:
        return _jsonable_walk(value)


def _json_default(value: Any) -> Any:
    """What orjson does not serialize itself: numpy values as Python ones, anything else as its ``str``."""
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    return str(value)


def _jsonable_walk(value: Any) -> Any:
    """:func:`_jsonable` in Python, one walk (keys as their ``str``)."""
    if isinstance(value, dict):
        return {str(k): _jsonable_walk(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable_walk(v) for v in value]
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if value is None or isinstance(value, str | int):
        return value
    if isinstance(value, Enum):
        return _jsonable_walk(value.value)
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return _jsonable_walk(value.tolist())
    return str(value)
