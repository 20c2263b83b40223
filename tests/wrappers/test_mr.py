"""The multiturn-aware reward wrapper and candidate scoring."""

from __future__ import annotations

import statistics
import threading
import time

import gymnasium as gym
import pytest

from collab_env.agents import make_agent
from collab_env.errors import ConfigError, ModelCallError
from collab_env.rollout import run_episode
from collab_env.testing.openai_server import LoopbackServer
from collab_env.wrappers import MultiturnAwareReward, multiturn_aware_reward


def _clarify(env_id="CollabDoc-v0"):
    env = gym.make(env_id, split="test")
    return env, make_agent("clarify", env)


def test_window_zero_scores_the_response_and_a_sampled_reply_only():
    env, agent = _clarify()
    wrapped = MultiturnAwareReward(env, agent, window=0, samples=5, keep_futures=True)
    obs, _ = wrapped.reset(seed=0)
    while True:
        before = len(obs)
        obs, reward, terminated, truncated, info = wrapped.step(agent(obs))
        assert info["mr"]["lengths"] == [before + 2] * 5  # the response and one sampled user reply
        assert reward == pytest.approx(statistics.fmean(info["mr"]["scores"]))
        assert all(future[:-1] == obs[:-1] for future in info["mr_futures"])
        if terminated or truncated:
            break


def test_futures_branch_before_the_user_reply_and_sample_it():
    env, agent = _clarify("CollabMath-v0")
    wrapped = MultiturnAwareReward(env, agent, window=1, samples=8, keep_futures=True)
    obs, _ = wrapped.reset(seed=0)
    obs, _, _, _, info = wrapped.step(agent(obs))
    replies = {future[len(obs) - 1]["content"] for future in info["mr_futures"]}
    assert all(future[len(obs) - 2] == obs[-2] for future in info["mr_futures"])  # the response
    assert len(replies) > 1  # each future drew its own user reply
    assert obs[-1]["content"] == run_episode(gym.make("CollabMath-v0", split="test"), lambda m: obs[-2]["content"],
                                             seed=0).messages[2]["content"]  # fmt: skip


@pytest.mark.parametrize("env_id", ["CollabDoc-v0", "CollabMath-v0", "CollabQA-v0"])
def test_the_real_trajectory_is_untouched_by_simulation(env_id):
    env, agent = _clarify(env_id)
    plain = run_episode(env, agent, seed=3)
    wrapped = run_episode(
        MultiturnAwareReward(gym.make(env_id, split="test"), agent, window=2, samples=3), agent, seed=3
    )
    assert wrapped.messages == plain.messages
    assert [i["reward"] for i in wrapped.infos] == [i["reward"] for i in plain.infos]


def test_seeded_mr_is_reproducible():
    runs = []
    for _ in range(2):
        env, agent = _clarify("CollabMath-v0")
        runs.append(
            [i["mr"] for i in run_episode(MultiturnAwareReward(env, agent, 2, 3), agent, seed=8).infos]
        )
    assert runs[0] == runs[1]


def test_futures_are_bounded_by_the_window():
    env, agent = _clarify()
    wrapped = MultiturnAwareReward(env, agent, window=1, samples=2, keep_futures=True)
    obs, _ = wrapped.reset(seed=1)
    obs, _, _, _, info = wrapped.step(agent(obs))
    assert all(length <= len(obs) + 2 for length in info["mr"]["lengths"])
    assert all(future[: len(obs) - 1] == obs[:-1] for future in info["mr_futures"])  # up to the response


def test_mr_prefers_asking_first_on_math():
    env, agent = _clarify("CollabMath-v0")
    obs, _ = env.reset(seed=2)
    ask, answer = agent(obs), make_agent("passive", env)(obs)
    scores = multiturn_aware_reward(env, obs, [ask, answer], agent, window=3, samples=3)
    assert scores[0].mean > scores[1].mean


def test_common_random_numbers_reduce_the_variance_of_candidate_differences():
    env, agent = _clarify("CollabMath-v0")
    passive = make_agent("passive", env)
    variances = {True: [], False: []}
    for seed in range(20):
        obs, _ = env.reset(seed=seed)
        for crn in (True, False):
            a, b = multiturn_aware_reward(
                env, obs, [agent(obs), passive(obs)], agent, 3, 4, common_random_numbers=crn, seed=seed
            )
            variances[crn].append(
                statistics.pvariance([x - y for x, y in zip(a.scores, b.scores, strict=True)])
            )
    assert statistics.fmean(variances[True]) < statistics.fmean(variances[False])


