"""What a benchmark run is: :class:`BenchConfig`, and :func:`upgrade_record` for the configs that
older logs recorded (a resume of such a log runs as it was run).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import collab_env
from collab_env.agents.specs import check_spec
from collab_env.config import EnvConfig
from collab_env.env import REVEAL
from collab_env.errors import ConfigError
from collab_env.registration import check_env_id, family_of

#: How a run's episodes are spread (:mod:`collab_env.harness.executors`).
EXECUTORS = ("threads", "processes", "ray")


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
