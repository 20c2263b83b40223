"""Executors: where independent pieces of work (MR futures, benchmark episodes) run.

One small protocol, ``executor.map(fn, items) -> list``, with three backends:

- :class:`SerialExecutor` runs items one after another in the calling thread. It is the right
  choice for the scripted user and scripted agents: pure Python, CPU-bound, microseconds a
  turn, where threads only add overhead.
- :class:`ThreadExecutor` runs up to ``max_workers`` items at once. Model calls are I/O-bound,
  so threads overlap their latency; size it to the endpoint's concurrency.
- :class:`RayExecutor` sends items to a Ray cluster (``ray.init(address=...)``; locally
  ``ray.init()`` starts a single-node cluster). Extra ``[ray]``.

Each item runs start to finish on one worker, so a chain of dependent steps (one simulated
future) never waits for any other chain: there is no barrier between items.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar, runtime_checkable

from collab_env.errors import ConfigError

T = TypeVar("T")
R = TypeVar("R")


@runtime_checkable
class Executor(Protocol):
    """Runs ``fn`` on every item and returns the results in the items' order.

    The first exception raised by ``fn`` propagates to the caller.
    """

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """Apply ``fn`` to each item; results in order."""


class SerialExecutor:
    """Runs items one after another in the calling thread."""

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """Apply ``fn`` to each item in turn."""
        return [fn(item) for item in items]

    def __repr__(self) -> str:
        return "SerialExecutor()"


class ThreadExecutor:
    """Runs up to ``max_workers`` items at once in a thread pool.

    Args:
        max_workers: Items in flight at once (match the model endpoint's concurrency).
    """

    def __init__(self, max_workers: int = 16) -> None:
        if max_workers < 1:
            raise ConfigError(f"max_workers must be >= 1, got {max_workers}")
        self.max_workers = max_workers

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """Apply ``fn`` to the items concurrently; results in order."""
        items = list(items)
        if len(items) <= 1:
            return [fn(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(self.max_workers, len(items))) as pool:
            return list(pool.map(fn, items))

    def __repr__(self) -> str:
        return f"ThreadExecutor(max_workers={self.max_workers})"


class RayExecutor:
    """Runs items as Ray tasks, on a cluster or a local single-node Ray.

    Args:
        address: Cluster address for ``ray.init`` (``None``: connect to the running cluster
            or start a local one).
        num_cpus: CPUs requested by each task.
        init_kwargs: Further keyword arguments for ``ray.init``.

    Raises:
        ConfigError: if Ray is not installed (``pip install collab-env[ray]``).
    """

    def __init__(self, address: str | None = None, num_cpus: float = 1, **init_kwargs: Any) -> None:
        try:
            import ray
        except ImportError as exc:
            raise ConfigError("executor='ray' needs Ray: pip install 'collab-env[ray]'") from exc
        self._ray = ray
        if not ray.is_initialized():  # Ray's start-up notices (token auth...) are not the run's: errors only
            ray.init(address=address, **{"logging_level": "ERROR", **init_kwargs})
        self._remote = ray.remote(num_cpus=num_cpus)(_call)

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """Submit every item as a Ray task and gather the results in order."""
        fn_ref = self._ray.put(fn)
        return self._ray.get([self._remote.remote(fn_ref, item) for item in items])

    def __repr__(self) -> str:
        return "RayExecutor()"


def _call(fn: Callable[[T], R], item: T) -> R:
    return fn(item)


def concurrency_of(owner: Any) -> int:
    """Calls ``owner`` serves at once: its ``concurrency``, or its model's (1 when neither says).

    ``owner`` is a chat model, or an agent, user simulator or judge that holds one in ``.model``.
    """
    for candidate in (owner, getattr(owner, "model", None)):
        value = getattr(candidate, "concurrency", None)
        if value:
            return int(value)
    return 1


def make_executor(spec: Executor | str | None, default_workers: int = 1) -> Executor:
    """Build an executor from ``None``, ``"serial"``, ``"threads"``, ``"threads:N"``, ``"ray"`` or an Executor.

    ``None`` picks :class:`SerialExecutor` when ``default_workers`` is 1 and a
    :class:`ThreadExecutor` of that size otherwise.

    >>> make_executor("threads:8"), make_executor(None)
    (ThreadExecutor(max_workers=8), SerialExecutor())

    Raises:
        ConfigError: for an unknown spec.
    """
    if spec is None:
        return SerialExecutor() if default_workers <= 1 else ThreadExecutor(default_workers)
    if isinstance(spec, Executor) and not isinstance(spec, str):
        return spec
    name, _, arg = str(spec).partition(":")
    if name == "serial" and not arg:
        return SerialExecutor()
    if name == "threads":
        try:
            return ThreadExecutor(int(arg) if arg else 16)
        except ValueError as exc:
            raise ConfigError(f"executor 'threads:N' needs an integer N, got {spec!r}") from exc
    if name == "ray":
        return RayExecutor(address=arg or None)
    raise ConfigError(
        f"unknown executor {spec!r}; use 'serial', 'threads', 'threads:N', 'ray' or an Executor"
    )
