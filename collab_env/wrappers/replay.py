"""Rebuilding an episode at a given conversation: what MR by id and the GRPO reward score from."""

from __future__ import annotations

from collections.abc import Sequence

import gymnasium as gym

from collab_env.config import EnvConfig
from collab_env.env import CollabEnv
from collab_env.errors import ConfigError
from collab_env.types import ChatMessage
from collab_env.users import LLMUser


async def at_conversation(
    env_id_or_env: str | EnvConfig | gym.Env,
    conversation: Sequence[ChatMessage],
    task_id: str | None,
    env_seed: int | None,
) -> CollabEnv:
    """The base env of ``env_id_or_env`` at ``conversation`` (see :func:`multiturn_aware_reward`).

    An env is taken as it stands (its conversation must be ``conversation``); a config or an id
    is rebuilt at episode ``task_id`` (seed ``env_seed``) and the conversation's assistant turns
    replayed, or, with a model-backed user, adopted.

    Raises:
        ConfigError: for a conversation the env does not reproduce, or a missing ``task_id``.
    """
    if isinstance(env_id_or_env, gym.Env):
        base = env_id_or_env.unwrapped
        if base.messages != list(conversation):
            raise ConfigError(
                "the env's current conversation differs from `conversation`; pass the env at that state"
            )
        return base
    if task_id is None:
        raise ConfigError(
            "with an env id, pass task_id (and env_seed) to say which episode the conversation is"
        )
    config = env_id_or_env if isinstance(env_id_or_env, EnvConfig) else EnvConfig(env_id_or_env)
    base = config.make().unwrapped
    obs, _ = await base.reset_async(seed=env_seed, options={"task_id": task_id})
    if isinstance(base.user, LLMUser):
        # A model-backed user keeps no hidden state beyond the messages: adopt the conversation
        # instead of replaying it (which would cost a call per turn and give other replies).
        return _adopt(base, conversation)
    for message in conversation[1:]:
        if message["role"] == "assistant":
            obs, *_ = await base.step_async(message["content"])
    if obs != list(conversation):
        raise ConfigError(
            f"replaying the conversation on {config.env_id} ({task_id}, seed {env_seed}) gives different user "
            "replies; pass the env itself at that state"
        )
    return base


def _adopt(base: CollabEnv, conversation: Sequence[ChatMessage]) -> CollabEnv:
    state = base.state
    if not conversation or conversation[0]["content"] != state.messages[0]["content"]:
        raise ConfigError(f"the conversation does not open with {state.instance.task_id}'s opening request")
    state.messages = [dict(m) for m in conversation]  # type: ignore[misc]
    state.turn = sum(m["role"] == "assistant" for m in conversation)
    return base
