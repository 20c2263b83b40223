"""collab-env: Gymnasium environments where an assistant collaborates with a simulated user.

Importing the package registers ``CollabDoc-v0``, ``CollabCode-v0``, ``CollabMath-v0`` and
``CollabQA-v0``; nothing else happens at import.
"""

from collab_env.env import CollabEnv
from collab_env.registration import ENV_IDS, FAMILIES, register_envs
from collab_env.rewards import RewardBreakdown, RewardConfig
from collab_env.types import TERMINATION_SIGNAL, Facet, FacetKind, TaskInstance, ends_chat

__version__ = "0.1.0"
__all__ = [
    "ENV_IDS",
    "FAMILIES",
    "TERMINATION_SIGNAL",
    "CollabEnv",
    "Facet",
    "FacetKind",
    "RewardBreakdown",
    "RewardConfig",
    "TaskInstance",
    "ends_chat",
]

register_envs()
