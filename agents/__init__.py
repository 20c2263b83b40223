"""Agents: anything callable as ``agent(messages) -> str``, and the built-in baselines."""

from __future__ import annotations

import gymnasium as gym

from collab_env.errors import ConfigError
from collab_env.types import Agent

from .llm import LLMAgent
from .scripted import ClarifyAgent, PassiveAgent

#: Built-in agent name -> class taking the family's drafter.
BUILTIN_AGENTS: dict[str, type] = {"passive": PassiveAgent, "clarify": ClarifyAgent}


def make_agent(name: str, env: gym.Env) -> Agent:
    """Build the built-in agent ``name`` for ``env``'s task family.

    Args:
        name: One of :data:`BUILTIN_AGENTS` (``"passive"``, ``"clarify"``).
        env: The environment (wrapped or not) the agent will talk in.

    Returns:
        The agent; its ``family`` names the task family it was built for (see
        :func:`collab_env.task.check_policy_family`).

    Raises:
        ConfigError: if the name is unknown.
    """
    if name not in BUILTIN_AGENTS:
        raise ConfigError(f"unknown agent {name!r}; built-in agents: {sorted(BUILTIN_AGENTS)}")
    agent = BUILTIN_AGENTS[name](env.unwrapped.task.drafter)
    agent.family = env.unwrapped.task.name
    return agent


__all__ = ["BUILTIN_AGENTS", "Agent", "ClarifyAgent", "LLMAgent", "PassiveAgent", "make_agent"]
