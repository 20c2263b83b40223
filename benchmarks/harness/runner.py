"""Run episodes of many (env, agent) pairs concurrently, logging one JSON line per episode.

Episode k of a run plays seed ``seed + k``, which on the test split is instance ``seed + k``
(modulo the split's size), as ``env.reset(seed=seed + k)`` and ``collab-env episode --seed`` play
it, for every agent, so agents are compared on the same tasks. Episodes run in a pool of ``workers`` threads by default: measured on
2 cores, threads run the default benchmark as fast as processes (6.1 to 6.9 s against 6.4 to
8.3 s for 400 episodes), since the task caches are shared and code runs in sandbox subprocesses,
and they need no ``if __name__ == "__main__"`` guard, pickle nothing and load a local checkpoint
once. ``executor="processes"`` suits agents that are CPU-bound Python; ``executor="ray"`` sends
episodes to a Ray cluster. Every finished episode is appended to the log at once
(:mod:`collab_env.benchmarks.harness.log`); one that crashes, or that a failed model call ended
(``info["error"]``), is recorded as ``lost`` with the traceback, and the run goes on. An agent
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
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
from collab_env.agents.specs import build_agent, check_spec
from collab_env.benchmarks.harness.log import EpisodeRecord, Key, key, prepare, read_log

import collab_env
from collab_env.config import EnvConfig
from collab_env.errors import ConfigError, ModelCallError
from collab_env.facets import questions
from collab_env.registration import check_env_id, family_of
from collab_env.rollout import run_episode
from collab_env.tokens import count_tokens

log = logging.getLogger(__name__)
EXECUTORS = ("threads", "processes", "ray")
#: Counters of a model-backed user simulator recorded per episode as ``user_<name>`` (0 for the
#: scripted user): rejected replies (unparseable, cut off at max_tokens, broken guards) and retries.
USER_COUNTS = ("parse_failures", "cutoffs", "drifts", "retries")
# Process workers start from a clean server process: forking a parent that already runs threads
# (torch's thread pools, an HTTP server, the caller's own) can deadlock the child.
_CONTEXT = multiprocessing.get_context("forkserver")
_DIED = (
    "BrokenProcessPool: a worker process died while this episode was in flight (this episode or "
    "another one in flight killed it); `--resume --retry-lost` runs it again\n"
)


@dataclass
class BenchConfig:
    """One benchmark run.

    Attributes:
        envs: Environment ids.
        agents: Agent specs (see :mod:`collab_env.agents.specs`).
        episodes: Episodes per (env, agent); episode k plays seed ``seed + k``: on the test split,
            instance ``seed + k`` modulo the split's size.
        seed: Seed of the first episode.
        split: Task split.
        out: Output directory (default: ``runs/bench-<date>-<time>``).
        workers: Episodes in flight at once (default: the number of cores).
        resume: Keep the episodes already in ``out/episodes.jsonl`` and run only the rest.
        retry_lost: With ``resume``, run again the episodes recorded as lost.
        user_model: Model that plays the user (``None``: the scripted user).
        base_url: OpenAI-compatible endpoint of ``user_model`` and ``judge_model``.
        judge_model: Model that scores engagement (``None``: the heuristic).
        executor: ``"threads"``, ``"processes"`` or ``"ray"`` (episodes as Ray tasks).
        ray_address: Ray cluster address (``None``: the running cluster or a local one).
        datasets: Public data sets as ``NAME:PATH`` specs; each replaces the built-in instances
            of the env of its family (see :mod:`collab_env.tasks.datasets`); a data set for an
            env that is not in ``envs`` is an error.
        env_options: Further :class:`~collab_env.config.EnvConfig` fields for every env
            (``max_turns``, ``model_options``, ``w_ext``, ``w_eng``, ``token_penalty``, ``reward_mode``).
    """

    envs: list[str] = field(default_factory=lambda: list(collab_env.ENV_IDS))
    agents: list[str] = field(default_factory=lambda: ["passive", "clarify"])
    episodes: int = 50
    seed: int = 0
    split: str = "test"
    out: str = field(default_factory=lambda: time.strftime("runs/bench-%Y%m%d-%H%M%S"))
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    resume: bool = False
    retry_lost: bool = False
    user_model: str | None = None
    base_url: str | None = None
    judge_model: str | None = None
    executor: str = field(default="threads", metadata={"choices": EXECUTORS})
    ray_address: str | None = None
    datasets: list[str] = field(default_factory=list)
    env_options: dict[str, Any] = field(default_factory=dict)

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
        if self.executor not in EXECUTORS:
            raise ConfigError(f"executor must be one of {EXECUTORS}, got {self.executor!r}")
        if self.episodes < 1 or self.workers < 1:
            raise ConfigError(f"episodes and workers must be >= 1, got {self.episodes} and {self.workers}")
        if self.split not in ("train", "test"):
            raise ConfigError(f"split must be 'train' or 'test', got {self.split!r}")
        self._check_datasets()
        for env_id in self.envs:
            size = make_env(env_id, self).unwrapped.task.size(self.split)
            if size is not None and self.episodes > size:
                raise ConfigError(
                    f"{env_id} has {size} {self.split} instances; ask for at most that many episodes"
                )

    def dataset_for(self, env_id: str) -> str | None:
        """The dataset spec that applies to ``env_id`` (its family's), or ``None``."""
        family = family_of(env_id)
        specs = [spec for spec in self.datasets if _dataset_family(spec) == family]
        if len(specs) > 1:
            raise ConfigError(f"two datasets for {env_id}: {specs}")
        return specs[0] if specs else None

    def env_config(self, env_id: str) -> EnvConfig:
        """The :class:`EnvConfig` of ``env_id`` in this run: split, user, judge, data set, options."""
        return EnvConfig(
            env_id, split=self.split, dataset=self.dataset_for(env_id), user_model=self.user_model,
            base_url=self.base_url, judge_model=self.judge_model, **self.env_options,
        )  # fmt: skip

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


def make_env(env_id: str, config: BenchConfig) -> gym.Env:
    """The env of one benchmark episode: the run's split, user, judge, data set and options."""
    return config.env_config(env_id).make()


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
    """
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "episodes.jsonl"
    done = prepare(path, config)
    jobs = [(e, a, k) for e in config.envs for a in config.agents for k in range(config.episodes)]
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
    """Episodes in ``config.workers`` threads, yielded as they finish."""
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


def _stream(pool: Any, todo: list[Key], config: BenchConfig) -> Iterator[dict[str, Any]]:
    """Submit ``todo`` in order, at most ``2 * workers`` in flight; yield records as they finish."""
    queue = iter(todo)
    pending: set[Future] = {pool.submit(play, job, config) for job in _take(queue, config.workers * 2)}
    order = {f: i for i, f in enumerate(pending)}
    while pending:
        finished, pending = wait(pending, return_when=FIRST_COMPLETED)
        for future in sorted(finished, key=order.get):
            yield future.result()
        for job in _take(queue, len(finished)):
            future = pool.submit(play, job, config)
            order[future] = len(order)
            pending.add(future)


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
        yield ray.get(finished[0])


def play(job: Key, config: BenchConfig) -> EpisodeRecord:
    """Play one episode and return its record (never raises: a crash of the agent is a failed episode, any other crash is lost).

    Args:
        job: (env id, agent spec, episode index k); the episode plays seed ``config.seed + k``
            (on a fixed split, the instance of that index modulo the split's size).
        config: The run.

    Returns:
        The episode's record: identity, status (``"ok"``, ``"agent_error"`` or ``"lost"``), every
        reward part, the judge, tokens, turns, questions, user simulator calls and counts
        (:data:`USER_COUNTS`), model usage, cost and transcript.
    """
    env_id, spec, k = job
    record = _base(job, config)
    try:
        env = make_env(env_id, config)
        task = env.unwrapped.task
        record["metric"] = task.metric_name
        size = task.size(config.split)  # seed s plays instance s (mod the size), as env.reset does
        record["task_id"] = task.task_id(config.split, (config.seed + k) % size) if size else None
        agent = build_agent(spec, env)
        result = run_episode(env, CheckedAgent(agent, env), seed=config.seed + k, task_id=record["task_id"])
    except AgentError as exc:
        return {**record, **_agent_error(env, str(exc))}
    except Exception:
        return {**record, "status": "lost", "error": traceback.format_exc()}
    error = next((i["error"] for i in result.infos if "error" in i), None)
    # The user's counters are cumulative; a turn lost to a failed call reports none, so take the last.
    user = next((i["user"] for i in reversed(result.infos) if "user" in i), {})
    usage = {
        "agent": _usage(agent),
        "user": {
            "simulator": user.get("simulator", "scripted"),
            "calls": user.get("calls", len(result.infos)),
            "tokens": user.get("tokens", 0),
            "cost": user.get("cost", 0.0),
        },
        "judge": _usage(getattr(env.unwrapped, "engagement_judge", None)),
    }
    record.update(
        status="lost" if error else "ok",
        error=error,
        task_id=result.task_id,
        reward=result.reward,
        judge=result.reward.get("engagement_judge"),
        turns=result.turns,
        terminated=result.terminated,
        questions=result.questions_asked,
        assistant_tokens=_tokens(result.messages, "assistant"),
        user_tokens=_tokens(result.messages, "user"),
        user_calls=usage["user"]["calls"],
        **{f"user_{k}": user.get(k, 0) for k in USER_COUNTS},
        agent_usage=usage["agent"],
        usage=usage,
        cost=sum(u.get("cost", 0.0) or 0.0 for u in usage.values()),  # agent, user simulator, judge
        messages=result.messages,
    )
    return record


class AgentError(Exception):
    """The agent under test failed: it raised, or returned an invalid action (its fault, scored)."""


class CheckedAgent:
    """Wraps an agent so that its own failures end the episode as :class:`AgentError`.

    A model endpoint failing inside the agent (``ModelCallError``) is infrastructure and passes
    through (the episode is lost); anything else the agent raises, and an action the env's
    action space refuses (not a ``str``, too long), is the agent's failure.

    Args:
        agent: The agent under test.
        env: Its env (for the action space).
    """

    def __init__(self, agent: Callable[[list[dict[str, str]]], Any], env: gym.Env) -> None:
        self.agent, self.space = agent, env.unwrapped.action_space

    def reset(self) -> None:
        """Reset the wrapped agent, if it has a ``reset``."""
        if callable(getattr(self.agent, "reset", None)):
            self.agent.reset()

    def __call__(self, messages: list[dict[str, str]]) -> str:
        """The agent's action, checked."""
        try:
            action = self.agent(messages)
        except ModelCallError:
            raise
        except Exception as exc:
            raise AgentError(f"the agent raised {type(exc).__name__}: {exc}") from exc
        if not isinstance(action, str):
            raise AgentError(f"the agent returned a {type(action).__name__}, not a str")
        if not self.space.contains(action):
            raise AgentError(
                f"the agent's message is {len(action)} characters long; the limit is {self.space.max_chars}"
            )
        return action


def _agent_error(env: gym.Env, error: str) -> EpisodeRecord:
    """A failed episode, scored: R_ext 0 and R* 0, the transcript up to the failure."""
    messages = env.unwrapped.messages
    zero = {
        "total": 0.0,
        "task_metric": 0.0,
        "token_penalty": 0.0,
        "engagement": 0.0,
        "engagement_judge": None,
    }
    return {
        "status": "agent_error", "error": error, "reward": zero, "judge": None,
        "turns": sum(m["role"] == "assistant" for m in messages), "terminated": False,
        "questions": sum(len(questions(m["content"])) for m in messages if m["role"] == "assistant"),
        "assistant_tokens": _tokens(messages, "assistant"), "user_tokens": _tokens(messages, "user"),
        "cost": 0.0, "messages": messages,
    }  # fmt: skip


def _base(job: Key, config: BenchConfig) -> EpisodeRecord:
    env_id, spec, k = job
    return {"type": "episode", "env_id": env_id, "agent": spec, "episode": k, "seed": config.seed + k}


def _lost(job: Key, config: BenchConfig, error: str) -> EpisodeRecord:
    return {**_base(job, config), "status": "lost", "error": error}


def _tokens(messages: list[dict[str, str]], role: str) -> int:
    return sum(count_tokens(m["content"]) for m in messages if m["role"] == role)


def _usage(owner: Any) -> dict[str, Any]:
    """Calls, tokens and cost of a model-backed agent or judge (empty for scripted ones)."""
    usage = getattr(getattr(owner, "model", None), "usage", None)
    return usage.as_dict() if usage is not None else {}


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


__all__ = ["EXECUTORS", "USER_COUNTS", "BenchConfig", "play", "read_log", "run_bench"]
