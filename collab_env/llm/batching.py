"""Calls from many threads or coroutines coalesced into batches, served by one worker thread.

A local model computes a batch of conversations in about the time of one, so callers that arrive
together (the episodes of a benchmark, the futures of an MR step run in threads) should share a
forward pass instead of queueing for a lock. :class:`BatchingQueue` is that small queue: each
caller blocks on its own future; one worker takes the first waiting call, waits at most
``max_wait_s`` for more (never more than ``max_batch`` in all), and serves them with one
``run_batch`` call per group of calls that share a key (for a model: the sampling parameters,
which one forward pass cannot mix).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future
from typing import Generic, TypeVar

from collab_env.errors import ConfigError

logger = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")


class BatchingQueue(Generic[Item, Result]):
    """Blocking calls from any number of threads, served in batches by one worker thread.

    The worker is started by the first call and exits after ``idle_s`` with nothing to do (the
    next call starts it again), so an idle queue holds no thread.

    Args:
        run_batch: ``run_batch(items, key) -> results``, one result per item, in order; called
            only from the worker thread, never concurrently with itself.
        max_batch: The most calls served by one ``run_batch`` call (>= 1).
        max_wait_s: How long the worker waits, after the first call of a batch, for more calls
            to join it (seconds, >= 0). Calls already waiting join at once.
        idle_s: How long an idle worker lives (seconds, > 0).

    Raises:
        ConfigError: if a bound is out of range.
    """

    def __init__(
        self,
        run_batch: Callable[[list[Item], Hashable], Sequence[Result]],
        max_batch: int = 8,
        max_wait_s: float = 0.005,
        idle_s: float = 5.0,
    ) -> None:
        if max_batch < 1 or max_wait_s < 0 or idle_s <= 0:
            raise ConfigError(
                f"max_batch must be >= 1, max_wait_s >= 0 and idle_s > 0, got {max_batch}, {max_wait_s}, {idle_s}"
            )
        self.run_batch, self.max_batch, self.max_wait_s, self.idle_s = (
            run_batch,
            max_batch,
            max_wait_s,
            idle_s,
        )
        self._start_fresh()

    def _start_fresh(self) -> None:
        """An empty queue and no worker, at construction and in a forked child.

        A child inherits the parent's queue and its record of a running worker, but not the
        worker thread: without this, its first call would wait forever.
        """
        self._pid = os.getpid()
        self._queue: queue.SimpleQueue[tuple[Hashable, Item, Future]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None

    def submit(self, item: Item, key: Hashable = None) -> Result:
        """Queue one call and wait for its result.

        Args:
            item: What ``run_batch`` receives for this call.
            key: Calls are batched only with calls of an equal key.

        Returns:
            This call's result.

        Raises:
            Exception: whatever ``run_batch`` raised for the batch this call was in (every caller
                of that batch receives it).
        """
        return self._put(item, key).result()

    async def asubmit(self, item: Item, key: Hashable = None) -> Result:
        """:meth:`submit`, awaited: the coroutine waits for its batch without holding a thread.

        Calls from coroutines and from threads share the same batches.
        """
        import asyncio

        return await asyncio.wrap_future(self._put(item, key))

    def _put(self, item: Item, key: Hashable) -> Future:
        future: Future = Future()
        if self._pid != os.getpid():
            self._start_fresh()
        with self._lock:  # the worker checks emptiness under this lock before it exits
            self._queue.put((key, item, future))
            if self._worker is None:
                self._worker = threading.Thread(target=self._serve, name="batching-queue", daemon=True)
                self._worker.start()
        return future

    def _serve(self) -> None:
        while (calls := self._take()) is not None:
            groups: dict[Hashable, list[tuple[Item, Future]]] = {}
            for key, item, future in calls:
                groups.setdefault(key, []).append((item, future))
            for key, group in groups.items():
                self._run(key, group)

    def _take(self) -> list[tuple[Hashable, Item, Future]] | None:
        """The next batch of waiting calls ([] to look again), or None when the worker should exit."""
        try:
            calls = [self._queue.get(timeout=self.idle_s)]
        except queue.Empty:
            with self._lock:
                if self._queue.empty():
                    self._worker = None
                    return None
            return []
        deadline = time.monotonic() + self.max_wait_s
        while len(calls) < self.max_batch:
            remaining = deadline - time.monotonic()
            try:
                calls.append(
                    self._queue.get(timeout=remaining) if remaining > 0 else self._queue.get_nowait()
                )
            except queue.Empty:
                break
        return calls

    def _run(self, key: Hashable, group: list[tuple[Item, Future]]) -> None:
        try:
            results = list(self.run_batch([item for item, _ in group], key))
            if len(results) != len(group):
                raise RuntimeError(f"run_batch returned {len(results)} results for {len(group)} calls")
        except BaseException as exc:  # handed to every caller of the batch; the worker lives on
            logger.debug("a batch of %d calls failed: %r", len(group), exc)
            for _, future in group:
                future.set_exception(exc)
            return
        for (_, future), result in zip(group, results, strict=True):
            future.set_result(result)
