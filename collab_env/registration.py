"""The registered environment ids and the task families they preset."""

from __future__ import annotations

import gymnasium

#: Family name -> the Task class, as an import string (the core never imports a task).
FAMILIES: dict[str, str] = {
    "doc": "collab_env.tasks.doc:DocTask",
    "code": "collab_env.tasks.code:CodeTask",
    "math": "collab_env.tasks.math:MathTask",
    "qa": "collab_env.tasks.qa:QATask",
}

#: Registered id -> family name.
ENV_IDS: dict[str, str] = {
    "CollabDoc-v0": "doc",
    "CollabCode-v0": "code",
    "CollabMath-v0": "math",
    "CollabQA-v0": "qa",
}


def register_envs() -> None:
    """Register every id with Gymnasium (idempotent)."""
    for env_id, family in ENV_IDS.items():
        if env_id not in gymnasium.registry:
            gymnasium.register(id=env_id, entry_point="collab_env.env:CollabEnv", kwargs={"task": family})
