"""Rewards: R* and its parts, and the judges that score engagement."""

from collab_env.rewards.core import (
    IGNORED_COST,
    MAX_CREDITED_QUESTIONS,
    EngagementJudge,
    HeuristicEngagement,
    RewardBreakdown,
    RewardConfig,
    assistant_tokens,
    conversation_reward,
)

__all__ = [
    "IGNORED_COST",
    "MAX_CREDITED_QUESTIONS",
    "EngagementJudge",
    "HeuristicEngagement",
    "RewardBreakdown",
    "RewardConfig",
    "assistant_tokens",
    "conversation_reward",
]
