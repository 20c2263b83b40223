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


#: Reward weights per family, from the reference implementation as it stands (microsoft/CollabLLM
#: at 09e5b25, read 2026-12-02). Its R* is a weighted sum of metrics (collabllm/reward.py:143-147),
#: ``token_amount`` being the assistant's tokens in thousands, cl100k (examples/metrics/
#: efficiency.py:35-43), so its weight is our λ; its interactivity judge scores in [0, 1]
#: (examples/metrics/interactivity.py:23-28), our R_eng's scale.
#:
#: - doc (medium): bleu 1, token_amount −0.1, no interactivity (scripts/engine/build_dataset.py:25-26).
#: - code (bigcodebench): pass_rate 1, token_amount −0.5, no interactivity (build_dataset.py:39-40).
#: - math (math-hard): accuracy 1, interactivity 1, token_amount −0.5 in the RL scripts
#:   (scripts/train/ppo.py:10-11, scripts/train/online_dpo.py:11-12); building DPO data weighs
#:   interactivity 0.5 (build_dataset.py:11-12). An env's reward is what an RL trainer optimises,
#:   so we take the RL scripts' 1.
#: - qa (Abg-CoQA): evaluation only there (examples/single_turn_ds/abg_coqa.py), no weights. Ours:
#:   a one-word answer costs few tokens, so λ 0.1 (doc's), and w_eng 1 as math's, since asking
#:   which reading is meant is the task.
#:
#: Departures: the token penalty is capped at 1 (the paper's; the reference does not cap).
#: History: v1 of the reference (before its "upgraded to code v2" commit, da42a98) set COST_WEIGHT
#: per token (5e-4 math-hard and bigcodebench, 1e-4 medium: scripts/config.sh:26,38,50) and
#: LLM_RW_WEIGHT 1 for bigcodebench, 1 for math-hard and 0 for medium, the last two in commented-out
#: lines (scripts/generate_conv_dpo.sh:10,19,28). v1's judge scored 1 to 3, rescaled by x/3
#: (collabllm/metrics/llm_judge.py:8; prompts/llm_judge/code-generation.txt:16-20), so its R_eng
#: ran over {1/3, 2/3, 1}: a span of 2/3 with a floor of 1/3, and v1's "weight 1" is about 2/3 of
#: ours, plus a constant. The earlier defaults here (code w_eng 1) came from v1.
REWARD_WEIGHTS: dict[str, dict[str, float]] = {
    "doc": {"w_ext": 1.0, "w_eng": 0.0, "token_penalty": 0.1},
    "code": {"w_ext": 1.0, "w_eng": 0.0, "token_penalty": 0.5},
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
