"""CollabEnv: the Gymnasium contract, determinism, snapshots, rewards and bad input."""

from __future__ import annotations

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

import collab_env
from collab_env.agents import make_agent
from collab_env.env import CollabEnv
from collab_env.errors import ConfigError, EpisodeError
from collab_env.rewards import RewardConfig
from collab_env.rollout import run_episode

ENV_IDS = list(collab_env.ENV_IDS)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_check_env_passes(env_id):
    env = gym.make(env_id)
    check_env(env.unwrapped)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_make_without_import_via_module_prefix(env_id):
    assert gym.make(f"collab_env:{env_id}").unwrapped.task.name == collab_env.ENV_IDS[env_id]


@pytest.mark.parametrize("env_id", ENV_IDS)
@pytest.mark.parametrize("agent", ["passive", "clarify"])
def test_seeded_episodes_are_identical(env_id, agent):
    runs = []
    for _ in range(2):
        env = gym.make(env_id)
        result = run_episode(env, make_agent(agent, env), seed=11)
        runs.append((result.messages, result.rewards, [i["reward"] for i in result.infos]))
    assert runs[0] == runs[1]


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_restored_env_continues_exactly_as_the_original(env_id):
    env = gym.make(env_id).unwrapped
    agent = make_agent("clarify", env)
    obs, _ = env.reset(seed=5)
    obs, *_ = env.step(agent(obs))
    saved = env.snapshot()
    original = [env.step(agent(obs))[:4]]
    while not (original[-1][2] or original[-1][3]):
        original.append(env.step(agent(original[-1][0]))[:4])
    env.reset(seed=99)  # wander off, then come back
    env.restore(saved)
    replay = [env.step(agent(obs))[:4]]
    while not (replay[-1][2] or replay[-1][3]):
        replay.append(env.step(agent(replay[-1][0]))[:4])
    assert replay == original


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_observation_never_contains_the_hidden_goal(env_id):
    env = gym.make(env_id).unwrapped
    obs, _ = env.reset(seed=0)
    text = " ".join(m["content"] for m in obs)
    hidden = [f for f in env.instance.hidden_facets if f.statement not in env.instance.opening]
    assert hidden and all(f.statement not in text for f in hidden)


def test_reset_with_task_id_plays_that_instance(toy_task):
    env = CollabEnv(toy_task)
    _, info = env.reset(seed=0, options={"task_id": "toy-test-00003"})
    assert info["task_id"] == "toy-test-00003" == env.instance.task_id


def test_final_mode_pays_once_at_the_end(toy_task):
    env = CollabEnv(toy_task)
    result = run_episode(env, toy_task_clarify(toy_task), seed=0)
    assert result.rewards[:-1] == [0.0] * (len(result.rewards) - 1)
    assert result.rewards[-1] == pytest.approx(result.reward["total"])


def test_turn_mode_pays_the_change_of_r_star(toy_task):
    env = CollabEnv(toy_task, reward_mode="turn")
    result = run_episode(env, toy_task_clarify(toy_task), seed=0)
    assert sum(result.rewards) == pytest.approx(result.reward["total"])
    totals = [i["reward"]["total"] for i in result.infos]
    assert result.rewards == pytest.approx([b - a for a, b in zip([0.0, *totals], totals, strict=False)])


def test_reward_parts_add_up(toy_task):
    config = RewardConfig(w_ext=2.0, w_eng=0.5, token_penalty=3.0)
    env = CollabEnv(toy_task, reward=config)
    parts = run_episode(env, toy_task_clarify(toy_task), seed=0).reward
    expected = 2.0 * parts["task_metric"] - parts["token_penalty"] + 0.5 * parts["engagement"]
    assert parts["total"] == pytest.approx(expected)
    assert parts["token_penalty"] == pytest.approx(min(3.0 * parts["assistant_tokens"] / 1000, 1.0))
    assert parts["engagement_judge"] == "heuristic" and parts["token_encoding"] == "cl100k_base"


def test_truncated_after_max_turns(toy_task):
    env = CollabEnv(toy_task, max_turns=2, user=collab_env.users.ScriptedUser(patience=(9,)))
    env.reset(seed=0)
    assert env.step("What colour?")[3] is False
    _, _, terminated, truncated, _ = env.step("What size?")
    assert truncated and not terminated


