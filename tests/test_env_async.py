"""The env's public async API (``reset_async``/``step_async``) and the async rollout core.

What a served session or an async rollout relies on: the async API plays exactly the episode
the sync API plays, many episodes on one event loop keep their model calls in flight together,
and nothing starts a thread when everything is scripted.
"""

from __future__ import annotations

import asyncio
import threading

import gymnasium as gym
import pytest

from collab_env import aio
from collab_env.agents import make_agent
from collab_env.builders import with_parts
from collab_env.errors import ConfigError
from collab_env.llm import OpenAIChat
from collab_env.rollout import run_episode, run_episode_async
from collab_env.testing.fake_models import ActsUser
from collab_env.testing.openai_server import LoopbackServer, Together
from collab_env.users import LLMUser
from collab_env.wrappers import MultiturnAwareReward, multiturn_aware_reward

#: The user model, in the acts protocol (the LLM user's default).
_USER = ActsUser("it is for my team")


@pytest.mark.parametrize("env_id", ["CollabDoc-v0", "CollabMath-v0", "CollabQA-v0"])
def test_the_async_api_plays_the_same_episode_as_the_sync_api(env_id):
    env = gym.make(env_id, split="test")
    agent = make_agent("clarify", env)
    plain = run_episode(env, agent, seed=4)
    awaited = aio.run_sync(run_episode_async(gym.make(env_id, split="test"), agent, seed=4))
    assert awaited.messages == plain.messages and awaited.rewards == plain.rewards
    assert [i["reward"] for i in awaited.infos] == [i["reward"] for i in plain.infos]


def test_reset_async_and_step_async_work_through_the_wrappers_gym_make_adds():
    env = gym.make("CollabDoc-v0", split="test")

    async def play():
        obs, _ = await aio.reset_async(env, seed=0)
        return obs, await aio.step_async(env, "Who is it for?")

    obs, (after, *_, info) = asyncio.run(play())
    assert after[:1] == obs and after[1]["content"] == "Who is it for?" and info["turn"] == 1
    env.step("And the tone?")  # the sync API goes on from the async reset (OrderEnforcing knows it)


def test_a_wrapper_without_an_async_step_is_named():
    env = gym.wrappers.TimeLimit(gym.make("CollabDoc-v0"), max_episode_steps=3)
    with pytest.raises(ConfigError, match="TimeLimit has no step_async"):
        aio.async_layer(env)


def test_mr_step_async_pays_what_the_sync_step_pays():
    env = gym.make("CollabDoc-v0", split="test")
    agent = make_agent("clarify", env)
    sync_env = MultiturnAwareReward(env, agent, window=2, samples=3)
    async_env = MultiturnAwareReward(gym.make("CollabDoc-v0", split="test"), agent, window=2, samples=3)
    obs, _ = sync_env.reset(seed=1)
    paid = sync_env.step(agent(obs))

    async def play():
        obs, _ = await async_env.reset_async(seed=1)
        return await async_env.step_async(agent(obs))

    awaited = asyncio.run(play())
    assert awaited[1] == paid[1] and awaited[4]["mr"] == paid[4]["mr"]


def test_episodes_on_one_loop_keep_their_user_calls_in_flight_together():
    together = Together(6, _USER)
    with LoopbackServer(reply=together) as server:
        user = LLMUser(OpenAIChat("user", base_url=server.base_url), opening="template")
        envs = [with_parts("CollabDoc-v0", split="test", user=user) for _ in range(6)]

        async def play(env, seed):
            await aio.reset_async(env, seed=seed)
            return await aio.step_async(env, "Who is it for?")

        async def all_of_them():
            return await aio.gather([play(env, seed) for seed, env in enumerate(envs)])

        steps = asyncio.run(all_of_them())
    assert server.max_in_flight == 6 and not together.broken  # every episode's reply asked at once
    # the model's words, then the detail the answer act tells, in the goal's words
    assert all(obs[-1]["content"].startswith("it is for my team ") for obs, *_ in steps)


def test_nothing_starts_a_thread_when_everything_is_scripted(monkeypatch):
    env = gym.make("CollabCode-v0", split="test")
    agent = make_agent("clarify", env)
    wrapped = MultiturnAwareReward(env, agent, window=2, samples=4)
    obs, _ = wrapped.reset(seed=0)

    def refuse(self):
        raise AssertionError(f"a thread was started: {self.name}")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    wrapped.step(agent(obs))
    multiturn_aware_reward(wrapped, wrapped.unwrapped.messages, ["Which inputs?", "Here it is."], agent, 2, 3)
    aio.run_sync(run_episode_async(gym.make("CollabMath-v0", split="test"), agent, seed=0))


def test_with_offload_set_the_scripted_work_of_an_awaited_step_leaves_the_event_loop_and_the_step_is_unchanged():
    """A shared server sets OFFLOAD_CPU so one session's long message is read and graded off the loop."""

    async def play(offload: bool) -> tuple[list, set[int]]:
        aio.OFFLOAD_CPU.set(offload)
        env = gym.make("CollabMath-v0")
        task = env.unwrapped.task
        threads: set[int] = set()
        extract = task.extract_solution

        def recorded(text: str):
            threads.add(threading.get_ident())
            return extract(text)

        task.extract_solution = recorded  # the family's task object is shared: restored below
        try:
            await aio.reset_async(env, seed=3)
            step = await aio.step_async(env, "So the answer is \\boxed{12}. " + "{" * 19_000)
        finally:
            del task.extract_solution
        return step[:3], threads

    loop_thread = threading.get_ident()
    in_place, where_in_place = asyncio.run(play(False))
    offloaded, where_offloaded = asyncio.run(play(True))
    assert in_place == offloaded
    assert loop_thread in where_in_place and loop_thread not in where_offloaded
