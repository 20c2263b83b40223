"""MR with models in the loop: every future in flight, samples that differ, replays of the same env."""

from __future__ import annotations

import itertools
import json
import threading

import gymnasium as gym
import pytest

from collab_env.agents import LLMAgent, make_agent
from collab_env.agents.finetune import MRRewardFunction
from collab_env.agents.ranking import sample_candidates
from collab_env.builders import with_parts
from collab_env.config import EnvConfig, JudgeSpec, UserSpec
from collab_env.errors import ConfigError
from collab_env.llm import CachedChat, OpenAIChat
from collab_env.testing.fake_models import ActsUser
from collab_env.testing.openai_server import LoopbackServer, Together
from collab_env.users import LLMUser
from collab_env.wrappers import MultiturnAwareReward, multiturn_aware_reward


def _is_user_prompt(messages) -> bool:
    return "hidden_goal" in json.dumps(messages)


def _user_json(text: str = "It is for the whole team.") -> ActsUser:
    """The user model: it speaks the acts protocol (the LLM user's default), the first act open."""
    return ActsUser(text)


def test_eight_futures_ask_their_user_replies_together():
    """A scripted policy and an LLM user: each turn of the 8 futures sends its 8 replies at once.

    How long that takes against one future is measured by ``benchmarks/mr_throughput.py``.
    """
    real_step = {"at": float("inf")}  # the index of the real step's request; the futures' follow it
    together = Together(8, _user_json(), picks=lambda messages, n: n > real_step["at"])
    with LoopbackServer(reply=together) as server:
        user = UserSpec("llm", f"openai:user@{server.base_url}")
        env = gym.make("CollabDoc-v0", split="test", user=user, judge=JudgeSpec())
        agent = make_agent("clarify", env)
        wrapped = MultiturnAwareReward(env, agent, window=2, samples=8)
        obs, _ = wrapped.reset(seed=0)
        real_step["at"] = server.requests
        _, _, _, _, info = wrapped.step(agent(obs))
        assert len(info["mr"]["scores"]) == 8
        assert server.requests - real_step["at"] == 1 + 8 * 2  # the real step, then two turns of 8 futures
        assert server.max_in_flight == 8 and not together.broken


def test_candidates_through_a_response_cache_are_distinct_samples(tmp_path):
    counter = itertools.count()
    with LoopbackServer(reply=lambda m: f"Question number {next(counter)}?") as server:
        agent = LLMAgent(
            CachedChat(OpenAIChat("policy", base_url=server.base_url), tmp_path / "cache.sqlite")
        )
        messages = [{"role": "user", "content": "Write me an announcement."}]
        first = sample_candidates(agent, messages, 3)
        again = sample_candidates(agent, messages, 3)
        assert server.requests == 3  # the re-run is served from the cache
    assert len(first) == 3 and again == first


def test_the_grpo_reward_calls_the_configured_user_and_policy_endpoints():
    seen = {"user": 0, "policy": 0}
    lock = threading.Lock()

    def reply(messages):
        role = "user" if _is_user_prompt(messages) else "policy"
        with lock:
            seen[role] += 1
        return _user_json()(messages) if role == "user" else "What tone should it have?"

    with LoopbackServer(reply=reply) as server:
        config = EnvConfig.from_kwargs(
            env_id="CollabDoc-v0",
            split="train",
            user_model="user",
            judge_model="heuristic",
            base_url=server.base_url,
        )
        env = config.make()
        obs, _ = env.reset(seed=3, options={"task_id": "doc-train-00003"})
        policy = LLMAgent(OpenAIChat("policy", base_url=server.base_url))
        reward = MRRewardFunction(config, policy, window=1, samples=2)
        scores = reward(
            [obs, obs], ["Who is it for?", "Here is the draft:\n\nHi."], ["doc-train-00003"] * 2, [3, 3]
        )
    assert len(scores) == 2
    assert seen["policy"] == 2 * 2  # window 1: one policy turn per future, 2 completions × 2 samples
    # each future's sampled reply (the policy's turn ends the future: u, a); plus the openings of two resets
    assert seen["user"] == 2 * 2 + 2


def test_a_policy_of_another_family_is_refused():
    math_env = gym.make("CollabMath-v0")
    with pytest.raises(ConfigError, match="built for the 'doc' task family"):
        MultiturnAwareReward(math_env, make_agent("clarify", gym.make("CollabDoc-v0")))
    with pytest.raises(ConfigError, match="family"):
        multiturn_aware_reward(math_env, [], ["x"], make_agent("clarify", gym.make("CollabDoc-v0")))


