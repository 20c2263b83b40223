"""Where a run's episodes play, yielded as they finish: threads, processes or a Ray cluster.

Episodes run in a pool of ``workers`` threads by default: measured on 2 cores, threads run the
default benchmark as fast as processes (6.1 to 6.9 s against 6.4 to 8.3 s for 400 episodes),
since the task caches are shared and code runs in sandbox subprocesses, and they need no
``if __name__ == "__main__"`` guard, pickle nothing and load a local checkpoint once.
``executor="processes"`` suits agents that are CPU-bound Python (a worker process that dies
loses only the episodes it had in flight); ``executor="ray"`` sends episodes to a Ray cluster.
An endpoint that is down (its circuit breaker open, :mod:`collab_env.llm.breaker`) stops the
run: no new episode starts, those in flight finish (fast: the breaker refuses their calls), and
the executor raises :class:`RunStopped` saying why and what is left.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from collab_env.errors import ConfigError, EndpointDown
from collab_env.harness.config import BenchConfig
from collab_env.harness.episode import _base, play
from collab_env.harness.inflight import LoopWorkers, episodes_in_flight
from collab_env.harness.log import EpisodeRecord, Key, key

# Process workers start from a clean server process: forking a parent that already runs threads
# (torch's thread pools, an HTTP server, the caller's own) can deadlock the child.
_CONTEXT = multiprocessing.get_context("forkserver")
_DIED = (
    "BrokenProcessPool: a worker process died while this episode was in flight (this episode or "
    "another one in flight killed it); `--resume --retry-lost` runs it again\n"
)


class RunStopped(EndpointDown):
    """A run stopped early because an endpoint is down; the episodes it finished are in the log.

    Attributes:
        reason: Why (the endpoint, how long it failed, its last error).
        not_started: Episodes not started (a plain resume runs them).
    """

    def __init__(self, reason: str, not_started: int) -> None:
        super().__init__(
            f"stopped early, {not_started} episodes not started: {reason}; once the endpoint is "
            "back, resume (the same config with resume=True and retry_lost=True)"
        )
        self.reason, self.not_started = reason, not_started


def run_episodes(todo: list[Key], config: BenchConfig) -> Iterator[dict[str, Any]]:
    """Play the episodes ``todo`` with ``config.executor``; yield each record as it finishes.

    Raises:
        RunStopped: once an episode was lost to an endpoint that is down.
    """
    run = {"threads": _run_threads, "processes": _run_processes, "ray": _run_ray}[config.executor]
    yield from run(todo, config)


def _run_threads(todo: list[Key], config: BenchConfig) -> Iterator[dict[str, Any]]:
    """Episodes in ``config.workers`` threads, yielded as they finish.

    With a model in the loop, each worker is an event loop that keeps its episodes in flight
    together, up to the endpoints' limits (:mod:`~collab_env.harness.inflight`); an
    all-scripted run plays one episode per thread at a time.
    """
    per_worker = episodes_in_flight(config)
    if per_worker > 1:
        with LoopWorkers(config.workers) as workers:
            yield from _stream(workers, todo, config, in_flight=config.workers * per_worker)
        return
    with ThreadPoolExecutor(config.workers, thread_name_prefix="bench") as pool:
        yield from _stream(pool, todo, config)


def _run_processes(todo: list[Key], config: BenchConfig) -> Iterator[dict[str, Any]]:
    """Episodes in ``config.workers`` processes; a worker that dies loses only its episodes."""
    while todo:
        with ProcessPoolExecutor(config.workers, _CONTEXT, _import_like_parent, (list(sys.path),)) as pool:
            finished: list[Key] = []
            try:
                for record in _stream(pool, todo, config):
                    finished.append(key(record))
                    yield record
                return
            except BrokenProcessPool:
                # The jobs in flight when a worker died are recorded as lost; the rest run on.
                left = [job for job in todo if job not in set(finished)]
                in_flight, todo = left[: config.workers * 2], left[config.workers * 2 :]
                for job in in_flight:
                    yield _lost(job, config, _DIED)


def _stream(pool: Any, todo: list[Key], config: BenchConfig, in_flight: int = 0) -> Iterator[dict[str, Any]]:
    """Submit ``todo`` in order, at most ``in_flight`` (default ``2 * workers``); yield records as they finish.

    Raises:
        RunStopped: after the episodes in flight, once one was lost to an endpoint that is down.
    """
    queue = iter(todo)
    pending: set[Future] = {
        pool.submit(play, job, config) for job in _take(queue, in_flight or config.workers * 2)
    }
    order = {f: i for i, f in enumerate(pending)}
    reason, played = "", 0
    while pending:
        finished, pending = wait(pending, return_when=FIRST_COMPLETED)
        for future in sorted(finished, key=order.get):
            if future.cancelled():
                continue
            record, played = future.result(), played + 1
            reason = reason or endpoint_down(record)
            yield record
        if reason:  # stop starting episodes: cancel those not started, let those running finish
            pending = {f for f in pending if not f.cancel()}
            continue
        for job in _take(queue, len(finished)):
            future = pool.submit(play, job, config)
            order[future] = len(order)
            pending.add(future)
    if reason:
        raise RunStopped(reason, len(todo) - played)


def endpoint_down(record: dict[str, Any]) -> str:
    """Why an episode was lost to an endpoint that is down (its breaker open), else ``""``."""
    error = str(record.get("error") or "") if record.get("status") == "lost" else ""
    marker = f"{EndpointDown.__name__}: "
    return error.rpartition(marker)[2].strip().splitlines()[0] if marker in error else ""


def _run_ray(todo: list[Key], config: BenchConfig) -> Iterator[dict[str, Any]]:
    """Episodes as Ray tasks (a cluster, or a local Ray), yielded as they finish.

    :class:`collab_env.executors.RayExecutor` returns all results at once; the log needs each
    episode as it finishes, so this uses ``ray.wait`` directly.
    """
    try:
        import ray
    except ImportError as exc:
        raise ConfigError("--executor ray needs Ray: pip install 'collab-env[ray]'") from exc
    if not ray.is_initialized():
        try:
            ray.init(
                address=config.ray_address, logging_level="ERROR"
            )  # Ray's start-up notices: not the run's
        except (ConnectionError, RuntimeError, ValueError) as exc:
            where = config.ray_address or "a local Ray"
            raise ConfigError(f"--executor ray: cannot start or reach {where}: {exc}") from exc
    remote = ray.remote(play)
    pending = [remote.remote(job, config) for job in todo]
    while pending:
        finished, pending = ray.wait(pending, num_returns=1)
        record = ray.get(finished[0])
        yield record
        if reason := endpoint_down(record):
            for ref in pending:
                ray.cancel(ref)
            raise RunStopped(reason, len(pending))


def _lost(job: Key, config: BenchConfig, error: str) -> EpisodeRecord:
    return {**_base(job, config), "status": "lost", "error": error}


def _import_like_parent(path: list[str]) -> None:
    """Process-worker initializer: the parent's import path, so ``module:function`` agents import alike."""
    sys.path[:] = path


def _take(queue: Iterator[Key], n: int) -> list[Key]:
    out = []
    for job in queue:
        out.append(job)
        if len(out) == n:
            break
    return out
