"""The async rollout core: every conversation advances on its own as soon as its last call returns.

An MR future, a ranking candidate, a bench episode or a served session is one coroutine that
awaits its model calls (``ChatModel.acomplete``) and nothing else: no round of conversations
waits for the slowest of them. Bounds and batching belong to the models: an endpoint's one
concurrency limit (:mod:`collab_env.llm.limits`) is shared by every conversation that calls it,
and a local ``transformers`` model coalesces the requests that arrive together into one forward
pass (:class:`~collab_env.llm.batching.BatchingQueue`).

Scripted users and policies stay plain synchronous code: a coroutine that calls one never
suspends and no thread is started. Only a sync-only part that calls a model (an agent without
``act_async``, a user simulator without ``reply_async``) runs in a thread pool sized to its
model's concurrency.

The public pieces:

- :func:`run_sync` runs a coroutine from synchronous code (one event loop per thread, kept);
- :func:`reset_async` / :func:`step_async` step any env whose outermost async-capable layer is
  a :class:`~collab_env.env.CollabEnv` or an async wrapper (``MultiturnAwareReward``), through
  Gymnasium's pass-through wrappers (what ``gym.make`` adds);
- :func:`act` asks a policy for its next message, by the best way the policy offers;
- :func:`drive` / :func:`adrive` run a *step generator* (logic written once that yields the
  model calls it needs) synchronously or asynchronously.

>>> async def twice(x):
...     return 2 * x
>>> run_sync(twice(21))
42
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import os
import threading
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Generator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from collab_env.errors import ConfigError
from collab_env.executors import concurrency_of

T = TypeVar("T")

#: Gymnasium wrappers that only check the call order or the spaces: an async step passes through them.
PASS_THROUGH = ("OrderEnforcing", "PassiveEnvChecker")

_local = threading.local()
_POOLS: dict[int, ThreadPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()
_COALESCERS: weakref.WeakKeyDictionary[Any, dict[int, Any]] = weakref.WeakKeyDictionary()


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion from synchronous code and return its result.

    Each thread keeps one event loop for all its calls (so the async clients of a model, which
    belong to a loop, are reused). Called from inside a running loop (a notebook, a served
    session calling the sync API), the coroutine runs on a loop of its own in a helper thread.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _runner().run(coro)
    box: list[Any] = []

    def run() -> None:
        try:
            box.append((True, _runner().run(coro)))
        except BaseException as exc:  # handed back to the caller's thread
            box.append((False, exc))

    thread = threading.Thread(target=run, name="collab-env-run-sync")
    thread.start()
    thread.join()
    ok, value = box[0]
    if not ok:
        raise value
    return value


def _runner() -> asyncio.Runner:
    """This thread's event-loop runner (a new one in a forked child, whose parent's loop is not its own)."""
    runner = getattr(_local, "runner", None)
    if runner is None or _local.pid != os.getpid():
        runner, _local.pid = asyncio.Runner(), os.getpid()
        _local.runner = runner
    return runner


async def gather(coros: Sequence[Awaitable[T]]) -> list[T]:
    """Every awaitable at once, results in order (the first exception propagates)."""
    return list(await asyncio.gather(*coros))


# -- stepping an env asynchronously -------------------------------------------------------------


def async_layer(env: Any) -> Any:
    """The outermost layer of ``env`` that defines ``step_async`` (a ``CollabEnv`` or an async wrapper).

    Raises:
        ConfigError: if a wrapper on the way transforms steps without an async form (say which).
    """
    layer = env
    while True:
        if callable(getattr(type(layer), "step_async", None)):
            return layer
        inner = getattr(layer, "env", None)
        if inner is None or type(layer).__name__ not in PASS_THROUGH:
            raise ConfigError(
                f"{type(layer).__name__} has no step_async: step it with env.step(), or put async-capable "
                "wrappers (MultiturnAwareReward) directly over the CollabEnv"
            )
        layer = inner


async def reset_async(env: Any, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple:
    """``env.reset``, awaited: the user simulator's opening may be a model call.

    ``env`` may be wrapped in Gymnasium's pass-through wrappers (``gym.make`` adds them); an
    ``OrderEnforcing`` wrapper then lets the sync ``step`` follow.
    """
    result = await async_layer(env).reset_async(seed=seed, options=options)
    _passed(env, reset=True)
    return result


def _passed(env: Any, reset: bool = False) -> None:
    """Tell the pass-through wrappers above the async layer that a reset or step went by them:
    ``OrderEnforcing`` then lets a sync step follow, and ``PassiveEnvChecker`` (whose checks run
    on the first sync calls only) stands down."""
    layer = env
    while layer is not None and type(layer).__name__ in PASS_THROUGH:
        if reset and hasattr(layer, "_has_reset"):
            layer._has_reset = True
        for flag in ("checked_reset", "checked_step", "checked_data_reuse"):
            if hasattr(layer, flag):
                setattr(layer, flag, True)
        layer = getattr(layer, "env", None)


async def step_async(env: Any, action: str) -> tuple[list, float, bool, bool, dict]:
    """``env.step(action)``, awaited (see :func:`reset_async` for the wrappers it passes)."""
    result = await async_layer(env).step_async(action)
    _passed(env)
    return result


# -- policies ------------------------------------------------------------------------------------


def is_model_backed(owner: Any) -> bool:
    """Whether ``owner`` (an agent, user simulator or judge) calls a model: it holds one in
    ``.model`` or declares a ``concurrency`` above 1."""
    return getattr(owner, "model", None) is not None or (getattr(owner, "concurrency", 1) or 1) > 1


async def in_thread(owner: Any, fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` in a thread pool sized to ``owner``'s concurrency (a sync model call)."""
    workers = concurrency_of(owner)
    with _POOLS_LOCK:
        pool = _POOLS.get(workers)
        if pool is None:
            pool = _POOLS[workers] = ThreadPoolExecutor(workers, thread_name_prefix="collab-env-sync")
    return await asyncio.get_running_loop().run_in_executor(pool, lambda: fn(*args))


