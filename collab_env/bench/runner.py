"""Run episodes of many (env, agent) pairs concurrently, logging one JSON line per episode.

The log (``episodes.jsonl``) starts with a header line (schema, versions, configuration) and
gets one line per finished episode, appended and flushed as it finishes, so an interrupted run
loses nothing and ``resume=True`` runs only the episodes it lacks. An episode that crashes, or
that a failed model call ended (``info["error"]``), is recorded as ``lost`` with the reason.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym

import collab_env
from collab_env.bench.specs import build_agent, check_spec
from collab_env.errors import ConfigError
from collab_env.facets import questions
from collab_env.rollout import run_episode
from collab_env.tokens import count_tokens

SCHEMA_VERSION = 1
# Workers start from a clean server process: forking a parent that already runs threads (torch's
# thread pools, an HTTP server, the caller's own) can deadlock the child.
_CONTEXT = multiprocessing.get_context("forkserver")


@dataclass
class BenchConfig:
    """One benchmark run.

    Attributes:
        envs: Environment ids.
        agents: Agent specs (see :mod:`collab_env.bench.specs`).
        episodes: Episodes per (env, agent); episode k plays test instance k with seed ``seed + k``.
        seed: Seed of the first episode.
        split: Task split.
        out: Output directory (default: ``runs/bench-<date>-<time>``).
        workers: Episodes in flight at once (processes).
        resume: Keep the episodes already in ``out/episodes.jsonl`` and run only the rest.
        user_model: Model that plays the user (``None``: the scripted user).
        base_url: OpenAI-compatible endpoint of ``user_model`` and ``judge_model``.
        judge_model: Model that scores engagement (``None``: the heuristic).
        executor: ``"processes"`` (local) or ``"ray"`` (episodes as Ray tasks).
        ray_address: Ray cluster address (``None``: the running cluster or a local one).
    """

    envs: list[str] = field(default_factory=lambda: list(collab_env.ENV_IDS))
    agents: list[str] = field(default_factory=lambda: ["passive", "clarify"])
    episodes: int = 20
    seed: int = 0
    split: str = "test"
    out: str = field(default_factory=lambda: time.strftime("runs/bench-%Y%m%d-%H%M%S"))
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    resume: bool = False
    user_model: str | None = None
    base_url: str | None = None
    judge_model: str | None = None
    executor: str = "processes"
    ray_address: str | None = None

    def __post_init__(self) -> None:
        unknown = [e for e in self.envs if e not in collab_env.ENV_IDS]
        if unknown:
            raise ConfigError(f"unknown env id(s) {unknown}; registered: {list(collab_env.ENV_IDS)}")
        self.agents = [check_spec(a) for a in self.agents]
        if self.executor not in ("processes", "ray"):
            raise ConfigError(f"executor must be 'processes' or 'ray', got {self.executor!r}")
        if self.episodes < 1 or self.workers < 1:
            raise ConfigError(f"episodes and workers must be >= 1, got {self.episodes} and {self.workers}")


Job = tuple[str, str, int]  # (env id, agent spec, episode index)


def run_bench(config: BenchConfig, on_episode: Callable[[dict[str, Any]], None] | None = None) -> Path:
    """Run the benchmark; return the path of its episode log.

    Args:
        config: What to run.
        on_episode: Called with each finished episode's record (progress display).

    Raises:
        ConfigError: if ``out`` holds a log of another configuration, or one exists and
            ``resume`` is off.
    """
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    log = out / "episodes.jsonl"
    done = _prepare_log(log, config)
    jobs = [(e, a, k) for e in config.envs for a in config.agents for k in range(config.episodes)]
    todo = [job for job in jobs if job not in done]
    with log.open("a") as sink:
        for record in _run_ray(todo, config) if config.executor == "ray" else _run_local(todo, config):
            sink.write(json.dumps(record) + "\n")
            sink.flush()
            if on_episode:
                on_episode(record)
    return log


def _run_local(todo: list[Job], config: BenchConfig) -> Iterator[dict[str, Any]]:
    """Episodes in ``config.workers`` local processes, yielded as they finish."""
    with ProcessPoolExecutor(config.workers, _CONTEXT, _import_like_parent, (list(sys.path),)) as pool:
        pending: set[Future] = set()
        queue = iter(todo)
        for job in _take(queue, config.workers * 2):
            pending.add(pool.submit(play, job, config))
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                yield future.result()
            for job in _take(queue, len(finished)):
                pending.add(pool.submit(play, job, config))


def _run_ray(todo: list[Job], config: BenchConfig) -> Iterator[dict[str, Any]]:
    """Episodes as Ray tasks (a cluster, or a local Ray), yielded as they finish."""
    try:
        import ray
    except ImportError as exc:
        raise ConfigError("--executor ray needs Ray: pip install 'collab-env[ray]'") from exc
    if not ray.is_initialized():
        ray.init(address=config.ray_address)
    remote = ray.remote(play)
    pending = [remote.remote(job, config) for job in todo]
    while pending:
        finished, pending = ray.wait(pending, num_returns=1)
        yield ray.get(finished[0])


def play(job: Job, config: BenchConfig) -> dict[str, Any]:
    """Play one episode and return its record (never raises: a crash is recorded as lost)."""
    env_id, spec, k = job
    seed, split = config.seed, config.split
    record: dict[str, Any] = {
        "type": "episode",
        "env_id": env_id,
        "agent": spec,
        "episode": k,
        "seed": seed + k,
    }
    try:
        env = gym.make(
            env_id,
            split=split,
            user_model=config.user_model,
            base_url=config.base_url,
            judge_model=config.judge_model,
        )
        task = env.unwrapped.task
        record["task_id"] = task.task_id(split, k) if task.size(split) else None
        agent = build_agent(spec, env)
        result = run_episode(env, agent, seed=seed + k, task_id=record["task_id"])
    except Exception:
        return {**record, "status": "lost", "error": traceback.format_exc()}
    error = next((i["error"] for i in result.infos if "error" in i), None)
    user_infos = [i.get("user", {}) for i in result.infos]
    record.update(
        status="lost" if error else "ok",
        error=error,
        task_id=result.task_id,
        reward=result.reward,
        turns=result.turns,
        terminated=result.terminated,
        questions=sum(len(questions(m["content"])) for m in result.messages if m["role"] == "assistant"),
        assistant_tokens=sum(count_tokens(m["content"]) for m in result.messages if m["role"] == "assistant"),
        user_tokens=sum(count_tokens(m["content"]) for m in result.messages if m["role"] == "user"),
        user_calls=len(user_infos),
        agent_usage=_usage(agent),
        cost=(user_infos[-1].get("cost", 0.0) if user_infos else 0.0) + _usage(agent).get("cost", 0.0),
        messages=result.messages,
    )
    return record


def _usage(agent: Any) -> dict[str, Any]:
    """Calls, tokens and cost of a model-backed agent (empty for scripted agents)."""
    usage = getattr(getattr(agent, "model", None), "usage", None)
    return usage.as_dict() if usage is not None else {}


def read_log(path: str | Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The header and the episode records of a log.

    Raises:
        ConfigError: if the file is missing or not a benchmark log.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"no episode log at {path}")
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    if not lines or lines[0].get("type") != "header":
        raise ConfigError(f"{path} is not a collab-env benchmark log (no header line)")
    return lines[0], [r for r in lines[1:] if r.get("type") == "episode"]


def _prepare_log(log: Path, config: BenchConfig) -> set[Job]:
    header = _header(config)
    if not log.exists():
        log.write_text(json.dumps(header) + "\n")
        return set()
    if not config.resume:
        raise ConfigError(f"{log} exists; pass resume to continue that run, or choose another out directory")
    old, records = read_log(log)
    if old["run"] != header["run"]:
        raise ConfigError(
            f"{log} was written by another configuration or version; choose another out directory"
        )
    return {(r["env_id"], r["agent"], r["episode"]) for r in records}


def _header(config: BenchConfig) -> dict[str, Any]:
    tasks = {e: gym.make(e).unwrapped.task for e in config.envs}
    run = {
        "envs": {
            e: {"family": t.name, "task_version": t.version, "metric": t.metric_name}
            for e, t in tasks.items()
        },
        "agents": config.agents,
        "episodes": config.episodes,
        "seed": config.seed,
        "split": config.split,
        "user": config.user_model or "scripted",
        "judge": config.judge_model or "heuristic",
        "collab_env": collab_env.__version__,
    }
    meta = {"python": platform.python_version(), "config": asdict(config)}
    return {"type": "header", "schema": SCHEMA_VERSION, "run": run, **meta}


def _import_like_parent(path: list[str]) -> None:
    """Worker initializer: the parent's import path, so ``module:function`` agents import alike."""
    sys.path[:] = path


def _take(queue: Iterable[Job], n: int) -> list[Job]:
    out = []
    for job in queue:
        out.append(job)
        if len(out) == n:
            break
    return out
