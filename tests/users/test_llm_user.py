"""LLMUser against a real HTTP endpoint on loopback: parsing, role drift, failures, caching."""

from __future__ import annotations

import json
import re

import gymnasium as gym
import pytest

import collab_env
from collab_env.agents import make_agent
from collab_env.builders import with_parts
from collab_env.cli import main
from collab_env.llm import CachedChat, OpenAIChat
from collab_env.rollout import run_episode
from collab_env.testing.openai_server import LoopbackServer
from collab_env.types import TERMINATION_SIGNAL
from collab_env.users import LLMUser, parse_reply

_ACT = re.compile(r'^- "(\w+)": ', re.M)


def user_reply(messages):
    """A scripted 'model' playing the user in the default (acts) protocol: it rewords the opening
    it is given, answers, and ends the chat as soon as the env opens an ending (the answer found
    complete, or the assistant's third turn without one)."""
    prompt = messages[-1]["content"]
    if "<opening>" in prompt:
        opening = prompt.split("<opening>\n", 1)[1].split("\n</opening>", 1)[0]
        return json.dumps({"act": "answer", "message": f"hey, {opening}"})
    acts = _ACT.findall(prompt.rpartition("(your act):")[2]) or ["answer"]
    act = next((a for a in acts if a in ("accept", "give_up")), acts[0])
    text = {"accept": "Thanks, that works.", "give_up": "Never mind, bye."}.get(
        act, "It's for the team, keep it short."
    )
    return "```json\n" + json.dumps({"act": act, "message": text}) + "\n```"


def _user(server, **kwargs):
    """An LLM user on ``server``, opening with the template's sentence unless told otherwise."""
    model = OpenAIChat("user-model", base_url=server.base_url, backoff_s=0.01)
    return LLMUser(model, **{"opening": "template", **kwargs})


@pytest.mark.parametrize("env_id", list(collab_env.ENV_IDS))
def test_an_episode_of_each_env_completes(env_id):
    with LoopbackServer(reply=user_reply) as server:
        env = with_parts(env_id, split="test", user=_user(server, opening="model"))
        result = run_episode(env, make_agent("clarify", env), seed=0)
    assert result.terminated and result.messages[-1]["content"].endswith(TERMINATION_SIGNAL)
    assert (
        result.infos[-1]["user"]["simulator"] == "llm"
        and result.infos[-1]["user"]["calls"] == result.turns + 1 + result.infos[-1]["user"]["retries"]
    )
    # Every act the model picks is open (it ends only where the env opens an ending): no retry.
    assert result.infos[-1]["user"]["retries"] == 0
    assert "hey, " in result.messages[0]["content"] and result.infos[-1]["user"]["opening"] == "model"


def test_the_hidden_goal_reaches_the_model_but_not_the_agent():
    seen = []
    with LoopbackServer(reply=lambda m: seen.append(m) or user_reply(m)) as server:
        env = with_parts("CollabMath-v0", split="test", user=_user(server))
        obs, _ = env.reset(seed=0)
        obs, *_ = env.step("How much does each item cost?")
    request = env.unwrapped.instance.request
    assert request in seen[0][1]["content"] and all(request not in m["content"] for m in obs)


@pytest.mark.parametrize(
    "raw",
    [
        '{"thought": "x", "response": "Hi"}',
        '```json\n{"thought": "x", "response": "Hi"}\n```\nAnything after.',
        "Sure! {'thought': 'x', 'response': 'Hi'} trailing",
        '{"thought": "a {brace} inside", "response": "Hi"}',
        '{"thought": "two\nlines, raw, as small models write them", "response": "Hi"}',
    ],
)
def test_replies_are_parsed_robustly(raw):
    assert parse_reply(raw)["response"] == "Hi"


def test_role_drift_is_retried_with_a_reminder_and_counted():
    replies = iter(
        [
            json.dumps({"response": "Here is the code you need: ```def f(): pass```"}),
            user_reply([{"content": ""}]),
        ]
    )
    with LoopbackServer(reply=lambda m: next(replies)) as server:
        env = with_parts("CollabCode-v0", user=_user(server))
        env.reset(seed=0)
        *_, info = env.step("What should the function be called?")
        assert server.requests == 2
    assert info["user"]["drifts"] == 1 and "ASSISTANT" not in info["user"]["raw"]


