"""Benchmark workers that keep many episodes in flight, each on its own event loop.

With a model in the loop (an LLM user, judge or agent), an episode spends its time waiting for
replies. A worker thread that plays one episode at a time leaves the endpoint idle; a worker
that runs its episodes on the async core (:func:`~collab_env.harness.episode.play_async`)
keeps all of them in flight together, each advancing as soon as its own call returns, up to the
endpoints' concurrency limits (:mod:`collab_env.llm.limits`), which bound the calls whatever the
number of episodes. A run that is all scripted keeps the plain worker threads: its episodes never
wait for anything, and running them in one loop would only serialise them.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from concurrent.futures import Future
from typing import Any

from collab_env.agents.specs import uses_model
from collab_env.harness.episode import play_async
from collab_env.harness.log import Key
from collab_env.llm.limits import DEFAULT_CONCURRENCY


def agent_options_given(config: Any) -> dict[str, Any]:
    """The agent's model options a run sets (``KEY=VALUE`` items), typed."""
    from collab_env.model_config import parse_model_options

    return parse_model_options([f"agent.{o}" for o in config.agent_options]).get("agent", {})


def episodes_in_flight(config: Any) -> int:
    """Episodes one worker keeps in flight: 1 for an all-scripted run, else the concurrency limit
    of the endpoints it calls (each episode has one call in flight at a time): the largest
    ``ROLE.concurrency`` the run sets, or the default limit."""
    models, given = False, []
    for env_id in config.envs:
        env_config = config.env_config(env_id)
        parts = [part for part in (env_config.user, env_config.judge) if part.model is not None]
        given += [part.model_options().get("concurrency") for part in parts]
        models = models or bool(parts)
    if any(uses_model(spec) for spec in config.agents):
        models = True
        given += [agent_options_given(config).get("concurrency")]
    if not models:
        return 1
    return max((n for n in given if n), default=DEFAULT_CONCURRENCY)


class LoopWorkers:
    """``workers`` threads, each running an event loop; ``submit`` plays an episode on one of them.

    A stand-in for a ``concurrent.futures`` pool in the runner's stream: ``submit(play, job,
    config)`` returns a :class:`concurrent.futures.Future` of the episode's record, played by
    :func:`play_async` (``play`` names the sync form it replaces). Jobs go to the loops in turn.

    Args:
        workers: Threads (event loops).
    """

    def __init__(self, workers: int) -> None:
        self.loops = [asyncio.new_event_loop() for _ in range(workers)]
        self.threads = [threading.Thread(target=loop.run_forever, name=f"bench-loop-{i}", daemon=True)
                        for i, loop in enumerate(self.loops)]  # fmt: skip
        self._next = itertools.cycle(self.loops)
        for thread in self.threads:
            thread.start()

    def submit(self, _play: Any, job: Key, config: Any) -> Future:
        """Play ``job`` on the next loop; the future of its record.

        As with a thread pool's, cancelling the future stops the episode only before it started:
        an episode in flight finishes (and is logged).
        """
        future: Future = Future()

        async def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(await play_async(job, config))
            except BaseException as exc:  # handed to the runner, as a pool's future would
                future.set_exception(exc)

        asyncio.run_coroutine_threadsafe(run(), next(self._next))
        return future

    def __enter__(self) -> LoopWorkers:
        return self

    def __exit__(self, *exc: object) -> None:
        for loop in self.loops:
            loop.call_soon_threadsafe(loop.stop)
        for thread, loop in zip(self.threads, self.loops, strict=True):
            thread.join()
            loop.close()


__all__ = ["LoopWorkers", "episodes_in_flight"]
