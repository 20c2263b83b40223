"""The LLM user's grounded protocol over a loopback endpoint: the facts come from the hidden goal,
``done`` ends the chat, the model writes the opening, and the episode's profile is recorded."""

from __future__ import annotations

import json

import pytest

import collab_env
from collab_env.agents import make_agent
from collab_env.builders import with_parts
from collab_env.errors import ConfigError, ModelCallError
from collab_env.llm import OpenAIChat
from collab_env.rollout import run_episode
from collab_env.testing.openai_server import LoopbackServer
from collab_env.types import TERMINATION_SIGNAL
from collab_env.users import LLMUser, load_profiles


def _reply(reveal=(), message="", done=False):
    return json.dumps({"reveal": list(reveal), "message": message, "done": done})


def _user(server, **kwargs):
    kwargs.setdefault("protocol", "grounded")  # no longer the default (acts is)
    return LLMUser(OpenAIChat("small", base_url=server.base_url, backoff_s=0.01), **kwargs)


def test_the_reply_is_held_to_a_json_schema_of_the_instances_facet_ids():
    with LoopbackServer(reply=lambda m: _reply(["price_a"], "notebooks are 3 each")) as server:
        env = with_parts("CollabMath-v0", split="test", user=_user(server, opening="template"))
        env.reset(seed=0)
        env.step("How much is a notebook?")
    fmt = server.bodies[-1]["response_format"]
    assert fmt["type"] == "json_schema"
    ids = fmt["json_schema"]["schema"]["properties"]["reveal"]["items"]["enum"]
    assert ids == ["price_a", "count_a", "price_b", "count_b", "bill"]
    assert "price_a: Each notebook costs $3." in server.bodies[-1]["messages"][-1]["content"]


def test_a_revealed_detail_the_message_leaves_out_is_told_in_the_goals_words():
    with LoopbackServer(reply=lambda m: _reply(["price_a", "nonsense"], "oh right, sorry")) as server:
        env = with_parts("CollabMath-v0", split="test", user=_user(server, opening="template"))
        env.reset(seed=0)
        obs, *_, info = env.step("How much is a notebook?")
    assert obs[-1]["content"] == "oh right, sorry Each notebook costs $3."
    assert info["user"]["revealed"] == ["price_a"]  # an id the goal lacks is never told


def test_done_ends_the_chat_without_the_model_writing_the_signal():
    with LoopbackServer(reply=lambda m: _reply(message="great, thanks!", done=True)) as server:
        env = with_parts("CollabDoc-v0", split="test", user=_user(server, opening="template"))
        env.reset(seed=0)
        obs, _, terminated, *_ = env.step("Here is your product description: ...")
    assert terminated and obs[-1]["content"] == f"great, thanks! {TERMINATION_SIGNAL}"


def test_a_stated_detail_the_goal_contradicts_is_retried_with_a_reminder():
    replies = iter([_reply([], "each notebook costs $5"), _reply(["price_a"], "they were 3 dollars")])
    with LoopbackServer(reply=lambda m: next(replies)) as server:
        env = with_parts("CollabMath-v0", split="test", user=_user(server, opening="template"))
        env.reset(seed=0)
        obs, *_, info = env.step("How much is a notebook?")
    assert "not your goal's" in server.bodies[1]["messages"][-1]["content"]
    assert info["user"]["drift_kinds"] == {"contradiction": 1} and "3" in obs[-1]["content"]


@pytest.mark.parametrize("env_id", list(collab_env.ENV_IDS))
def test_the_model_writes_the_opening_from_the_hidden_goal(env_id):
    with LoopbackServer(reply=lambda m: _reply(message="hey, can you help me with something?")) as server:
        env = with_parts(env_id, split="test", user=_user(server))
        obs, _ = env.reset(seed=0)
    instance = env.unwrapped.instance
    assert obs[0]["content"].endswith("hey, can you help me with something?")
    assert instance.request in server.bodies[0]["messages"][-1]["content"]
    if env_id == "CollabQA-v0":  # the passage is the material the question is about: it stays
        assert obs[0]["content"].startswith(instance.opening.rpartition("\n\n")[0])


def test_an_opening_that_asks_then_gives_the_goal_away_keeps_only_its_request():
    message = "Can you help me work out my change? I bought 2 notebooks at $3 and 2 pens at $2."
    with LoopbackServer(reply=lambda m: _reply(message=message)) as server:
        env = with_parts("CollabMath-v0", split="test", user=_user(server, max_attempts=2))
        obs, _ = env.reset(seed=0)
        assert server.requests == 2  # rejected twice: the request is kept, the details dropped
    assert obs[0]["content"] == "Can you help me work out my change?"


