"""Run episodes of many (env, agent) pairs concurrently, logging one JSON line per episode.

Episode k of a run plays seed ``seed + k``, which on the test split is instance ``seed + k``
(modulo the split's size), as ``env.reset(seed=seed + k)`` and ``collab-env episode --seed`` play
it, for every agent, so agents are compared on the same tasks. Episodes run in a pool of ``workers`` threads by default: measured on
2 cores, threads run the default benchmark as fast as processes (6.1 to 6.9 s against 6.4 to
8.3 s for 400 episodes), since the task caches are shared and code runs in sandbox subprocesses,
and they need no ``if __name__ == "__main__"`` guard, pickle nothing and load a local checkpoint
once. ``executor="processes"`` suits agents that are CPU-bound Python; ``executor="ray"`` sends
episodes to a Ray cluster. Every finished episode is appended to the log at once
(:mod:`collab_env.harness.log`); one that crashes, or that a failed model call ended
(``info["error"]``), is recorded as ``lost`` with the traceback, and the run goes on. An endpoint
that is down (its circuit breaker open, :mod:`collab_env.llm.breaker`) stops the run instead: no
new episode starts, those in flight finish (fast: the breaker refuses their calls), and
:func:`run_bench` raises :class:`RunStopped` saying why and what is left. An agent
that raises or returns an invalid action fails its episode instead: status ``agent_error``,
R_ext 0 and R* 0, averaged in like any scored episode (a crashing agent is not flattered).
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import collab_env
from collab_env.agents.specs import check_spec
from collab_env.config import EnvConfig
from collab_env.env import REVEAL
from collab_env.errors import ConfigError, EndpointDown
from collab_env.harness.episode import USER_COUNTS, _base, play
from collab_env.harness.inflight import LoopWorkers, episodes_in_flight
from collab_env.harness.log import EpisodeRecord, Key, key, prepare, read_log
from collab_env.registration import check_env_id, family_of

log = logging.getLogger(__name__)
EXECUTORS = ("threads", "processes", "ray")
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


@dataclass
class BenchConfig:
    """One benchmark run.

    Attributes:
        envs: Environment ids.
        agents: Agent specs, comma-separated: passive, clarify, a model (openai:MODEL@BASE_URL,
            hf:PATH, with #proactive for the proactive prompt) or module:function (a function
            messages -> str in the working folder or an installed module).
        episodes: Episodes per (env, agent); episode k plays seed ``seed + k``: on the test split,
            instance ``seed + k`` modulo the split's size.
        seed: Seed of the first episode.
        env: What every env of the run is (split, user and judge models, endpoint, model options,
            max turns, reward weights): the template of each env's :class:`EnvConfig`, whose
            ``env_id`` is each of ``envs`` and whose ``dataset`` is that env's of ``datasets``.
        out: Output directory (default: ``runs/bench-<date>-<time>``).
        workers: Episodes in flight at once (default: the number of cores).
        resume: Keep the episodes already in ``out/episodes.jsonl`` and run only the rest.
        retry_lost: With ``resume``, run again the episodes recorded as lost.
        executor: threads (one process), processes (one per core) or ray (episodes as Ray tasks;
            extra [ray]).
        ray_address: Ray cluster address (default: the running cluster, else a local one).
        datasets: Public data sets as ``NAME:PATH`` specs; each replaces the built-in instances
            of the env of its family; NAME is math, bigcodebench, abgcoqa, medium or simarena
            (docs/datasets.md); a data set for an env that is not in ``envs`` is an error.
        compare: Report relative changes of every agent against this agent spec (the report
            only: it is kept by a resume, and may be changed by one).
        repeats: Plays of each episode's instance, each with its own user seed (repeat 0 is the
            episode as without repeats; the others reseed the user, 1,000,003 seeds apart, on the
            same instance); the summary then reports pass^k and the spread across repeats.
            On the unlimited train split, repeats pin the instance: train instance ``seed + k``.
        reveal: Conditions each episode is played in: ``default`` (as the task asks it) and
            ``all`` (fully specified: the opening states every facet, the control); with both,
            the summary reports the cost of underspecification per agent.
        parts: Report R*'s parts per env and agent beside the summary: task metric × w_ext, the
            token penalty, engagement × w_eng and engagement's counts per episode (answered,
            unanswered, missed, ignored), in the terminal and in results.md and results.json
            (the report only: a resume keeps it, and may change it).
        agent_options: KEY=VALUE options of a model agent's model (--agent.KEY VALUE, or
            --model-option agent.KEY=VALUE): max_tokens, temperature, timeout_s, concurrency,
            max_retries or cache.
    """

    envs: list[str] = field(default_factory=lambda: list(collab_env.ENV_IDS))
    agents: list[str] = field(default_factory=lambda: ["passive", "clarify"])
    episodes: int = 50
    seed: int = 0
    env: EnvConfig = field(
        default_factory=lambda: EnvConfig(split="test"),
        metadata={"group": "environment (the same options in every command)", "omit": ("env_id", "dataset")},
    )
    out: str = field(default_factory=lambda: time.strftime("runs/bench-%Y%m%d-%H%M%S"))
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    resume: bool = False
    retry_lost: bool = False
    executor: str = field(default="threads", metadata={"choices": EXECUTORS})
    ray_address: str | None = None
    datasets: list[str] = field(default_factory=list)
    compare: str | None = None
    repeats: int = 1
    reveal: list[str] = field(default_factory=lambda: ["default"])
    parts: bool = False
    agent_options: list[str] = field(default_factory=list, metadata={"metavar": "KEY=VALUE"})

    def __post_init__(self) -> None:
        if not self.envs:
            raise ConfigError(f"envs is empty: name at least one of {list(collab_env.ENV_IDS)}")
        for env_id in self.envs:
            check_env_id(env_id)
        if not self.agents:
            raise ConfigError("agents is empty: name at least one agent spec")
        self.agents = [check_spec(a) for a in self.agents]
        if len(set(self.agents)) != len(self.agents):
            raise ConfigError(f"agents lists a spec twice: {self.agents}")
        if self.compare is not None and self.compare not in self.agents and not Path(self.compare).exists():
            raise ConfigError(
                f"compare {self.compare!r} is not among agents {self.agents}, nor a run's directory or log"
            )
        if self.executor not in EXECUTORS:
            raise ConfigError(f"executor must be one of {EXECUTORS}, got {self.executor!r}")
        if not isinstance(self.repeats, int) or self.repeats < 1:
            raise ConfigError(f"repeats must be an int >= 1, got {self.repeats!r}")
        self.reveal = list(self.reveal)
        if (
            not self.reveal
            or any(r not in REVEAL for r in self.reveal)
            or len(set(self.reveal)) < len(self.reveal)
        ):
            raise ConfigError(f"reveal must list distinct values of {REVEAL}, got {self.reveal}")
        if self.episodes < 1 or self.workers < 1:
            raise ConfigError(f"episodes and workers must be >= 1, got {self.episodes} and {self.workers}")
        if not isinstance(self.env, EnvConfig):
            raise ConfigError(f"env must be an EnvConfig (the template of every env), got {self.env!r}")
        if self.env.dataset is not None:
            raise ConfigError(
                f"env.dataset {self.env.dataset!r}: a run of several envs takes datasets=[...] (one per family)"
            )
        self._check_datasets()
        split = self.env.split
        for env_id, env in self.base_envs().items():
            size = env.task.size(split)
            if size is not None and self.episodes > size:
                raise ConfigError(
                    f"{env_id} has {size} {split} instances; ask for at most that many episodes"
                )

    def dataset_for(self, env_id: str) -> str | None:
        """The dataset spec that applies to ``env_id`` (its family's), or ``None``."""
        family = family_of(env_id)
        specs = [spec for spec in self.datasets if _dataset_family(spec) == family]
        if len(specs) > 1:
            raise ConfigError(f"two datasets for {env_id}: {specs}")
        return specs[0] if specs else None

    def env_config(self, env_id: str) -> EnvConfig:
        """The :class:`EnvConfig` of ``env_id`` in this run: the template ``env``, for ``env_id``
        and its data set."""
        return self.env.replace(env_id=env_id, dataset=self.dataset_for(env_id))

    def base_envs(self) -> dict[str, Any]:
        """One base env of each env id of the run, built once (the checks and the log header read
        their tasks and users; episodes build their own)."""
        if "_base_envs" not in self.__dict__:
            self._base_envs = {e: self.env_config(e).make().unwrapped for e in self.envs}
        return self._base_envs

    def __getstate__(self) -> dict[str, Any]:
        """The fields only: process workers and Ray tasks are sent no env."""
        return {k: v for k, v in self.__dict__.items() if k != "_base_envs"}

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the fields, ``env`` as :meth:`EnvConfig.as_dict` (the log header's)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["env"] = self.env.as_dict()
        return out

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> BenchConfig:
        """The config that :meth:`as_dict` recorded, or that a log written before ``env`` was
        nested recorded (``split``, ``user_model``, ``base_url``, ``judge_model`` and
        ``env_options`` at the top).
        """
        record = upgrade_record(record)
        env = dict(record["env"])
        options = [o for o in env.get("model_options", ()) if o.startswith("agent.")]
        if options:  # a log of before the agent's options were the command's
            env["model_options"] = [o for o in env["model_options"] if o not in options]
            record["agent_options"] = [
                *record.get("agent_options", ()),
                *(o[len("agent.") :] for o in options),
            ]
        return cls(**{**record, "env": EnvConfig.from_dict(env)})

    def _check_datasets(self) -> None:
        families = {family_of(e) for e in self.envs}
        for spec in self.datasets:
            if _dataset_family(spec) not in families:
                raise ConfigError(
                    f"dataset {spec!r} is for the {_dataset_family(spec)} family, and no env of "
                    f"that family is in envs {self.envs}; add its env or drop the dataset"
                )


def _dataset_family(spec: str) -> str:
    """The task family a ``NAME:PATH`` data set spec is for."""
    from collab_env.tasks.datasets import DATASETS, parse_spec

    return DATASETS[parse_spec(spec)[0]][0]


#: The EnvConfig fields that a BenchConfig held itself before it nested ``env`` (logs of schema 2).
_FLAT_ENV_FIELDS = ("split", "user_model", "base_url", "judge_model")


def upgrade_record(record: dict[str, Any]) -> dict[str, Any]:
    """A recorded BenchConfig in today's shape: one written before ``env`` was nested has its
    env fields and ``env_options`` moved into ``env`` (it then resumes as it was run).

    >>> upgrade_record({"episodes": 5, "split": "test", "user_model": None, "env_options": {"max_turns": 4}})
    {'episodes': 5, 'env': {'split': 'test', 'user_model': None, 'max_turns': 4}}
    """
    if "env" in record:
        return dict(record)
    out = {k: v for k, v in record.items() if k not in (*_FLAT_ENV_FIELDS, "env_options")}
    out["env"] = {
        **{k: record[k] for k in _FLAT_ENV_FIELDS if k in record},
        **record.get("env_options", {}),
    }
    return out


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
    run = {"threads": _run_threads, "processes": _run_processes, "ray": _run_ray}[config.executor]
    with path.open("a") as sink:
        for record in run(todo, config):
            sink.write(_dumps(record) + "\n")
            sink.flush()
            if on_episode:
                on_episode(record)
    return path


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
            ray.init(address=config.ray_address)
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


def _dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, default=str)


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


__all__ = [
    "EXECUTORS",
    "USER_COUNTS",
    "BenchConfig",
    "RunStopped",
    "endpoint_down",
    "play",
    "read_log",
    "run_bench",
]