def test_candidates_from_an_env_id_replay_the_conversation():
    env, agent = _clarify("CollabQA-v0")
    obs, _ = env.reset(seed=4, options={"task_id": "qa-test-00004"})
    by_env = multiturn_aware_reward(env, obs, ["Answer: Monday"], agent, 1, 2)
    by_id = multiturn_aware_reward(
        "CollabQA-v0", obs, ["Answer: Monday"], agent, 1, 2, task_id="qa-test-00004", env_seed=4
    )
    assert by_env == by_id


def test_a_conversation_the_env_cannot_reproduce_is_an_error():
    with pytest.raises(ConfigError, match="different user replies"):
        multiturn_aware_reward(
            "CollabQA-v0", [{"role": "user", "content": "hi"}], ["x"], lambda m: "y", task_id="qa-test-00000"
        )


def test_policy_turns_run_at_most_its_declared_concurrency_at_once():
    in_flight, peak, lock = 0, 0, threading.Lock()
    env, clarify = _clarify()

    def slow_policy(messages):
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        time.sleep(0.02)
        with lock:
            in_flight -= 1
        return clarify(messages)

    slow_policy.concurrency = 3
    obs, _ = env.reset(seed=0)
    multiturn_aware_reward(env, obs, [clarify(obs)] * 4, slow_policy, 2, 4)
    assert 1 < peak <= 3


def _endpoint_policy(server, max_retries=2, concurrency=1):
    from openai import APIError, OpenAI

    client = OpenAI(base_url=server.base_url, api_key="test", max_retries=max_retries)

    def policy(messages):
        try:
            out = client.chat.completions.create(model="loopback", messages=messages)
        except APIError as exc:
            raise ModelCallError(f"{server.base_url}: {exc}") from exc
        return out.choices[0].message.content

    policy.concurrency = concurrency
    return policy


def test_endpoint_concurrency_is_bounded_as_configured():
    env, agent = _clarify()
    with LoopbackServer(reply=lambda m: "What tone should it have?", latency_s=0.05) as server:
        obs, _ = env.reset(seed=0)
        multiturn_aware_reward(env, obs, [agent(obs)] * 3, _endpoint_policy(server, concurrency=5), 2, 4)
    assert 1 < server.max_in_flight <= 5


def test_a_future_lost_twice_is_left_out_and_a_step_with_every_future_lost_is_lost():
    env, agent = _clarify()
    with LoopbackServer(faults=[500] * 50) as server:
        policy = _endpoint_policy(server, max_retries=1)
        obs, _ = env.reset(seed=0)
        (result,) = multiturn_aware_reward(env, obs, [agent(obs)], policy, window=1, samples=1)
        assert result.is_lost and result.lost == 1 and "500" in result.errors[0]
        assert server.requests == 4  # one call and its retry, then the future played once more
        wrapped = MultiturnAwareReward(gym.make("CollabDoc-v0"), policy, window=1, samples=1)
        obs, _ = wrapped.reset(seed=0)
        _, _, _, truncated, info = wrapped.step(agent(obs))
    assert truncated and "futures lost" in info["error"] and info["mr"]["lost"] == 1


def test_a_lost_future_is_replayed_and_only_the_lost_ones_leave_the_mean():
    env, agent = _clarify()
    # A serial policy plays future 0 to its end first: it fails, is replayed at once and fails
    # again (four 500s); future 1 then runs.
    with LoopbackServer(reply=lambda m: "Who is the audience?", faults=[500] * 4) as server:
        policy = _endpoint_policy(server, max_retries=1)
        obs, _ = env.reset(seed=0)
        (result,) = multiturn_aware_reward(env, obs, [agent(obs)], policy, window=1, samples=2)
    assert not result.is_lost and result.lost == 1 and len(result.scores) == 1
    assert result.mean == result.scores[0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"window": -1}, "window"), ({"samples": 0}, "samples"), ({"policy": "agent"}, "policy")],
)
def test_bad_arguments_are_config_errors(kwargs, message):
    env, agent = _clarify()
    with pytest.raises(ConfigError, match=message):
        MultiturnAwareReward(env, **{"policy": agent, **kwargs})
