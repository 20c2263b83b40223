"""The one factory of environments: :func:`make_env`, the registered entry point.

Two doors build an env, each with one vocabulary. :class:`~collab_env.env.CollabEnv` takes
objects (a task, a user simulator, a judge, an extractor...). ``gym.make(id, **fields)`` takes a
description, the fields of :class:`~collab_env.config.EnvConfig`, and calls ``make_env``, which
builds the parts that description names and records it as ``env.unwrapped.config``; since the
fields are ``gym.make``'s keyword arguments, ``env.spec`` records them too, and
``gym.make(env.spec)`` rebuilds the same env.

>>> env = make_env("math", split="test", max_turns=3)
>>> env.config.env_id, env.config.max_turns, type(env).__name__
('CollabMath-v0', 3, 'CollabEnv')
"""

from __future__ import annotations

import functools
from typing import Any

from collab_env.config import EnvConfig
from collab_env.env import CollabEnv
from collab_env.errors import ConfigError
from collab_env.registration import (
    DATASET_LOADER,
    ENTRY_POINT,
    ENV_IDS,
    FAMILIES,
    REWARD_WEIGHTS,
    env_task,
    family_of,
)
from collab_env.rewards import RewardConfig
from collab_env.task import Task, resolve


def make_env(
    task: Task | str,
    *,
    config: EnvConfig | None = None,
    max_message_chars: int = 20_000,
    render_mode: str | None = None,
    **fields: Any,
) -> CollabEnv:
    """The env that ``fields`` describe (what ``gym.make(id, **fields)`` calls).

    Args:
        task: What the id presets: a family name (``"doc"``), ``"module:Class"`` or a Task.
        config: An :class:`~collab_env.config.EnvConfig`, instead of its fields.
        max_message_chars: Longest accepted message.
        render_mode: ``"ansi"`` or ``"human"``.
        **fields: The fields of :class:`~collab_env.config.EnvConfig` but ``env_id`` (the id's),
            or yesterday's aliases (``user_model``, ``judge_model``, ``base_url``, ``model_options``).

    Raises:
        ConfigError: for a bad field, naming it; for an object (a user, a judge: ``CollabEnv(...)``).
    """
    config = described(task, config, fields)
    built = make_task(task)
    if config.dataset is not None:
        built = resolve(DATASET_LOADER)(config.dataset, family=built.name)
    weights = {
        k: getattr(config, k) for k in ("w_ext", "w_eng", "token_penalty") if getattr(config, k) is not None
    }
    env = CollabEnv(
        built, user=config.user.build(), judge=config.judge.build(), split=config.split,
        reward=RewardConfig(**{**REWARD_WEIGHTS.get(built.name, {}), **weights}), reward_mode=config.reward_mode,
        max_turns=config.max_turns, max_message_chars=max_message_chars, render_mode=render_mode,
    )  # fmt: skip
    env.config = config
    return env


def with_parts(env_id: str, task: Task | None = None, dataset: str | None = None, **parts: Any) -> CollabEnv:
    """The objects door with an id: ``CollabEnv`` on the id's task (or ``task``), with ``parts``.

    For parts that are objects, not descriptions (a user simulator or judge built in Python, an
    extractor, a task with arguments); the env then describes nothing (``config`` is ``None``).

    >>> from collab_env.users import ScriptedUser
    >>> env = with_parts("CollabMath-v0", user=ScriptedUser(patience=(4,)), split="test")
    >>> env.user.patience, env.config
    ((4,), None)

    Args:
        env_id: A registered id.
        task: The task object (default: the id's).
        dataset: A public data set instead of the task's instances (``NAME:PATH``).
        **parts: :class:`~collab_env.env.CollabEnv`'s keyword arguments (``user``, ``judge``,
            ``extractor``, ``reward``, ``split``, ``max_turns``...).
    """
    task = task or make_task(env_task(env_id))
    if dataset is not None:
        task = resolve(DATASET_LOADER)(dataset, family=task.name)
    return CollabEnv(task, **parts)


def described(task: Task | str, config: EnvConfig | None, fields: dict[str, Any]) -> EnvConfig:
    """The config of an env made for ``task``: ``config``, or the one ``fields`` describe.

    Raises:
        ConfigError: for both, for a config of another task, or for a bad field.
    """
    if config is None:
        env_id = fields.pop("env_id", None)  # a user's "module:Id", which a replay must import
        if env_id is not None and env_task(env_id) is not task and env_task(env_id) != task:
            raise ConfigError(f"env_id {env_id!r} presets another task than {task!r}")
        return EnvConfig.from_kwargs(env_id=env_id or env_id_of(task), **fields)
    if fields:
        raise ConfigError(f"pass config=... alone, or its fields without it, not both: {sorted(fields)}")
    if not isinstance(config, EnvConfig):
        raise ConfigError(f"config must be an EnvConfig, got {type(config).__name__}")
    if env_task(config.env_id) != task:
        raise ConfigError(
            f"config is for {config.env_id} ({family_of(config.env_id)}), not for task {task!r}"
        )
    return config


def env_id_of(task: Task | str) -> str:
    """The registered id that presets ``task`` (ours, or a user's registered with the factory).

    Raises:
        ConfigError: for a task no id presets (an object goes to ``CollabEnv(...)``).
    """
    ids = [env_id for env_id, family in ENV_IDS.items() if family == task] or _user_ids(task)
    if not ids:
        raise ConfigError(
            f"no registered id presets task {task!r}: register one (docs/custom_tasks.md), or build "
            "the env from objects with CollabEnv(task, user=..., ...)"
        )
    return ids[0]


def _user_ids(task: Task | str) -> list[str]:
    """The ids of users' own families that preset ``task`` (registered with the factory)."""
    import gymnasium

    return [
        spec.id for spec in gymnasium.registry.values()
        if spec.entry_point == ENTRY_POINT and spec.id not in ENV_IDS and spec.kwargs.get("task") is task
    ]  # fmt: skip


@functools.cache
def _cached_task(spec: str, kwargs: tuple) -> Task:
    # One Task object per spec and process: tasks are stateless apart from their caches of
    # generated instances and metric results, which then serve every env (vector envs too).
    cls = resolve(FAMILIES.get(spec, spec))
    return cls(**dict(kwargs))


def make_task(task: Task | str, **kwargs: Any) -> Task:
    """A task from a :class:`Task`, a family name (``"doc"``) or ``"module:Class"`` (one per spec and process)."""
    if isinstance(task, Task):
        return task
    if not isinstance(task, str) or (task not in FAMILIES and ":" not in task):
        raise ConfigError(f"task must be a Task, one of {sorted(FAMILIES)} or 'module:Class', got {task!r}")
    try:
        return _cached_task(task, tuple(sorted(kwargs.items())))
    except TypeError as exc:
        raise ConfigError(f"cannot build task {task!r} with {kwargs}: {exc}") from exc
