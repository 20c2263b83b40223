"""The chat spaces accept real messages and sample reproducibly."""

from __future__ import annotations

import gymnasium as gym
import pytest

import collab_env
from collab_env.spaces import ConversationSpace, MessageSpace


@pytest.mark.parametrize(
    "text", ["", "Who is it for?", "line one\nline two", "naïve café ✓ 你好", "```python\nx = 1\n```"]
)
def test_message_accepts_real_chat_text(text):
    assert MessageSpace().contains(text)


@pytest.mark.parametrize("value", [None, 1, b"bytes", ["a"], "x" * 11])
def test_message_rejects_non_strings_and_long_text(value):
    assert not MessageSpace(max_chars=10).contains(value)


def test_message_sample_is_seeded_and_valid():
    a, b = MessageSpace(max_chars=300, seed=4), MessageSpace(max_chars=300, seed=4)
    samples = [a.sample() for _ in range(20)]
    assert samples == [b.sample() for _ in range(20)]
    assert all(a.contains(s) for s in samples) and len(set(samples)) > 10


def test_conversation_accepts_chat_format():
    space = ConversationSpace(max_messages=3)
    assert space.contains([{"role": "user", "content": "Hi"}, {"role": "assistant", "content": ""}])


@pytest.mark.parametrize(
    "value",
    [
        "not a list",
        [{"role": "system", "content": "x"}],
        [{"role": "user"}],
        [{"role": "user", "content": 3}],
        [{"role": "user", "content": "x", "extra": 1}],
        [{"role": "user", "content": "x"}] * 4,
    ],
)
def test_conversation_rejects_malformed(value):
    assert not ConversationSpace(max_messages=3).contains(value)


def test_conversation_sample_is_seeded_and_valid():
    a, b = ConversationSpace(max_messages=5, seed=1), ConversationSpace(max_messages=5, seed=1)
    samples = [a.sample() for _ in range(10)]
    assert samples == [b.sample() for _ in range(10)]
    assert all(a.contains(s) for s in samples)


@pytest.mark.parametrize("cls", [MessageSpace, ConversationSpace])
def test_invalid_limits_raise(cls):
    with pytest.raises(ValueError, match=">= 1"):
        cls(0)


@pytest.mark.parametrize("env_id", list(collab_env.ENV_IDS))
def test_async_vector_envs_share_conversations_through_shared_memory(env_id):
    envs = gym.make_vec(env_id, 2, vectorization_mode="async", split="test")
    try:
        obs, info = envs.reset(seed=[3, 4])
        assert list(info["task_id"]) == [envs.call("unwrapped")[0].task.task_id("test", k) for k in (3, 4)]
        obs, *_ = envs.step(["What should the result look like?"] * 2)
        assert all(len(o) == 3 and o[-1]["role"] == "user" for o in obs)  # user, assistant, user
        assert all(envs.single_observation_space.contains(o) for o in obs)
    finally:
        envs.close()


def test_a_raw_env_in_an_array_policy_points_to_the_wrappers():
    pytest.importorskip("stable_baselines3", reason="stable-baselines3 is not installed")
    from stable_baselines3 import PPO

    with pytest.raises(TypeError, match=r"wrap the env with collab_env\.agents\.sb3\.ConversationFeatures"):
        PPO("MlpPolicy", gym.make("CollabDoc-v0"))
