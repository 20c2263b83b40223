"""The SB3 wrappers: spaces, check_env, acts realised as text, deterministic features."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from collab_env.agents.acts import COMPACT_ACTS, OPEN_QUESTION, DraftRealiser, ModelRealiser, default_acts
from collab_env.agents.sb3 import ConversationFeatures, DialogueActs, PolicyAgent
from collab_env.errors import ConfigError
from collab_env.registration import ENV_IDS

sb3 = pytest.importorskip(
    "stable_baselines3", reason="stable-baselines3 is not installed ('collab-env[train]')"
)


def wrapped(env_id: str, **kwargs) -> gym.Env:
    return DialogueActs(ConversationFeatures(gym.make(env_id, split="test")), **kwargs)


@pytest.mark.parametrize("env_id", list(ENV_IDS))
def test_sb3_check_env_passes(env_id):
    from stable_baselines3.common.env_checker import check_env

    env = wrapped(env_id)
    check_env(env, warn=False)
    task = env.unwrapped.task
    assert env.action_space.n == len(default_acts(task)) == 3 + len(task.facet_kinds)
    assert env.observation_space.shape == (8 + len(task.facet_kinds) + 64,)


def test_features_are_deterministic_and_track_the_conversation():
    env = wrapped("CollabDoc-v0", acts=COMPACT_ACTS)
    first, _ = env.reset(seed=3)
    again, _ = wrapped("CollabDoc-v0", acts=COMPACT_ACTS).reset(seed=3)
    np.testing.assert_array_equal(first, again)
    assert first.dtype == np.float32 and env.observation_space.contains(first)
    assert first[0] == 0 and first[2] == 0  # no turn, no question yet
    after_question, *_ = env.step(COMPACT_ACTS.index("ask_missing"))
    assert after_question[0] == pytest.approx(1 / env.unwrapped.max_turns)
    assert after_question[2] > 0 and after_question[4] == 1.0  # asked, and the last message asked
    assert after_question[6] < first[6]  # the user's answer made fewer kinds missing


def test_acts_are_realised_as_text_by_the_drafter():
    env = wrapped("CollabDoc-v0")
    env.reset(seed=0)
    drafter = env.unwrapped.task.drafter
    _, _, _, _, info = env.step(env.acts.index("ask:audience"))
    assert info["act"] == "ask:audience" and drafter.question("audience", []) in info["act_text"]
    _, _, _, _, info = env.step(env.acts.index("ask_open"))
    assert info["act_text"] == OPEN_QUESTION
    _, _, _, _, info = env.step(env.acts.index("propose"))
    assert env.unwrapped.task.extract_solution(info["act_text"]) is not None


def test_ask_missing_never_repeats_a_question():
    realiser = DraftRealiser(gym.make("CollabMath-v0").unwrapped.task.drafter)
    env = gym.make("CollabMath-v0", split="test")
    obs, _ = env.reset(seed=1)
    asked = []
    for _ in range(3):
        text = realiser("ask_missing", obs)
        assert text not in asked
        asked.append(text)
        obs, *_ = env.step(text)


def test_bad_acts_and_actions_are_clear_errors():
    with pytest.raises(ConfigError, match="unknown dialogue act 'ask:colour'"):
        wrapped("CollabDoc-v0", acts=("propose", "ask:colour"))
    with pytest.raises(ConfigError, match="at least two distinct"):
        wrapped("CollabDoc-v0", acts=("propose", "propose"))
    env = wrapped("CollabQA-v0")
    env.reset(seed=0)
    with pytest.raises(ConfigError, match=r"action must be an int in \[0, 4\)"):
        env.step(7)


def test_model_realiser_puts_the_act_in_the_system_prompt():
    from collab_env.llm.base import ChatResult

    class Echo:
        def complete(self, messages, **params):
            return ChatResult(text=messages[0]["content"])

    realiser = ModelRealiser(Echo(), style="base")
    assert "Ask the user one short question about the missing values" in realiser("ask:missing_values", [])
    assert realiser("propose", []).endswith(ModelRealiser.INSTRUCTIONS["propose"])


def test_policy_agent_plays_any_features_to_act_callable():
    env = wrapped("CollabQA-v0", acts=COMPACT_ACTS)
    always_propose = PolicyAgent.for_env(lambda features: 0, env)
    obs, _ = env.unwrapped.reset(seed=0)
    text = always_propose(obs)
    assert env.unwrapped.task.extract_solution(text) is not None
    with pytest.raises(ConfigError, match="no policy yet"):
        PolicyAgent.for_env(None, env)(obs)