async def act(policy: Any, conversation: Sequence[Any], per_call: Mapping[str, Any] | None = None) -> str:
    """The policy's next message for ``conversation``, by the best way the policy offers.

    - ``act_async(conversation, **per_call)``: awaited (an ``LLMAgent``: its model's async call);
    - ``act_batch(conversations, per_call=...)``: the calls of one policy that arrive together
      (in the same turn of the event loop) share one batch;
    - a plain callable: called in place when scripted (no model, no ``concurrency``), else in a
      thread pool sized to its concurrency.

    ``per_call`` holds the call's own parameters (``seed``, ``sample_index``).
    """
    per_call = dict(per_call or {})
    method = getattr(policy, "act_async", None)
    if callable(method):
        return await method(list(conversation), **per_call)
    if callable(getattr(policy, "act_batch", None)):
        return await _coalescer(policy).submit(list(conversation), per_call)
    if is_model_backed(policy):
        return await in_thread(policy, policy, list(conversation))
    return policy(list(conversation))


class _Coalescer:
    """The ``act_batch`` calls of one policy on one loop: those that arrive in one turn share a batch."""

    def __init__(self, policy: Any) -> None:
        self.policy, self.pending = policy, []

    async def submit(self, conversation: list, per_call: dict[str, Any]) -> str:
        future = asyncio.get_running_loop().create_future()
        self.pending.append((conversation, per_call, future))
        if len(self.pending) == 1:
            asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(self._flush()))
        return await future

    async def _flush(self) -> None:
        batch, self.pending = self.pending, []
        conversations, per_call = [c for c, _, _ in batch], [p for _, p, _ in batch]
        try:
            if is_model_backed(self.policy):
                texts = await in_thread(self.policy, call_act_batch, self.policy, conversations, per_call)
            else:
                texts = call_act_batch(self.policy, conversations, per_call)
            if len(texts) != len(batch):
                raise TypeError(
                    f"policy {self.policy!r} returned {len(texts)} messages for {len(batch)} conversations"
                )
        except Exception as exc:  # every caller of the batch gets it
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, _, future), text in zip(batch, texts, strict=True):
            if not future.done():
                future.set_result(text)


def _coalescer(policy: Any) -> _Coalescer:
    table = _COALESCERS.setdefault(asyncio.get_running_loop(), {})
    if id(policy) not in table or table[id(policy)].policy is not policy:
        table[id(policy)] = _Coalescer(policy)
    return table[id(policy)]


def call_act_batch(policy: Any, conversations: list, per_call: list[dict]) -> list[str]:
    """``policy.act_batch(conversations, per_call=...)``, or without ``per_call`` if it takes none."""
    batch = policy.act_batch
    try:
        takes_per_call = "per_call" in inspect.signature(batch).parameters
    except (TypeError, ValueError):
        takes_per_call = False
    return list(batch(conversations, per_call=per_call) if takes_per_call else batch(conversations))


# -- logic written once, run sync or async ------------------------------------------------------

#: A step generator yields ``(prompts, per_call)`` and receives one result per prompt.
Steps = Generator[tuple[list, list], list, T]


def drive(steps: Steps[T], send: Callable[[list, list], list]) -> T:
    """Run a step generator, answering each of its requests with ``send(prompts, per_call)``; an
    error of ``send`` is thrown into the generator at its ``yield`` (it may handle it and ask again)."""
    try:
        request = next(steps)
        while True:
            try:
                results = send(*request)
            except Exception as exc:
                request = steps.throw(exc)
            else:
                request = steps.send(results)
    except StopIteration as stop:
        return stop.value


#: Whether the scripted work between a coroutine's model calls (reading a message, grading it,
#: the guards) runs in a worker thread rather than on the event loop. A shared server sets it
#: around each session's step (:mod:`collab_env.serve.runner`), so that one session's longest
#: message never delays another session's step; elsewhere the work stays in place (no thread).
OFFLOAD_CPU: contextvars.ContextVar[bool] = contextvars.ContextVar("offload_cpu", default=False)


async def cpu(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)``: in a worker thread when :data:`OFFLOAD_CPU` is set, else in place."""
    if OFFLOAD_CPU.get():
        return await asyncio.to_thread(fn, *args)
    return fn(*args)


async def adrive(steps: Steps[T], send: Callable[[list, list], Awaitable[list]]) -> T:
    """:func:`drive` with an async ``send``; the steps' own work is :func:`cpu` work."""
    done, request = await cpu(_advance, steps, next, None)
    while not done:
        try:
            results = await send(*request)
        except Exception as exc:
            done, request = await cpu(_advance, steps, steps.throw, exc)
        else:
            done, request = await cpu(_advance, steps, steps.send, results)
    return request


def _advance(steps: Steps[T], how: Callable, value: Any) -> tuple[bool, Any]:
    """One move of a step generator: ``(False, its next request)`` or ``(True, its result)``.

    StopIteration is caught here: it cannot cross a thread's future (asyncio refuses it).
    """
    try:
        return False, (next(steps) if how is next else how(value))
    except StopIteration as stop:
        return True, stop.value
