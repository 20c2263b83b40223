"""Running an agent through an episode: the loop every command, test and benchmark shares."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym

from collab_env.facets import questions
from collab_env.types import ChatMessage


@dataclass
class EpisodeResult:
    """The outcome of one episode.

    Attributes:
        task_id: The task instance played.
        messages: The full transcript.
        rewards: Reward paid at each step.
        infos: ``info`` of each step.
        terminated: Whether the user ended the chat.
        truncated: Whether the turn limit (or a failed model call) ended it.
    """

    task_id: str
    messages: list[ChatMessage]
    rewards: list[float] = field(default_factory=list)
    infos: list[dict[str, Any]] = field(default_factory=list)
    terminated: bool = False
    truncated: bool = False

    @property
    def turns(self) -> int:
        """Assistant turns taken."""
        return len(self.rewards)

    @property
    def reward(self) -> dict[str, Any]:
        """The reward breakdown after the last turn (``{}`` if no turn was taken)."""
        return self.infos[-1].get("reward", {}) if self.infos else {}

    @property
    def questions_asked(self) -> int:
        """Question sentences the assistant wrote."""
        return sum(len(questions(m["content"])) for m in self.messages if m["role"] == "assistant")


def run_episode(
    env: gym.Env,
    agent: Callable[[Sequence[ChatMessage]], str],
    seed: int | None = None,
    task_id: str | None = None,
) -> EpisodeResult:
    """Play one episode of ``env`` with ``agent``.

    Args:
        env: A collaboration environment (wrapped or not).
        agent: Any ``agent(messages) -> str``; its ``reset()`` is called first when it has one.
        seed: Seed for ``env.reset``.
        task_id: Play this task instance instead of drawing one.

    Returns:
        The transcript, the rewards and every step's ``info``.
    """
    if callable(getattr(agent, "reset", None)):
        agent.reset()
    obs, info = env.reset(seed=seed, options={"task_id": task_id} if task_id else None)
    result = EpisodeResult(task_id=info["task_id"], messages=obs)
    done = False
    while not done:
        obs, reward, terminated, truncated, info = env.step(agent(obs))
        result.rewards.append(reward)
        result.infos.append(info)
        result.messages, result.terminated, result.truncated = obs, terminated, truncated
        done = terminated or truncated
    return result
