"""EnvConfig: one description of an environment that gym.make takes and every replay rebuilds."""

from __future__ import annotations

import gymnasium as gym
import pytest

import collab_env  # noqa: F401 - registers the ids
from collab_env.config import EnvConfig, parse_model_options
from collab_env.errors import ConfigError


def test_gym_make_takes_a_config_and_the_env_reports_it():
    config = EnvConfig("CollabQA-v0", split="test", max_turns=4, w_eng=0.5)
    env = gym.make("CollabQA-v0", config=config)
    base = env.unwrapped
    assert base.config == config
    assert (base.max_turns, base.split, base.reward_config.w_eng) == (4, "test", 0.5)


def test_an_env_made_from_keywords_describes_itself_so_a_replay_is_the_same_env():
    env = gym.make("CollabMath-v0", split="test", max_turns=3)
    replay = env.unwrapped.config.make()
    assert replay.unwrapped.config == env.unwrapped.config
    assert [env.reset(seed=5)[0], replay.reset(seed=5)[0]][0] == replay.reset(seed=5)[0]


def test_config_with_other_arguments_is_refused_naming_them():
    with pytest.raises(ConfigError, match="max_turns"):
        gym.make("CollabQA-v0", config=EnvConfig("CollabQA-v0"), max_turns=3)


def test_config_for_another_family_is_refused():
    with pytest.raises(ConfigError, match="CollabQA-v0"):
        gym.make("CollabDoc-v0", config=EnvConfig("CollabQA-v0"))


@pytest.mark.parametrize(
    "option, match",
    [("user.max_tokens", "ROLE.KEY=VALUE"), ("boss.max_tokens=3", "role"), ("user.colour=3", "key"),
     ("user.max_tokens=many", "not a int"), ("agent.concurrency=0", "positive")],
)  # fmt: skip
def test_bad_model_options_are_refused_naming_the_option(option, match):
    with pytest.raises(ConfigError, match=match):
        parse_model_options([option])


def test_role_options_override_the_role_defaults_only():
    config = EnvConfig("CollabDoc-v0", user_model="m", model_options=("user.temperature=0.3",))
    assert config.user.temperature == 0.3
    assert config.judge.temperature == 0.0 and config.judge.model == "m"  # the user's model judges
    assert config.user.max_tokens > 0


def test_user_model_gets_its_role_options(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    config = EnvConfig("CollabDoc-v0", user_model="m", base_url="http://127.0.0.1:9/v1",
                       model_options=("user.max_tokens=77", "user.concurrency=3"))  # fmt: skip
    model = config.make().unwrapped.user.model
    assert model.defaults["max_tokens"] == 77 and model.concurrency == 3


def test_json_mode_of_the_user_is_a_model_option(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    config = EnvConfig(
        "CollabDoc-v0", user_model="m", base_url="http://127.0.0.1:9/v1", model_options=("user.json_mode=0",)
    )
    assert "response_format" not in config.make().unwrapped.user.sampling
    with pytest.raises(ConfigError, match="json_mode must be 0 or 1"):
        parse_model_options(["user.json_mode=2"])


def test_a_model_option_puts_the_users_model_behind_a_response_cache(monkeypatch, tmp_path):
    from collab_env.llm import CachedChat

    monkeypatch.setenv("OPENAI_API_KEY", "test")
    cache = tmp_path / "user.sqlite"
    config = EnvConfig("CollabDoc-v0", user_model="m", base_url="http://127.0.0.1:9/v1",
                       model_options=(f"user.cache={cache}",))  # fmt: skip
    model = config.make().unwrapped.user.model
    assert config.user.cache == str(cache) and isinstance(model, CachedChat) and cache.exists()
    assert config.judge.cache is None  # the judge on the user's model has its own options
