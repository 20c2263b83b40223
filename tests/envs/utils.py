"""The specs Gymnasium's own env suite (tests/envs/test_envs.py, vendored unchanged) runs on: ours.

Gymnasium's ``tests/envs/utils.py`` picks the registered ids whose entry point lies in
``gymnasium.envs``; this one picks the ids that ``import collab_env`` registers, built as that
file builds them (``spec.make(disable_env_checker=True).unwrapped``).
"""

from __future__ import annotations

import gymnasium as gym
from gymnasium.envs.registration import EnvSpec

import collab_env

all_testing_initialised_envs: list[gym.Env] = [
    gym.spec(env_id).make(disable_env_checker=True).unwrapped for env_id in collab_env.ENV_IDS
]
all_testing_env_specs: list[EnvSpec] = [env.spec for env in all_testing_initialised_envs]