def test_an_opening_that_gives_the_goal_away_falls_back_to_the_templates():
    with LoopbackServer(
        reply=lambda m: _reply(message="I bought 2 notebooks at $3 and 2 pens at $2.")
    ) as server:
        env = with_parts("CollabMath-v0", split="test", user=_user(server, max_attempts=2))
        obs, _ = env.reset(seed=0)
        assert server.requests == 2
    assert obs[0]["content"] == env.unwrapped.instance.opening


def test_the_episodes_profile_is_drawn_from_the_split_and_recorded_in_every_info():
    with LoopbackServer(reply=lambda m: _reply(message="it's for the team")) as server:
        env = with_parts("CollabDoc-v0", split="test", max_turns=2, user=_user(server))
        result = run_episode(env, make_agent("clarify", env), seed=0)
    test_ids = {p.id for p in load_profiles("test")}
    profiles = {i["user"]["profile"] for i in result.infos if "user" in i}
    assert len(profiles) == 1 and profiles <= test_ids
    profile = next(p for p in load_profiles("test") if p.id in profiles)
    assert profile.preferences[0] in server.bodies[0]["messages"][0]["content"]


def test_the_papers_free_roleplay_is_kept_as_an_option():
    reply = json.dumps({"thought": "fine", "response": f"thanks! {TERMINATION_SIGNAL}"})
    with LoopbackServer(reply=lambda m: reply) as server:
        user = _user(server, protocol="roleplay", opening="template")
        env = with_parts("CollabQA-v0", split="test", user=user)
        env.reset(seed=0)
        *_, terminated, _, info = env.step("Hana went on Thursday.")
    assert terminated and info["user"]["protocol"] == "roleplay"
    assert server.bodies[-1]["response_format"] == {"type": "json_object"}


def test_unknown_protocol_is_a_config_error():
    with pytest.raises(ConfigError, match="protocol"):
        LLMUser(OpenAIChat("m", base_url="http://127.0.0.1:9/v1"), protocol="free")


class _RefusesJsonSchema:
    """An endpoint like llama-cpp-python's server: ``json_schema`` refused, ``json_object`` + schema taken."""

    def __init__(self, model):
        self.model, self.name, self.usage, self.formats = model, model.name, model.usage, []

    def complete(self, messages, **params):
        self.formats.append(params.get("response_format"))
        if params.get("response_format", {}).get("type") == "json_schema":
            raise ModelCallError(
                "failed with 500: {'loc': ('body', 'response_format', 'type'), "
                "'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema'}"
            )
        return self.model.complete(messages, **params)


def test_an_endpoint_that_refuses_json_schema_gets_the_same_schema_as_json_object():
    with LoopbackServer(reply=lambda m: _reply(["price_a"], "notebooks are 3 each")) as server:
        model = _RefusesJsonSchema(OpenAIChat("small", base_url=server.base_url, backoff_s=0.01))
        user = LLMUser(model, json_mode=True, opening="template", protocol="grounded")
        version = user.version
        env = with_parts("CollabMath-v0", split="test", user=user)
        env.reset(seed=0)
        obs, *_ = env.step("How much is a notebook?")
        env.step("And how many did you buy?")
    assert "3" in obs[-1]["content"] and user.version == version  # the same user: only the spelling changed
    first, second, third = model.formats
    assert first["type"] == "json_schema" and second == third
    assert second["type"] == "json_object" and second["schema"] == first["json_schema"]["schema"]


def test_ending_the_chat_while_still_giving_details_is_asked_once_then_believed():
    replies = iter([_reply(["price_a"], "they are 3 each", done=True), _reply(["price_a"], "3 each")])
    with LoopbackServer(reply=lambda m: next(replies)) as server:
        env = with_parts("CollabMath-v0", split="test", user=_user(server, opening="template"))
        env.reset(seed=0)
        obs, _, terminated, _, info = env.step("How much is a notebook?")
    assert not terminated and "3" in obs[-1]["content"] and info["user"]["drift_kinds"] == {"early_end": 1}
    assert (
        "You ended the chat before the assistant could answer you"
        in server.bodies[-1]["messages"][-1]["content"]
    )
    again = iter([_reply(["price_a"], "3 each, bye", done=True)] * 2)
    with LoopbackServer(reply=lambda m: next(again)) as server:
        env = with_parts("CollabMath-v0", split="test", user=_user(server, opening="template"))
        env.reset(seed=0)
        _, _, terminated, *_ = env.step("How much is a notebook?")
    assert terminated and server.requests == 2


def test_ending_the_chat_while_asking_the_assistant_something_is_asked_once():
    replies = iter([_reply([], "what tone should it have?", done=True), _reply([], "fine, go on")])
    with LoopbackServer(reply=lambda m: next(replies)) as server:
        env = with_parts("CollabDoc-v0", split="test", user=_user(server, opening="template"))
        env.reset(seed=0)
        obs, _, terminated, _, info = env.step("Who is the audience?")
    assert not terminated and obs[-1]["content"] == "fine, go on"
    assert info["user"]["drift_kinds"] == {"early_end": 1}


