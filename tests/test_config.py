"""EnvConfig: one description of an environment that gym.make takes and every replay rebuilds."""

from __future__ import annotations

import json

import gymnasium as gym
import pytest

import collab_env
from collab_env.config import EnvConfig, JudgeSpec, UserSpec, parse_model_options
from collab_env.errors import ConfigError

URL = "http://127.0.0.1:9/v1"


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
    config = EnvConfig("CollabDoc-v0", user=UserSpec("llm", "m", {"temperature": "0.3"}))
    assert config.user.model_config().temperature == 0.3
    judge = config.judge.model_config()
    assert judge.temperature == 0.0 and judge.model == "m"  # the user's model judges
    assert config.user.model_config().max_tokens > 0


def test_yesterdays_fields_are_read_as_aliases_of_the_parts():
    config = EnvConfig.from_kwargs(env_id="CollabDoc-v0", user_model="m", base_url=URL,
                          model_options=("user.temperature=0.3", "judge.max_tokens=9"))  # fmt: skip
    assert config.user == UserSpec("llm", f"openai:m@{URL}", {"temperature": 0.3})
    assert config.judge == JudgeSpec("llm", f"openai:m@{URL}", {"max_tokens": 9})
    assert EnvConfig.from_kwargs(user_model="m", judge_model="heuristic").judge == JudgeSpec()
    assert EnvConfig.from_kwargs(user_model="openai:m", base_url=URL).user.model == f"openai:m@{URL}"
    assert EnvConfig.from_kwargs(user_model="hf:/ckpt", base_url=URL).user.model == "hf:/ckpt"
    with pytest.raises(ConfigError, match="agent model options are the command's"):
        EnvConfig.from_kwargs(model_options=("agent.max_tokens=3",))
    with pytest.raises(ConfigError, match="not both"):
        EnvConfig.from_kwargs(user=UserSpec("llm", "x"), user_model="m")


def test_a_part_takes_only_the_options_of_what_builds_it():
    with pytest.raises(ConfigError, match="takes no option 'colour'"):
        UserSpec("scripted", options={"colour": "red"})
    with pytest.raises(ConfigError, match="calls a model"):
        UserSpec("llm")
    with pytest.raises(ConfigError, match="calls no model"):
        JudgeSpec("heuristic", "m")
    with pytest.raises(ConfigError, match="expected a int"):
        UserSpec("llm", "m", {"max_attempts": "many"})
    assert UserSpec("llm", "m", {"max_attempts": "2"}) == UserSpec("llm", "m", {"max_attempts": 2})


def test_user_model_gets_its_role_options(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    config = EnvConfig(
        "CollabDoc-v0", user=UserSpec("llm", f"openai:m@{URL}", {"max_tokens": 77, "concurrency": 3})
    )
    model = config.make().unwrapped.user.model
    assert model.defaults["max_tokens"] == 77 and model.concurrency == 3


def test_json_mode_of_the_user_is_a_model_option(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    config = EnvConfig("CollabDoc-v0", user=UserSpec("llm", f"openai:m@{URL}", {"json_mode": "0"}))
    assert "response_format" not in config.make().unwrapped.user.sampling
    with pytest.raises(ConfigError, match="json_mode must be 0 or 1"):
        parse_model_options(["user.json_mode=2"])


def test_a_model_option_puts_the_users_model_behind_a_response_cache(monkeypatch, tmp_path):
    from collab_env.llm import CachedChat

    monkeypatch.setenv("OPENAI_API_KEY", "test")
    cache = tmp_path / "user.sqlite"
    config = EnvConfig("CollabDoc-v0", user=UserSpec("llm", f"openai:m@{URL}", {"cache": str(cache)}))
    model = config.make().unwrapped.user.model
    assert config.user.model_config().cache == str(cache) and isinstance(model, CachedChat) and cache.exists()
    assert config.judge.model_config().cache is None  # the judge on the user's model has its own options


USERS = [UserSpec(), UserSpec("llm", f"openai:u@{URL}", {"protocol": "roleplay", "max_tokens": 64})]
JUDGES = [None, JudgeSpec(), JudgeSpec("llm", f"openai:j@{URL}")]


@pytest.mark.parametrize("env_id", list(collab_env.ENV_IDS))
@pytest.mark.parametrize("user", USERS, ids=lambda u: u.kind)
@pytest.mark.parametrize("judge", JUDGES, ids=lambda j: j.kind if j else "default")
def test_the_spec_is_the_description_every_id_user_and_judge_kind(env_id, user, judge, monkeypatch):
    """``gym.make(env.spec)`` rebuilds the env, and its recorded dict reads back the same."""
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    config = EnvConfig(env_id, split="test", max_turns=3, user=user, judge=judge)
    env = config.make()
    assert env.unwrapped.config == config
    rebuilt = gym.make(env.spec)
    assert rebuilt.unwrapped.config == config and rebuilt.spec.kwargs == env.spec.kwargs
    assert type(rebuilt.unwrapped.user) is type(env.unwrapped.user)
    assert type(rebuilt.unwrapped.engagement_judge) is type(env.unwrapped.engagement_judge)
    assert EnvConfig.from_dict(json.loads(json.dumps(config.as_dict()))) == config
    assert gym.make(env_id, **config.kwargs()).unwrapped.config == config


def test_a_user_kind_is_one_row(monkeypatch):
    from collab_env.parts import USER_KINDS
    from collab_env.users import ScriptedUser

    monkeypatch.setitem(USER_KINDS, "patient", "collab_env.users:ScriptedUser")
    env = gym.make("CollabMath-v0", user=UserSpec("patient", options={"patience": "5,6"}))
    assert isinstance(env.unwrapped.user, ScriptedUser) and env.unwrapped.user.patience == (5, 6)
    assert gym.make(env.spec).unwrapped.user.patience == (5, 6)


def test_an_object_goes_to_collab_env_with_a_pointer():
    from collab_env.users import ScriptedUser

    with pytest.raises(ConfigError, match=r"CollabEnv\(\.\.\.\)"):
        gym.make("CollabMath-v0", user=ScriptedUser())
