"""The registered environment ids and the task families they preset."""

from __future__ import annotations

import importlib
from typing import Any

import gymnasium

from collab_env.errors import ConfigError

#: Family name -> the Task class, as an import string (the core never imports a task).
FAMILIES: dict[str, str] = {
    "doc": "collab_env.tasks.doc:DocTask",
    "code": "collab_env.tasks.code:CodeTask",
    "math": "collab_env.tasks.math:MathTask",
    "qa": "collab_env.tasks.qa:QATask",
}

#: Loader of public data sets (``dataset="NAME:PATH"``), as an import string: the core never
#: imports the tasks package, not even lazily.
DATASET_LOADER = "collab_env.tasks.datasets:load_dataset"

#: What ``gym.make`` calls for every id: the one factory of envs.
ENTRY_POINT = "collab_env.builders:make_env"

#: Registered id -> family name.
ENV_IDS: dict[str, str] = {
    "CollabDoc-v0": "doc",
    "CollabCode-v0": "code",
    "CollabMath-v0": "math",
    "CollabQA-v0": "qa",
}


#: Reward weights per family, after the reference implementation's published settings
#: (microsoft/CollabLLM, scripts/config.sh and scripts/generate_conv_dpo.sh): the token cost is
#: ``COST_WEIGHT`` per token, i.e. λ = 1000 · COST_WEIGHT per thousand assistant tokens: 5e-4
#: for math-hard and bigcodebench (λ 0.5), 1e-4 for medium, the document task (λ 0.1); the
#: interactivity weight ``LLM_RW_WEIGHT`` is 1 for math and code and 0 for medium. Abg-CoQA is
#: evaluation only there, with no published weights: QA keeps λ 0.1 and w_eng 1. The reference
#: counts the tokens of the whole simulated future (user turns included); we count the
#: assistant's tokens of the whole conversation (see :mod:`collab_env.rewards`).
REWARD_WEIGHTS: dict[str, dict[str, float]] = {
    "doc": {"w_ext": 1.0, "w_eng": 0.0, "token_penalty": 0.1},
    "code": {"w_ext": 1.0, "w_eng": 1.0, "token_penalty": 0.5},
    "math": {"w_ext": 1.0, "w_eng": 1.0, "token_penalty": 0.5},
    "qa": {"w_ext": 1.0, "w_eng": 1.0, "token_penalty": 0.1},
}


def register_envs() -> None:
    """Register every id with Gymnasium (idempotent)."""
    for env_id, family in ENV_IDS.items():
        if env_id not in gymnasium.registry:
            gymnasium.register(id=env_id, entry_point=ENTRY_POINT, kwargs={"task": family})


def check_env_id(env_id: str) -> str:
    """Return ``env_id`` if it is registered: one of ours, or a user's own made by the factory.

    A user's id (registered as docs/custom_tasks.md shows) may carry the module that registers
    it, Gymnasium's ``"module:Id"`` form: the module is imported first, so that every command
    (and every replay, in another process too) finds the id.

    Raises:
        ConfigError: naming the id and the registered ones, or what is wrong with its registration.
    """
    if env_id in ENV_IDS:
        return env_id
    _spec(env_id)
    return env_id


def env_task(env_id: str) -> Any:
    """What a registered id presets as its task: a family name, ``"module:Class"`` or a Task."""
    if env_id in ENV_IDS:
        return ENV_IDS[env_id]
    return _spec(env_id).kwargs.get("task")


def family_of(env_id: str) -> str:
    """The name of a registered id's task family (``"doc"``; a user's Task: its ``name``)."""
    task = env_task(env_id)
    return task if isinstance(task, str) else getattr(task, "name", type(task).__name__)


def _spec(env_id: str) -> gymnasium.envs.registration.EnvSpec:
    """The Gymnasium spec of an id (``"module:Id"`` imports the module), if the factory makes it."""
    module, sep, name = env_id.rpartition(":")
    if sep:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise ConfigError(
                f"env id {env_id!r}: cannot import {module!r}, which should register {name!r}: {exc}"
            ) from exc
    spec = gymnasium.registry.get(name)
    if spec is None:
        raise ConfigError(
            f"unknown env id {env_id!r}; registered: {', '.join(ENV_IDS)} (and ids registered as docs/custom_tasks.md shows)"
        )
    entry = (
        spec.entry_point
        if isinstance(spec.entry_point, str)
        else getattr(spec.entry_point, "__module__", "") + ":" + getattr(spec.entry_point, "__name__", "")
    )
    if entry != ENTRY_POINT or "task" not in spec.kwargs:
        raise ConfigError(
            f"env id {env_id!r} is registered with entry_point={entry!r} and kwargs {sorted(spec.kwargs)}; "
            f"register it with entry_point={ENTRY_POINT!r} and kwargs={{'task': ...}} (docs/custom_tasks.md)"
        )
    return spec
