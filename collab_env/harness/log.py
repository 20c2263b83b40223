"""The episode log of a benchmark run (``episodes.jsonl``): header, append, read, resume.

Line 1 is a header: schema version, collab-env and Python versions, each env id with its task
family, task-set version and metric, the agents, episodes, seeds, user simulator and its version
(``user_version``: protocol, prompt hash and model, or the scripted user's version), judge and the
whole configuration. Every further line is one finished episode, appended and flushed as it
finishes: a crash or a kill loses at most the line being written, and :func:`read_log` drops
such a torn last line. A record that appears twice (an episode lost to an infrastructure failure,
then run again with ``retry_lost``) counts once, as its latest record.
"""

from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypedDict

import collab_env
from collab_env.errors import ConfigError
from collab_env.fileio import atomic_write_text
from collab_env.jsonl import cut_torn_line, read_jsonl

if TYPE_CHECKING:
    from collab_env.harness.config import BenchConfig


SCHEMA_VERSION = 2
#: The env fields that a header's ``run`` names on their own (the rest that differ from the
#: defaults are its ``env_options``: a user or judge other than the default, whole).
_ENV_IN_RUN = ("split",)
Key = tuple[str, str, int, int, str]  # (env id, agent spec, episode index, repeat, reveal)


def _named(model: str | None) -> str | None:
    """A model as a run's identity names it: an endpoint's model by its name, not its URL (a
    resume may find it at another address).

    >>> _named("openai:qwen@http://127.0.0.1:8000/v1"), _named("hf:/models/q"), _named(None)
    ('qwen', 'hf:/models/q', None)
    """
    from collab_env.llm.backends import parse_model

    parsed = parse_model(model) if model else None
    return parsed[1]["model"] if parsed and parsed[0] == "openai" else model


class EpisodeRecord(TypedDict, total=False):
    """One line of the episode log: what every report, summary and resume reads.

    A lost episode carries only the identity, ``status`` and ``error``; an agent error the
    transcript up to its failure, scored 0. The user counters ``user_parse_failures``,
    ``user_cutoffs``, ``user_drifts``, ``user_retries`` and ``user_fallbacks`` sit beside
    ``user_calls``.
    """

    type: Literal["episode"]
    env_id: str
    agent: str  # the agent spec
    episode: int  # index k within (env, agent)
    repeat: int  # the run of this (env, agent, episode), 0 without --repeats
    reveal: str  # the user's reveal control, "default" unless asked
    seed: int  # seed + k
    status: Literal["ok", "lost", "agent_error"]
    error: str | None
    metric: str  # the task's metric name
    task_id: str | None
    reward: dict[str, Any]  # R* and its parts, as RewardBreakdown.as_dict()
    success: bool  # the task metric reached the task's accept threshold
    judge: str | None  # the engagement judge's name
    turns: int
    terminated: bool
    questions: int
    assistant_tokens: int
    user_tokens: int
    user_calls: int
    user_accepted_drifts: int  # drifts the LLM user's guards let through after their retries
    user_profile: Any  # the LLM user's persona/preference profile, when it has one
    agent_usage: dict[str, Any]
    usage: dict[str, dict[str, Any]]  # agent, user, judge
    cost: float
    messages: list[dict[str, str]]


def key(record: EpisodeRecord) -> Key:
    """The identity of an episode record: (env id, agent spec, episode index, repeat, reveal).

    Records written before repeats and the reveal control read as repeat 0, ``"default"``.
    """
    return (
        record["env_id"], record["agent"], record["episode"], record.get("repeat", 0),
        record.get("reveal", "default"),
    )  # fmt: skip