def test_the_futures_model_usage_is_counted_in_the_episode():
    with LoopbackServer(reply=_user_json()) as server:
        user = UserSpec("llm", f"openai:user@{server.base_url}")
        env = gym.make("CollabDoc-v0", split="test", user=user, judge=JudgeSpec())
        agent = make_agent("clarify", env)
        wrapped = MultiturnAwareReward(env, agent, window=1, samples=3)
        obs, _ = wrapped.reset(seed=0)
        _, _, _, _, info = wrapped.step(agent(obs))
        assert info["mr"]["usage"]["calls"] == 3 * 1  # window 1 (u, a): only each future's sampled reply
        # the written opening, the real reply, then the futures'
        assert info["user"]["calls"] == 1 + 1 + 3 * 1 == server.requests


def test_mr_with_an_llm_user_judge_and_policy_asks_the_judge_once_per_future():
    calls = {"judge": 0}
    lock = threading.Lock()

    def reply(messages):
        text = json.dumps(messages)
        if "judge how well" in text:
            with lock:
                calls["judge"] += 1
            return json.dumps({"thought": "fine", "score": 0.5})
        return _user_json()(messages) if _is_user_prompt(messages) else "What tone should it have?"

    with LoopbackServer(reply=reply) as server:
        config = EnvConfig.from_kwargs(
            env_id="CollabMath-v0", split="test", user_model="u", judge_model="j", base_url=server.base_url
        )
        env = config.make()
        policy = LLMAgent(OpenAIChat("policy", base_url=server.base_url))
        wrapped = MultiturnAwareReward(env, policy, window=1, samples=4)
        wrapped.reset(seed=0)
        _, reward, _, _, info = wrapped.step("How many notebooks are there?")
    assert calls["judge"] == 4  # once per future, at its end; the real step is not final
    assert [b["engagement"] for b in info["mr"]["breakdowns"]] == [0.5] * 4
    assert reward == pytest.approx(sum(b["total"] for b in info["mr"]["breakdowns"]) / 4)
    assert info["reward"]["engagement_judged"] is False


def _mr_step_with_a_seeded_llm_user(server) -> dict:
    user = LLMUser(OpenAIChat("qwen", base_url=server.base_url, temperature=1.0))
    env = with_parts("CollabMath-v0", split="test", user=user)
    wrapped = MultiturnAwareReward(env, make_agent("clarify", env), window=0, samples=4, keep_futures=True)
    wrapped.reset(seed=3)
    # A message that asks nothing: the sampled words are the whole reply (to a question the acts
    # protocol adds the goal's detail, and the made-up number beside it is dropped as false).
    *_, info = wrapped.step("Sure, let me think about it.")
    return info


def test_four_futures_against_a_seeded_endpoint_sample_four_user_replies_and_mr_is_reproducible():
    from collab_env.testing.fake_models import SmallModelUser

    with LoopbackServer(reply=SmallModelUser(end_after=9)) as server:
        first = _mr_step_with_a_seeded_llm_user(server)
        again = _mr_step_with_a_seeded_llm_user(server)
    replies = [future[-1]["content"] for future in first["mr_futures"]]
    assert len(set(replies)) == 4  # each future's own seed reached the endpoint
    assert first["mr"] == again["mr"] and first["mr_futures"] == again["mr_futures"]  # same env seed, same MR


def test_the_grpo_reward_scores_every_group_of_a_batch_at_once():
    """4 prompts × 4 completions: every group's futures are in flight together, none waits for another group."""
    together = Together(
        16 * 2, _user_json(), picks=lambda messages, n: "Who is it for?" in json.dumps(messages)
    )
    with LoopbackServer(reply=together) as server:
        config = EnvConfig.from_kwargs(env_id="CollabDoc-v0", split="train", user_model="user", judge_model="heuristic",
                           base_url=server.base_url)  # fmt: skip
        rows = []
        for k in range(4):
            env = config.make()
            obs, info = env.reset(seed=k)
            rows += [(obs, info["task_id"], k)] * 4
        reward = MRRewardFunction(config, make_agent("clarify", env), window=1, samples=2)
        before = server.requests
        scores = reward(
            [r[0] for r in rows], ["Who is it for?"] * 16, [r[1] for r in rows], [r[2] for r in rows]
        )
        assert (
            server.requests - before == 4 + 16 * 2
        )  # a reset's opening per group, then one reply per future
    assert len(scores) == 16 and None not in scores
    assert server.max_in_flight == 16 * 2 and not together.broken  # the 4 groups' futures at once