def test_an_end_whose_message_is_all_the_assistants_voice_is_retried_not_believed():
    voice = _reply([], "I'm sorry, but as an AI assistant, I don't have personal preferences.", done=True)
    replies = iter([voice, _reply(["audience"], "it's for our volunteers")])
    with LoopbackServer(reply=lambda m: next(replies)) as server:
        env = with_parts("CollabDoc-v0", split="test", user=_user(server, opening="template"))
        env.reset(seed=0)
        obs, _, terminated, _, info = env.step("Who is the audience?")
    assert not terminated and "volunteers" in obs[-1]["content"]
    assert info["user"]["drift_kinds"] == {"assistant_voice": 1}


def test_an_early_end_used_after_the_retries_keeps_only_the_users_sentences():
    first = _reply([], "I don't have enough information to complete it. What tone should it have?", done=True)
    voice = _reply([], "I'm sorry, but as an AI assistant, I can't assist with that.", done=True)
    replies = iter([first, voice, voice])
    with LoopbackServer(reply=lambda m: next(replies)) as server:
        env = with_parts("CollabDoc-v0", split="test", user=_user(server, opening="template"))
        env.reset(seed=0)
        obs, *_ = env.step("Before I start: What tone should it have?")
    assert "enough information" not in obs[-1]["content"] and "What tone" not in obs[-1]["content"]


def test_ending_before_the_assistant_answered_is_asked_once_and_the_prompt_says_no_answer_yet():
    replies = iter([_reply([], "ok thanks, bye", done=True), _reply(["price_a"], "3 each")])
    with LoopbackServer(reply=lambda m: next(replies)) as server:
        env = with_parts("CollabMath-v0", split="test", user=_user(server, opening="template"))
        env.reset(seed=0)
        _, _, terminated, _, info = env.step("Sure, I can help with that. Let me think about it.")
    assert not terminated and info["user"]["drift_kinds"] == {"early_end": 1}
    assert "gives no answer yet" in server.bodies[0]["messages"][-1]["content"]


def test_the_prompt_names_the_details_a_proposed_answer_misses_and_a_full_answer_ends_at_once():
    with LoopbackServer(reply=lambda m: _reply([], "perfect, thanks", done=True)) as server:
        env = with_parts("CollabMath-v0", split="test", user=_user(server, opening="template"))
        env.reset(seed=0)
        _, _, terminated, *_ = env.step("The change is \\boxed{90}.")
        prompt = server.bodies[-1]["messages"][-1]["content"]
    assert terminated and server.requests == 1 and "has every detail of yours" in prompt
    with LoopbackServer(reply=lambda m: _reply(["price_a"], "no, notebooks are 3 each")) as server:
        env = with_parts("CollabMath-v0", split="test", user=_user(server, opening="template"))
        env.reset(seed=0)
        env.step("The change is \\boxed{12}.")
        prompt = server.bodies[-1]["messages"][-1]["content"]
    assert "misses these details of yours: price_a, count_a" in prompt


def test_end_chat_is_offered_once_the_assistant_answers_or_after_long_without_an_answer():
    with LoopbackServer(reply=lambda m: _reply(["price_a"], "hmm, 3 each i think")) as server:
        env = with_parts("CollabMath-v0", split="test", max_turns=5, user=_user(server, opening="template"))
        env.reset(seed=0)
        for message in (
            "How much is a notebook?",
            "And the pens?",
            "How many pens?",
            "The change is \\boxed{12}.",
        ):
            env.step(message)
    offered = [
        "end_chat" in b["response_format"]["json_schema"]["schema"]["properties"] for b in server.bodies
    ]
    assert offered == [False, False, True, True]  # the third question: the user may give up on it
    assert '"end_chat"' not in server.bodies[0]["messages"][-1]["content"]


def test_an_end_never_confirmed_by_a_usable_reply_does_not_end_the_chat():
    first = _reply(["price_a"], "they are 3 each", done=True)
    voice = _reply([], "I'm glad I could help you.", done=True)
    replies = iter([first, voice, voice])
    with LoopbackServer(reply=lambda m: next(replies)) as server:
        env = with_parts("CollabMath-v0", split="test", user=_user(server, opening="template"))
        env.reset(seed=0)
        obs, _, terminated, _, info = env.step("How much is a notebook?")
    assert not terminated and obs[-1]["content"] == "they are 3 each"
    assert info["user"]["drift_kinds"] == {"early_end": 1, "assistant_voice": 2}