def test_output_that_never_parses_is_read_as_a_plain_message_not_a_lost_episode():
    with LoopbackServer(reply=lambda m: "which one? the second i think") as server:
        env = with_parts("CollabQA-v0", user=_user(server, max_attempts=2))
        env.reset(seed=0)
        obs, *_, info = env.step("Which one do you mean?")
        assert server.requests == 2
    assert "error" not in info and obs[-1]["content"] == "which one? the second i think"
    assert info["user"]["parse_failures"] == 2 and info["user"]["accepted_drift"] == "parse"


def test_drift_on_every_attempt_is_repaired_recorded_and_never_loses_the_episode():
    text = "The assistant asked about the price, which I didn't give. I will write the function now."
    with LoopbackServer(reply=lambda m: json.dumps({"act": "answer", "message": text})) as server:
        env = with_parts("CollabMath-v0", split="test", user=_user(server, max_attempts=3))
        env.reset(seed=0)
        obs, _, _, truncated, info = env.step("How much does each notebook cost?")
    assert "error" not in info and not truncated and server.requests == 3
    # The answer act's details, added in the goal's words, are what is left once the drifting
    # sentences are dropped (the grounded protocol, with nothing revealed, fell back to the goal).
    assert obs[-1]["content"] == "Each notebook costs $3. I bought 2 notebooks."
    assert not info["user"]["fallback"] and info["user"]["accepted_drifts"] == {"assistant_voice": 1}
    assert sum(info["user"]["drift_kinds"].values()) == 3


def test_only_an_endpoint_failure_loses_the_episode():
    with LoopbackServer(faults=[500] * 10) as server:
        model = OpenAIChat("user-model", base_url=server.base_url, backoff_s=0.01, max_retries=1)
        env = with_parts("CollabQA-v0", user=LLMUser(model, opening="template"))
        env.reset(seed=0)
        _, _, terminated, truncated, info = env.step("Which one do you mean?")
    assert truncated and not terminated and "error" in info and "reward" not in info


def test_with_a_cache_a_second_run_makes_no_call_and_repeats_the_transcript(tmp_path):
    transcripts, calls = [], []
    with LoopbackServer(reply=user_reply) as server:
        for _ in range(2):
            model = CachedChat(OpenAIChat("user-model", base_url=server.base_url), tmp_path / "cache.sqlite")
            env = with_parts("CollabDoc-v0", split="test", user=LLMUser(model, temperature=1.0))
            transcripts.append(run_episode(env, make_agent("clarify", env), seed=1).messages)
            calls.append(server.requests)
    assert calls[0] > 0 and calls[1] == calls[0]
    assert transcripts[0] == transcripts[1]


def test_user_model_shortcut_and_cli_flags(capsys):
    with LoopbackServer(reply=user_reply) as server:
        env = gym.make("CollabQA-v0", user_model="user-model", base_url=server.base_url)
        assert isinstance(env.unwrapped.user, LLMUser)
        argv = [
            "episode",
            "CollabQA-v0",
            "--user-model",
            "user-model",
            "--base-url",
            server.base_url,
            "--judge-model",
            "heuristic",
            "--json",
        ]
        assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["messages"][-1]["content"].endswith(TERMINATION_SIGNAL)


def test_base_url_without_user_model_is_a_config_error():
    with pytest.raises(collab_env.errors.ConfigError, match="user_model"):
        gym.make("CollabQA-v0", base_url="http://127.0.0.1:9/v1")


def test_the_version_changes_with_the_shipped_profiles(tmp_path, monkeypatch):
    """A seed draws its person from the profiles file: another file is another user."""
    from collab_env.users.llm import user as user_module

    model = OpenAIChat("m", base_url="http://127.0.0.1:9/v1")
    before = LLMUser(model).version
    other = tmp_path / "profiles.jsonl"
    other.write_bytes(user_module.PROFILES_FILE.read_bytes() + b"\n")
    monkeypatch.setattr(user_module, "PROFILES_FILE", other)
    assert LLMUser(model).version != before
    assert LLMUser(model, profiles=None).version == LLMUser(model, profiles=None).version
