"""MR's futures in the paper's shape, and how their final state is scored (issue 22, points 3 and 5)."""

from __future__ import annotations

import statistics

import gymnasium as gym
import pytest

from collab_env.agents import make_agent
from collab_env.builders import with_parts
from collab_env.llm import OpenAIChat
from collab_env.registration import ENV_IDS
from collab_env.rewards.judges import LLMInteractivityJudge
from collab_env.testing.openai_server import LoopbackServer
from collab_env.testing.scripted_llm import ScriptedLLM
from collab_env.users import LLMUser
from collab_env.wrappers import MultiturnAwareReward, multiturn_aware_reward

TOKEN_SLACK = 10 * 0.5 / 1000


@pytest.fixture(scope="module")
def endpoint():
    with LoopbackServer(reply=ScriptedLLM(["doc", "code", "math", "qa"])) as server:
        yield server


def _env(env_id, users, endpoint):
    if users == "scripted":
        return gym.make(env_id, split="test")
    user = LLMUser(OpenAIChat("user", base_url=endpoint.base_url))
    judge = LLMInteractivityJudge(OpenAIChat("judge", base_url=endpoint.base_url))
    return with_parts(env_id, split="test", user=user, judge=judge)


def test_a_window_2_future_makes_2_user_calls_and_ends_with_the_policys_turn(endpoint):
    env = _env("CollabDoc-v0", "llm", endpoint)
    clarify = make_agent("clarify", env)
    obs, _ = env.reset(seed=0)
    (result,) = multiturn_aware_reward(
        env, obs, [clarify(obs)], clarify, window=2, samples=1, keep_futures=True
    )
    future = result.futures[0][len(obs) :]
    assert [m["role"] for m in future] == ["assistant", "user", "assistant", "user", "assistant"]
    assert result.usage["calls"] == 2


@pytest.mark.parametrize("users", ["scripted", "llm"])
@pytest.mark.parametrize("env_id", list(ENV_IDS))
def test_a_needed_question_is_never_paid_less_than_a_premature_guess(env_id, users, endpoint):
    """Window 1: not below on the env's mean; window 2: above, on the env's mean.

    Where neither future solves the task within the window and the env weighs no engagement
    (Code, after the reference), the two differ only by their assistant tokens: the window-1
    check allows ``TOKEN_SLACK``, ten tokens at Code's λ of 0.5 per thousand. A patient user
    (``scripted-v4``) corrects a premature guess, so at window 1 one instance may fall below it
    when a sampled user puts the question off (Doc seed 3: 0.634 against 0.661, one of two
    futures dodged both questions); ``benchmarks/mr_direction.py`` measures the share.
    """
    env = _env(env_id, users, endpoint)
    question, guess = make_agent("clarify", env), make_agent("passive", env)
    for window in (1, 2):
        pairs = []
        for seed in range(4):
            obs, _ = env.reset(seed=seed)
            asked, guessed = multiturn_aware_reward(
                env, obs, [question(obs), guess(obs)], question, window=window, samples=2
            )
            pairs.append((asked.mean, guessed.mean))
        if window == 1:
            assert statistics.fmean(a - g for a, g in pairs) >= -TOKEN_SLACK, pairs
        else:
            assert statistics.fmean(a for a, _ in pairs) > statistics.fmean(g for _, g in pairs), pairs


class _NeverPropose:
    """Asks clarify's questions, then a catch-all question for ever: never a solution."""

    def __init__(self, env):
        self.clarify = make_agent("clarify", env)

    def __call__(self, messages):
        text = self.clarify(messages)
        return text if text.startswith("Before I start") else "Before I start: what else matters to you?"


@pytest.mark.parametrize("env_id", list(ENV_IDS))
def test_a_policy_that_never_proposes_earns_less_mr_than_one_that_does(env_id):
    env = gym.make(env_id, split="test")
    paid = {}
    for name, agent in (("clarify", make_agent("clarify", env)), ("never", _NeverPropose(env))):
        wrapped, rewards = MultiturnAwareReward(env, agent, window=2, samples=2), []
        for seed in range(4):
            obs, _ = wrapped.reset(seed=seed)
            done = False
            while not done:
                obs, reward, terminated, truncated, _ = wrapped.step(agent(obs))
                rewards.append(reward)
                done = terminated or truncated
        paid[name] = (sum(rewards) / 4, statistics.fmean(rewards))
    assert paid["never"][0] < paid["clarify"][0] and paid["never"][1] < paid["clarify"][1], paid


def test_a_future_cut_before_a_proposal_is_scored_with_the_drafters_solution_uncharged():
    env = gym.make("CollabMath-v0", split="test")
    clarify = make_agent("clarify", env)
    obs, _ = env.reset(seed=0)
    (result,) = multiturn_aware_reward(
        env, obs, [clarify(obs)], clarify, window=1, samples=1, keep_futures=True
    )
    (breakdown,) = result.breakdowns
    assert breakdown["final_state"] == "drafted" and breakdown["solution_found"]
    questions_only = sum(len(m["content"]) > 0 for m in result.futures[0] if m["role"] == "assistant")
    assert questions_only == 2 and breakdown["assistant_tokens"] < 60  # two short questions, no draft
