"""A lost episode is an error the client sees (status, reason, how to retry), never a reward of 0."""

from __future__ import annotations

import asyncio

import gymnasium as gym
import pytest

import collab_env  # noqa: F401
from collab_env.serve.session import EnvRunner, ServeError, Session


class _LosesTurnOne(gym.Wrapper):
    """The base env's way of losing an episode: truncated, ``info["error"]``, 0.0 beside it."""

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        if info["turn"] == 1:
            return (
                obs,
                0.0,
                False,
                True,
                {**info, "error": "ModelCallError: the user's endpoint failed 6 times"},
            )
        return obs, reward, terminated, truncated, info


def test_a_lost_step_is_an_error_with_status_reason_and_retry_and_ends_the_session():
    session = Session(_LosesTurnOne(gym.make("CollabDoc-v0", max_turns=5)), EnvRunner())

    async def main():
        await session.reset(seed=7)
        with pytest.raises(ServeError) as lost:
            await session.step("Who reads it?")
        with pytest.raises(ServeError) as after:
            await session.step("again")
        return lost.value, after.value

    lost, after = asyncio.run(main())
    assert lost.code == "lost" and lost.status == 503
    assert "ModelCallError" in lost.reason and "not scored" in lost.reason
    assert "seed 7" in lost.retry
    assert session.turn_rewards == []  # the lost turn is never paid
    assert after.code == "episode_ended"
    assert ServeError.parse(f"Server error: {lost} (code: EXECUTION_ERROR)").as_dict() == lost.as_dict()
