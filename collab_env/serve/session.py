"""One served episode: a :class:`Session` owns one env instance and speaks JSON.

Both wire contracts (OpenEnv's and NeMo Gym's) call an env only through :class:`Session`, and a
session calls it only through :class:`~collab_env.serve.runner.EnvRunner`, the one adapter
between the server's event loop and the env: an env that calls a model is awaited (every
session's model calls in flight at once on the one loop), one that does not runs in a bounded
pool of worker threads (one session's slow step never holds up the loop). A request is checked
before the env sees it: a refused request costs no turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import AsyncIterator
from enum import Enum
from typing import Any

import gymnasium as gym

from collab_env.errors import CollabEnvError, EpisodeError
from collab_env.serve.runner import EnvRunner

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
            ``not_text``, ``too_long``, ``not_reset``, ``bad_option``, ``expired``, ``capacity``,
            ``client_capacity``, ``malformed``, ``too_large``, ``no_session``, ``internal``: the
            table of docs/serving.md).
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
            ServeError: ``bad_option`` for a bad seed or option, ``malformed`` for text that is
                not valid Unicode, ``expired`` after close.
        """
        self._check_open()
        check_reset_args(seed, options)
        async with self._busy, self._closing_after():
            self.touch()
            try:
                obs, info = await self.runner.reset(self.env, seed, options)
            except CollabEnvError as exc:  # ConfigError: an unknown option, task id or reveal value
                raise ServeError("bad_option", str(exc), "fix the reset options") from exc
            self.seed, self.task_id, self.turn_rewards = seed, info.get("task_id"), []
            self.started, self.done = True, False
            return {"observation": obs, "info": _jsonable({**info, "seed": seed})}

    async def step(self, message: Any) -> dict[str, Any]:
        """Send one assistant message; returns observation, reward, terminated, truncated, done, info.

        ``info`` holds every reward part (``info["reward"]``), the parts with their weights
        (``info["reward_components"]``), ``turn_rewards`` (one per assistant turn so far, MR
        when the env pays MR, with ``info["mr"]``), ``task_id`` and ``seed``.

        Raises:
            ServeError: ``not_text`` / ``too_long`` / ``malformed`` for a bad message (no turn is
                taken), ``not_reset`` before reset, ``episode_ended`` after the end, ``lost`` for
                an episode lost to a model call or the sandbox's host (never a reward of 0),
                ``expired`` after close.
        """
        self._check_open()
        check_message(message, self.env.action_space.max_chars)
        if not self.started:
            raise ServeError("not_reset", "no episode in this session yet", "call reset first", status=409)
        if self.done:
            raise ServeError(
                "episode_ended", "the episode has ended", "call reset to start a new one", status=409
            )
        async with self._busy, self._closing_after():
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
                "reward_components": reward_components(info.get("reward")),
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
        """Drop the env (after the step in flight, if one is); later requests get ``expired``."""
        if not self.closed:
            self.closed = True
            if not self._busy.locked():
                self.env.close()

    @contextlib.asynccontextmanager
    async def _closing_after(self) -> AsyncIterator[None]:
        """Close the env when the session was closed while its reset or step ran (in a worker)."""
        try:
            yield
        finally:
            if self.closed:
                self.env.close()

    def _check_open(self) -> None:
        if self.closed:
            raise ServeError(
                "expired", "this session was closed or expired", "open a new session", status=404
            )


def check_reset_args(seed: Any, options: Any) -> None:
    """Refuse a bad seed or reset option before the env sees it.

    Raises:
        ServeError: ``bad_option`` for a seed that is not an int >= 0 or null, options that are
            not an object of text values; ``malformed`` for text that is not valid Unicode.
    """
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ServeError("bad_option", f"seed must be an int >= 0 or null, got {seed!r}", "send a valid seed")
    if options is None:
        return
    if not isinstance(options, dict):
        raise ServeError(
            "bad_option", f"options must be an object, got {options!r}", "send an object or null"
        )
    for key, value in options.items():
        if value is not None and not isinstance(value, str):
            raise ServeError("bad_option", f"reset option {key!r} must be a string or null, got {value!r}",
                             "send task_id and reveal as strings")  # fmt: skip
        for text in (key, value or ""):
            check_unicode(text, f"reset option {key!r}")


def check_message(message: Any, limit: int) -> None:
    """Refuse an assistant message that is not text, is too long or is not valid Unicode.

    Raises:
        ServeError: ``not_text`` (422), ``too_long`` (413), ``malformed`` (400).
    """
    if not isinstance(message, str):
        raise ServeError(
            "not_text", f"the message must be a string (the assistant's text), got {type(message).__name__}",
            "send the assistant message as a JSON string", status=422,
        )  # fmt: skip
    if len(message) > limit:
        raise ServeError(
            "too_long", f"the message is {len(message)} characters; the limit is {limit}",
            "send a shorter message (the env's max_message_chars)", status=413,
        )  # fmt: skip
    check_unicode(message, "the message")


def check_unicode(text: str, what: str) -> None:
    """Refuse text that cannot be encoded as UTF-8 (a lone surrogate such as ``"\\ud800"``, which
    JSON's ``\\u`` escapes can spell): no tokenizer, log or reply could carry it.

    Raises:
        ServeError: ``malformed`` (400), naming the offset of the first bad character.
    """
    if text.isascii():
        return
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ServeError("malformed", f"{what} is not valid Unicode: a lone surrogate at offset {exc.start}",
                         "send text encodable as UTF-8 (pair every surrogate escape)") from None  # fmt: skip


def reward_components(parts: Any) -> dict[str, dict[str, float | None]]:
    """R*'s parts with their weights, ``{name: {"value", "weight"}}``: ``total`` is the sum of
    ``weight * value`` over ``task_metric``, ``token_penalty`` (weight -1: subtracted) and
    ``engagement`` (``None`` until a model-backed judge has judged). Empty without ``parts``.

    >>> reward_components({"task_metric": 1.0, "token_penalty": 0.01, "engagement": 0.5,
    ...                    "config": {"w_ext": 1.0, "w_eng": 0.5}})["engagement"]
    {'value': 0.5, 'weight': 0.5}
    """
    if not isinstance(parts, dict):
        return {}
    weights = parts.get("config") or {}
    return {
        "task_metric": {"value": parts.get("task_metric"), "weight": weights.get("w_ext")},
        "token_penalty": {"value": parts.get("token_penalty"), "weight": -1.0},
        "engagement": {"value": parts.get("engagement"), "weight": weights.get("w_eng")},
    }


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