def header(config: BenchConfig) -> dict[str, Any]:
    """The header line of a run of ``config``.

    Its ``run`` part holds what makes numbers comparable (versions, envs, agents, episodes,
    seeds, split, user simulator, judge); resuming requires it to match.
    """
    envs = config.base_envs()
    tasks = {e: env.task for e, env in envs.items()}
    run = {
        "envs": {
            e: {"family": t.name, "task_version": t.version, "metric": t.metric_name}
            for e, t in tasks.items()
        },
        "agents": config.agents,
        "episodes": config.episodes,
        "seed": config.seed,
        "seeds": [config.seed, config.seed + config.episodes - 1],
        "split": config.env.split,
        "user": _named(config.env.user.model) or config.env.user.kind,
        "user_version": user_version(env.user for env in envs.values()),
        "judge": _named(config.env.judge.model) or config.env.judge.kind,  # a user model judges by default
        "collab_env": collab_env.__version__,
    }
    env_options = config.env.changed(leave=("env_id", "dataset", *_ENV_IN_RUN))
    for part in ("user", "judge"):  # where a model is served does not change the numbers
        if part in env_options:
            env_options[part] = {**env_options[part], "model": _named(env_options[part]["model"])}
    if env_options:  # max turns, reward weights, the parts' options: they change the numbers
        run["env_options"] = env_options
    if config.agent_options:  # the agent's model options change the numbers too
        run["agent_options"] = list(config.agent_options)
    if config.repeats > 1:  # recorded only when used, so logs of runs without them still resume
        run["repeats"] = config.repeats
    if config.reveal != ["default"]:
        run["reveal"] = config.reveal
    meta = {"python": platform.python_version(), "config": config.as_dict()}
    return {"type": "header", "schema": SCHEMA_VERSION, "run": run, **meta}


def user_version(users: Any) -> str:
    """The version of a run's user simulator (:attr:`~collab_env.users.UserSimulator.version`).

    Every env of a run has the same kind of user; should two differ, both versions are named.
    """
    return " + ".join(dict.fromkeys(u.version for u in users))


def run_user_version(header: dict[str, Any]) -> str:
    """The user simulator version a log's header records (``"unrecorded"`` for older logs)."""
    return str(header.get("run", {}).get("user_version") or "unrecorded")


def check_same_users(headers: dict[str, dict[str, Any]], allow: bool = False) -> None:
    """Refuse to compare runs whose user simulators differ (unless ``allow``).

    Args:
        headers: Run name -> its log header.
        allow: Compare anyway (``--allow-different-users``).

    Raises:
        ConfigError: one line naming each run's user version and the flag that overrides.
    """
    versions = {name: run_user_version(h) for name, h in headers.items()}
    if len(set(versions.values())) > 1 and not allow:
        named = "; ".join(f"{name}: {v}" for name, v in versions.items())
        raise ConfigError(
            f"refusing to compare runs played by different user simulators ({named}); their numbers "
            "measure agents against different users. Pass --allow-different-users to compare anyway"
        )


def read_log(path: str | Path) -> tuple[dict[str, Any], list[EpisodeRecord]]:
    """The header and the episode records of a log, one record per episode.

    Args:
        path: ``episodes.jsonl``, or the run directory that holds it.

    Returns:
        The header and the records, in the order the episodes first finished; an episode
        recorded twice is represented by its latest record.

    Raises:
        ConfigError: if the file is missing, not a benchmark log, or corrupt before its last line.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "episodes.jsonl"
    if not path.is_file():
        raise ConfigError(f"no episode log at {path}")
    lines = read_jsonl(path)
    if not lines or lines[0].get("type") != "header":
        raise ConfigError(f"{path} is not a collab-env benchmark log (no header line)")
    records: dict[Key, EpisodeRecord] = {}
    for number, record in enumerate(lines[1:], start=2):
        if record.get("type") == "episode":
            missing = [k for k in ("env_id", "agent", "episode") if k not in record]
            if missing:
                raise ConfigError(
                    f"{path}, record {number}: an episode record without {', '.join(missing)}: corrupt"
                )
            records[key(record)] = record
    return lines[0], list(records.values())


def prepare(path: Path, config: BenchConfig) -> set[Key]:
    """Start a log, or check one to resume; return the episodes it already holds.

    Lost episodes count as done unless ``config.retry_lost``. A torn last line (a kill during
    a write) is cut off before appending.

    Raises:
        ConfigError: if a log exists and ``config.resume`` is off, or it was written by
            another configuration or version.
    """
    new = header(config)
    if not path.exists():
        atomic_write_text(path, json.dumps(new) + "\n")
        return set()
    if not config.resume:
        raise ConfigError(
            f"{path} exists; pass --resume (resume=True in a BenchConfig) to continue that run, "
            "or choose another --out"
        )
    cut_torn_line(path)
    old, records = read_log(path)
    if old.get("schema") != SCHEMA_VERSION or old["run"] != new["run"]:
        differ = sorted(k for k in new["run"] if old.get("run", {}).get(k) != new["run"][k])
        raise ConfigError(
            f"{path} was written by another configuration or version (differs in: "
            f"{', '.join(differ) or 'schema'}); resume with the same options, or choose another --out"
        )
    return {key(r) for r in records if r["status"] != "lost" or not config.retry_lost}
