"""The registered environment ids and the task families they preset."""

from __future__ import annotations

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
    """Return ``env_id`` if it is registered.

    Raises:
        ConfigError: naming the id and the registered ones.
    """
    if env_id not in ENV_IDS:
        raise ConfigError(f"unknown env id {env_id!r}; registered: {', '.join(ENV_IDS)}")
    return env_id
