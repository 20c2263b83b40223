"""Run episodes of many (env, agent) pairs concurrently, logging one JSON line per episode.

Episode k of a run plays seed ``seed + k``, which on the test split is instance ``seed + k``
(modulo the split's size), as ``env.reset(seed=seed + k)`` and ``collab-env episode --seed`` play
it, for every agent, so agents are compared on the same tasks. What a run is, is a
:class:`~collab_env.harness.config.BenchConfig`; where its episodes play (threads, processes or
Ray) is :mod:`collab_env.harness.executors`. Every finished episode is appended to the log at once
(:mod:`collab_env.harness.log`); one that crashes, or that a failed model call ended
(``info["error"]``), is recorded as ``lost`` with the traceback, and the run goes on. An endpoint
that is down (its circuit breaker open, :mod:`collab_env.llm.breaker`) stops the run instead: no
new episode starts, those in flight finish (fast: the breaker refuses their calls), and
:func:`run_bench` raises :class:`~collab_env.harness.executors.RunStopped` saying why and what is
left. An agent that raises or returns an invalid action fails its episode instead: status
``agent_error``, R_ext 0 and R* 0, averaged in like any scored episode (a crashing agent is not
flattered).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from collab_env.harness.config import BenchConfig
from collab_env.harness.executors import run_episodes
from collab_env.harness.log import prepare

log = logging.getLogger(__name__)


def run_bench(config: BenchConfig, on_episode: Callable[[dict[str, Any]], None] | None = None) -> Path:
    """Run the benchmark; return the path of its episode log.

    Args:
        config: What to run.
        on_episode: Called with each finished episode's record, in the calling thread (progress).

    Returns:
        ``config.out/episodes.jsonl``.

    Raises:
        ConfigError: if ``out`` holds a log of another configuration, or one exists and
            ``resume`` is off.
        RunStopped: if an endpoint went down (its circuit breaker opened): the episodes that
            finished, and those in flight, are in the log; the rest did not start.
    """
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "episodes.jsonl"
    done = prepare(path, config)
    jobs = [
        (e, a, k, r, reveal)
        for e in config.envs
        for a in config.agents
        for k in range(config.episodes)
        for r in range(config.repeats)
        for reveal in config.reveal
    ]
    todo = [job for job in jobs if job not in done]
    log.info("%d episodes to run (%d already in %s)", len(todo), len(jobs) - len(todo), path)
    with path.open("a") as sink:
        for record in run_episodes(todo, config):
            sink.write(_dumps(record) + "\n")
            sink.flush()
            if on_episode:
                on_episode(record)
    return path


def _dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, default=str)


__all__ = ["BenchConfig", "run_bench"]  # BenchConfig's home is collab_env.harness.config
