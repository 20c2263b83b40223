"""Checks for your own tasks and agents, the same ones the library's tests run.

>>> import gymnasium as gym, collab_env
>>> from collab_env.agents import make_agent
>>> env = gym.make("CollabQA-v0", split="test")
>>> check_episode(env, make_agent("clarify", env), seeds=(0, 1))
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import gymnasium as gym

from collab_env.rollout import run_episode
from collab_env.task import Task
from collab_env.types import Agent


def check_episode(env: gym.Env, agent: Agent, seeds: Iterable[int] = (0, 1, 2)) -> None:
    """Play seeded episodes twice and check the contract a user relies on.

    Checks that observations lie in the observation space, rewards are finite, every step's
    ``info["reward"]`` carries R*'s parts, and that the same seed gives the same episode.

    Raises:
        AssertionError: naming the first broken property.
    """
    base = env.unwrapped
    for seed in seeds:
        first = run_episode(env, agent, seed=seed)
        assert base.observation_space.contains(first.messages), f"seed {seed}: observation outside its space"
        assert all(math.isfinite(r) for r in first.rewards), f"seed {seed}: non-finite reward {first.rewards}"
        for info in first.infos:
            missing = {"total", "task_metric", "token_penalty", "engagement"} - set(info.get("reward", {}))
            assert not missing, f"seed {seed}: info['reward'] lacks {sorted(missing)}"
        again = run_episode(env, agent, seed=seed)
        assert again.messages == first.messages, f"seed {seed}: the episode is not deterministic"


def check_task(task: Task, n: int = 20) -> None:
    """Check a task family: deterministic instances, ids, hidden facets, scores in [0, 1].

    Raises:
        AssertionError: naming the first broken property.
    """
    for index in range(n):
        instance = task.instance("test", index)
        assert task.get(instance.task_id) == instance, f"{instance.task_id}: get() disagrees with instance()"
        assert instance.hidden_facets, f"{instance.task_id}: no hidden facet"
        draft = task.drafter.draft([{"role": "user", "content": instance.opening}])
        solution = task.extract_solution(draft)
        assert solution is not None, f"{instance.task_id}: the drafter's draft has no extractable solution"
        assert 0.0 <= task.score(instance, solution) <= 1.0, f"{instance.task_id}: score outside [0, 1]"
