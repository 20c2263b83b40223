"""One concurrency limit per endpoint, shared by every model object and conversation that calls it.

An endpoint (a vLLM or llama.cpp server, an API) serves so many requests at once, whatever the
number of roles (agent, user simulator, judge) or of copies of an env that call it. So the limit
is the endpoint's, not a model object's: every :class:`~collab_env.llm.OpenAIChat` of one
``base_url`` in the process holds the same :class:`EndpointLimit` (as it holds the endpoint's
circuit breaker), whose :class:`~collab_env.llm.slots.Slots` bound the calls in flight from threads
and event loops together, and whose thread pool (as many threads as the limit) carries the
calls of coroutines.

The limit is :data:`DEFAULT_CONCURRENCY` (every future of an MR step of 8 candidates × 8 samples
in flight) unless a model sets it (``--model-option ROLE.concurrency=N``). A set limit is never
silently changed: a model built with a different one for the same endpoint is refused.

>>> a = limit_for("http://127.0.0.1:9/v1")
>>> b = limit_for("http://127.0.0.1:9/v1", 8)
>>> a is b, a.concurrency
(True, 8)
"""

from __future__ import annotations

import asyncio
import os
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from collab_env.errors import ConfigError
from collab_env.llm.slots import Slots

T = TypeVar("T")

#: Calls in flight per endpoint unless a model sets its limit.
DEFAULT_CONCURRENCY = 64


class EndpointLimit:
    """The concurrency limit of one endpoint (thread-safe).

    Args:
        endpoint: The endpoint's URL.
        concurrency: Calls in flight at once (>= 1).
        given: Whether a model set it (else it is the default, which a setting replaces).

    Attributes:
        slots: The bound on calls in flight, across threads and event loops.
    """

    def __init__(self, endpoint: str, concurrency: int, given: bool) -> None:
        self.endpoint, self.concurrency, self.given = endpoint, concurrency, given
        self.slots = Slots(concurrency)
        self._pool: ThreadPoolExecutor | None = None
        self._pid = os.getpid()
        self._lock = threading.Lock()

    def set(self, concurrency: int) -> None:
        """Set the limit (a model's ``concurrency``).

        Raises:
            ConfigError: if another model of this endpoint set a different one.
        """
        with self._lock:
            if self.given and concurrency != self.concurrency:
                raise ConfigError(
                    f"{self.endpoint} already has concurrency {self.concurrency} (set by another model of "
                    f"this endpoint), not {concurrency}: one limit holds for every role on an endpoint; give "
                    "them all the same --model-option ROLE.concurrency"
                )
            if not self.given:
                self.slots.resize(concurrency)
                self.concurrency, self.given = concurrency, True
                if self._pool is not None:
                    self._pool.shutdown(wait=False)
                    self._pool = None

    async def run(self, fn: Callable[[], T]) -> T:
        """``fn()`` on one of the endpoint's threads, awaited (a blocking call of a coroutine)."""
        with self._lock:
            if self._pool is None or self._pid != os.getpid():  # a forked child has none of its threads
                self._pool, self._pid = _started_pool(self.concurrency), os.getpid()
            pool = self._pool
        return await asyncio.get_running_loop().run_in_executor(pool, fn)

    def __repr__(self) -> str:
        return f"EndpointLimit({self.endpoint!r}, concurrency={self.concurrency})"


def _started_pool(threads: int) -> ThreadPoolExecutor:
    """A thread pool with all its ``threads`` already running.

    ``ThreadPoolExecutor`` starts a thread on a submit that finds none idle, and ``Thread.start``
    waits for the new thread to take the GIL: in a wave of calls, with the pool's other threads
    busy, that wait stalled the event loop about 14 ms per new thread (0.5 s of a wave of 256).
    Started here, on the first call, they cost about 0.3 ms each, once.
    """
    pool = ThreadPoolExecutor(threads, thread_name_prefix="collab-env-endpoint")
    barrier = threading.Barrier(threads + 1)
    for _ in range(threads):  # each waits at the barrier, so every submit finds no idle thread
        pool.submit(barrier.wait)
    barrier.wait()
    return pool


# Weak values: an endpoint's limit lives as long as some model holds it, so a later server on a
# reused port (tests) starts afresh.
_LIMITS: weakref.WeakValueDictionary[str, EndpointLimit] = weakref.WeakValueDictionary()
_LOCK = threading.Lock()


def limit_for(endpoint: str, concurrency: int | None = None) -> EndpointLimit:
    """The limit of ``endpoint`` in this process; ``concurrency`` sets it (``None``: keep it).

    Raises:
        ConfigError: if ``concurrency`` is below 1 or differs from a limit already set.
    """
    if concurrency is not None and (not isinstance(concurrency, int) or concurrency < 1):
        raise ConfigError(f"concurrency must be an int >= 1, got {concurrency!r}")
    with _LOCK:
        limit = _LIMITS.get(endpoint)
        if limit is None:
            limit = EndpointLimit(endpoint, concurrency or DEFAULT_CONCURRENCY, concurrency is not None)
            _LIMITS[endpoint] = limit
            return limit
    if concurrency is not None:
        limit.set(concurrency)
    return limit


def limits() -> dict[str, Any]:
    """Every endpoint's limit held now, by URL (for reports and tests)."""
    with _LOCK:
        return {url: limit.concurrency for url, limit in _LIMITS.items()}


__all__ = ["DEFAULT_CONCURRENCY", "EndpointLimit", "limit_for", "limits"]
