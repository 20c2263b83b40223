"""Wrappers that add one behaviour each to a collaboration environment."""

from collab_env.wrappers.mr import (
    MRResult,
    MultiturnAwareReward,
    multiturn_aware_reward,
    multiturn_aware_reward_async,
)

__all__ = ["MRResult", "MultiturnAwareReward", "multiturn_aware_reward", "multiturn_aware_reward_async"]
