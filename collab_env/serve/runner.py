"""How a served session's env runs: :class:`EnvRunner`, the one adapter between the event loop and an env.

A shared server must not let one session's CPU-heavy step delay every other session's: the event
loop that reads every client's requests cannot be the place where a scripted user, a task metric
or a sandboxed test run spends its milliseconds (or its seconds). So an env that calls no model
(a scripted user, an offline judge, a scripted MR policy) runs its plain ``reset``/``step`` in a
bounded pool of worker threads, and the loop only waits for the result; while one session's step
spins for a second in one worker, the loop keeps answering the others, whose steps run in the
other workers. An env that calls a model (an LLM user or judge) is awaited through its async API
(:mod:`collab_env.aio`): its model calls are in flight together on the loop, and the scripted
work between them (reading a 20,000-character message, grading it, the guards) runs in worker
threads (:data:`collab_env.aio.OFFLOAD_CPU`) when the message is long (:data:`OFFLOAD_CHARS`):
a short one costs the loop about a millisecond, less than the threads' hand-overs would.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import gymnasium as gym

from collab_env import aio
from collab_env.errors import ConfigError

#: Messages at least this long have a model-calling env's scripted work stepped in worker threads.
OFFLOAD_CHARS = 1000
#: Attributes through which an env layer holds a part that may call a model.
MODEL_PARTS = ("user", "engagement_judge", "extractor", "policy")


class EnvRunner:
    """Runs a session's ``reset`` and ``step``: in a worker thread, or awaited on the loop.

    An env that calls no model runs its sync API in one of ``threads`` worker threads (``0``: in
    place on the event loop, the behaviour before the pool: one slow step then delays every
    session). An env that calls a model and has the async API (``CollabEnv``,
    ``MultiturnAwareReward``) is awaited, so its model calls overlap; one that calls a model
    without the async API runs in the pool too.

    Args:
        threads: Worker threads (``0``: call the envs in place).

    Raises:
        ConfigError: for a negative or non-integer ``threads``.
    """

    def __init__(self, threads: int = 4) -> None:
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 0:
            raise ConfigError(f"threads must be an int >= 0, got {threads!r}")
        self.threads = threads
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="collab-serve") if threads else None

    async def reset(self, env: gym.Env, seed: int | None, options: dict[str, Any] | None) -> tuple:
        """``env.reset(seed=seed, options=options)``."""
        if self._is_awaited(env):
            return await _offloaded(aio.reset_async(env, seed=seed, options=options), False)  # our opening
        return await self._sync(functools.partial(env.reset, seed=seed, options=options))

    async def step(self, env: gym.Env, action: str) -> tuple:
        """``env.step(action)``."""
        if self._is_awaited(env):
            long = isinstance(action, str) and len(action) >= OFFLOAD_CHARS
            return await _offloaded(aio.step_async(env, action), bool(self.threads) and long)
        return await self._sync(functools.partial(env.step, action))

    def close(self) -> None:
        """Stop the worker threads (after the steps in flight)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def _is_awaited(self, env: gym.Env) -> bool:
        """Whether ``env`` is awaited on the loop: it calls a model and has the async API
        (always, without worker threads, when it has the async API)."""
        return has_async(env) and (self._pool is None or calls_a_model(env))

    async def _sync(self, call: Callable[[], Any]) -> Any:
        """``call()`` in a worker thread; a cancelled caller still waits for it to finish.

        The session's lock is held while its step runs, so a step whose client went away must
        not release it while the worker still steps the env: the next request would step the
        same env concurrently.
        """
        if self._pool is None:
            return call()
        future = asyncio.get_running_loop().run_in_executor(self._pool, call)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            while not future.done():
                try:
                    await asyncio.wait([future])
                except asyncio.CancelledError:
                    continue
            raise


def has_async(env: gym.Env) -> bool:
    """Whether ``env`` can be stepped with :func:`collab_env.aio.step_async`."""
    try:
        aio.async_layer(env)
    except ConfigError:
        return False
    return True


def calls_a_model(env: gym.Env) -> bool:
    """Whether any layer of ``env`` holds a model-backed part (user simulator, judge, extractor
    or MR policy: :func:`collab_env.aio.is_model_backed`).

    >>> import gymnasium as gym, collab_env
    >>> calls_a_model(gym.make("CollabDoc-v0"))
    False
    """
    layer: Any = env
    while layer is not None:
        own = vars(layer)
        if any(own.get(name) is not None and aio.is_model_backed(own[name]) for name in MODEL_PARTS):
            return True
        layer = own.get("env")
    return False


async def _offloaded(step: Any, offload: bool) -> Any:
    """Await ``step``, its scripted work in worker threads if ``offload`` (``--threads 0``: in place)."""
    aio.OFFLOAD_CPU.set(offload)  # in the request's own task: no other session's context sees it
    return await step