@pytest.mark.parametrize("action", [None, 3, b"bytes", ["list"]])
def test_non_string_action_raises_type_error(toy_task, action):
    env = CollabEnv(toy_task)
    env.reset(seed=0)
    with pytest.raises(TypeError, match="action must be a str"):
        env.step(action)


def test_too_long_action_raises_value_error(toy_task):
    env = CollabEnv(toy_task, max_message_chars=50)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="limit is 50"):
        env.step("x" * 51)


def test_step_after_end_raises(toy_task):
    env = CollabEnv(toy_task, max_turns=1)
    env.reset(seed=0)
    env.step("hello")
    with pytest.raises(EpisodeError, match="episode has ended"):
        env.step("hello again")


def test_step_before_reset_raises(toy_task):
    with pytest.raises(EpisodeError, match="reset"):
        CollabEnv(toy_task).step("hi")


@pytest.mark.parametrize("task_id", ["toy-test-99999", "doc-test-00001", "nonsense"])
def test_unknown_task_id_raises(toy_task, task_id):
    with pytest.raises(ConfigError, match=r"task_id|out of range"):
        CollabEnv(toy_task).reset(options={"task_id": task_id})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"reward_mode": "sometimes"}, "reward_mode"),
        ({"max_turns": 0}, "max_turns"),
        ({"split": "dev"}, "split"),
        ({"render_mode": "rgb_array"}, "render_mode"),
        ({"user": "telepathic"}, "user"),
        ({"reward": {"w_ext": 1}}, "RewardConfig"),
    ],
)
def test_invalid_config_raises_config_error(toy_task, kwargs, message):
    with pytest.raises(ConfigError, match=message):
        CollabEnv(toy_task, **kwargs)


@pytest.mark.parametrize("field", ["w_ext", "w_eng", "token_penalty", "penalty_cap"])
def test_reward_config_rejects_negative_weights(field):
    with pytest.raises(ConfigError, match=field):
        RewardConfig(**{field: -1.0})


def test_unknown_reset_option_raises(toy_task):
    with pytest.raises(ConfigError, match="unknown reset option"):
        CollabEnv(toy_task).reset(options={"taskid": "toy-test-00000"})


def test_unknown_task_raises():
    with pytest.raises(ConfigError, match="task must be"):
        CollabEnv("cooking")


def test_render_ansi_returns_the_transcript(toy_task):
    env = CollabEnv(toy_task, render_mode="ansi")
    env.reset(seed=0)
    env.step("What colour?")
    text = env.render()
    assert "ASSISTANT: What colour?" in text and "USER: Make me a widget." in text


def test_render_human_prints(toy_task, capsys):
    env = CollabEnv(toy_task, render_mode="human")
    env.reset(seed=0)
    assert "Make me a widget." in capsys.readouterr().out


def test_observations_are_copies(toy_task):
    env = CollabEnv(toy_task)
    obs, _ = env.reset(seed=0)
    obs[0]["content"] = "tampered"
    assert env.messages[0]["content"] == "Make me a widget."


def toy_task_clarify(task):
    from collab_env.agents import ClarifyAgent

    return ClarifyAgent(task.drafter)


def test_branch_never_changes_the_original(toy_task):
    env = CollabEnv(toy_task)
    env.reset(seed=0)
    env.step("What colour?")
    before = env.snapshot()
    branch = env.branch(user_seed=1)
    branch.step("What size?")
    assert env.messages == before.messages and len(branch.messages) == len(before.messages) + 2
    assert env.np_random.bit_generator.state == before.np_random_state


def test_branches_with_the_same_user_seed_agree(toy_task):
    env = CollabEnv(toy_task, user=collab_env.users.ScriptedUser(styles=("chatty",)))
    env.reset(seed=0)
    a, b = env.branch(user_seed=3), env.branch(user_seed=3)
    assert a.step("What colour?") == b.step("What colour?")


@pytest.mark.parametrize("env_id", list(collab_env.ENV_IDS))
def test_on_the_test_split_seed_k_plays_instance_k(env_id):
    env = gym.make(env_id, split="test")
    size = env.unwrapped.task.size("test")
    seen = {env.reset(seed=k)[1]["task_id"] for k in range(size)}
    assert len(seen) == size  # every instance, once: no draws with replacement
    assert env.reset(seed=3)[1]["task_id"] == env.unwrapped.task.task_id("test", 3)
    assert env.reset(seed=size + 3)[1]["task_id"] == env.unwrapped.task.task_id("test", 3)
