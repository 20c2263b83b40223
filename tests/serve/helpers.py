"""What the contract tests compare against: the same episodes played in-process."""

from __future__ import annotations

from typing import Any

import gymnasium as gym

import collab_env  # noqa: F401  (registers the ids)
from collab_env.agents import make_agent


def in_process(env_id: str, seeds: list[int], wrap: Any = None, **kwargs: Any) -> list[dict[str, Any]]:
    """Each seed's episode with the clarify agent in a local env: messages, rewards, ends."""
    episodes = []
    for seed in seeds:
        env = gym.make(env_id, **kwargs)
        env = wrap(env) if wrap else env
        agent = make_agent("clarify", env)
        obs, _ = env.reset(seed=seed)
        rewards, done = [], False
        while not done:
            obs, reward, terminated, truncated, info = env.step(agent(obs))
            rewards.append(reward)
            done = terminated or truncated
        episodes.append({"messages": obs, "rewards": rewards, "terminated": terminated, "truncated": truncated,
                         "reward_parts": info["reward"]})  # fmt: skip
    return episodes


def response(text: str) -> dict[str, Any]:
    """A Responses-API response whose one output message is ``text`` (what NeMo Gym's agent sends)."""
    return {"id": "r", "object": "response", "created_at": 0.0, "model": "m", "output": [
        {"id": "m0", "type": "message", "role": "assistant", "status": "completed",
         "content": [{"type": "output_text", "text": text, "annotations": []}]}]}  # fmt: skip
