"""The five failures of issue 18, against a loopback endpoint that behaves like the real small
model (Qwen2.5-Coder-0.5B-Instruct on llama.cpp): each one handled."""

from __future__ import annotations

import itertools
import json

import pytest

from collab_env.agents import make_agent
from collab_env.builders import with_parts
from collab_env.errors import ModelCallError
from collab_env.llm import OpenAIChat
from collab_env.rollout import run_episode
from collab_env.testing.fake_models import Completion, SmallModelUser, unbounded
from collab_env.testing.openai_server import LoopbackServer
from collab_env.types import TERMINATION_SIGNAL
from collab_env.users import LLMUser

REPLY = json.dumps({"act": "answer", "message": "its for my team"})


def _user(server, chat=None, **kwargs):
    chat = {"backoff_s": 0.01, **(chat or {})}
    return LLMUser(OpenAIChat("qwen", base_url=server.base_url, **chat), **{"opening": "template", **kwargs})


def _play(server, env_id="CollabDoc-v0", agent="clarify", seed=0, **kwargs):
    env = with_parts(env_id, split="test", max_turns=6, user=_user(server, **kwargs))
    return run_episode(env, make_agent(agent, env), seed=seed)


# 1. Nothing bounded a model's output; a timeout retried the identical unbounded request.
def test_every_user_call_is_bounded_and_a_cut_off_reply_is_diagnosed_as_such():
    replies = iter([unbounded([]), REPLY])
    with LoopbackServer(reply=lambda m: next(replies)) as server:
        env = with_parts("CollabMath-v0", split="test", user=_user(server, max_attempts=2))
        env.reset(seed=0)
        *_, info = env.step("Who is it for?")
    first, second = server.bodies
    assert first["max_tokens"] == 512 and second["max_tokens"] == 512  # the user role's bound
    assert "cut off at the length limit" in second["messages"][-1]["content"]
    assert info["user"]["cutoffs"] == 1 and info["user"]["parse_failures"] == 0


def test_a_retry_after_a_timeout_is_not_the_request_that_timed_out():
    # 2 ms per word: 512 words take 1 s, past the 0.6 s timeout; each retry asks for half as many.
    with LoopbackServer(reply=unbounded, token_latency_s=0.002) as server:
        model = OpenAIChat("qwen", base_url=server.base_url, backoff_s=0.01, timeout_s=0.6, max_retries=3)
        result = model.complete([{"role": "user", "content": "hi"}], max_tokens=512)
    bounds = [b["max_tokens"] for b in server.bodies]
    assert bounds[0] == 512 and all(b < a for a, b in itertools.pairwise(bounds))
    assert result.finish_reason == "length" and model.usage.calls == server.requests


# 2. The first reply never parsed: the model continued the transcript.
@pytest.mark.parametrize("json_mode", [True, False], ids=["json-mode", "no-json-mode"])
def test_the_first_reply_parses(json_mode):
    with LoopbackServer(reply=SmallModelUser(end_after=3)) as server:
        result = _play(server, json_mode=json_mode)
    user = result.infos[-1]["user"]
    assert user["parse_failures"] == 0 and user["calls"] == result.turns + user["retries"]
    assert user["retries"] == user["drift_kinds"].get(
        "early_end", 0
    )  # only an end before an answer is asked back
    assert all(("response_format" in b) == json_mode for b in server.bodies)


def test_a_prompt_that_ends_with_the_transcript_is_what_the_model_continues():
    layout = "USER: hi\nASSISTANT: hello"  # the old prompt's ending, as the issue found it
    prompt = [
        {"role": "user", "content": f"<conversation>\n{layout}\n</conversation>\nWrite the USER's reply."}
    ]
    assert SmallModelUser()(prompt, {}).startswith("USER:")


# 3. The chat did not end when the user ended it with single brackets.
def test_single_bracket_termination_ends_the_episode():
    # Its reply names no act: the signal, written with single brackets, is read as the wish to
    # end. The acts protocol (the default) opens an ending before any answer only from the
    # assistant's third turn (give_up; clarify is still asking), so the model ends there.
    with LoopbackServer(reply=SmallModelUser(end_after=3, signal="[TERMINATE CHAT]")) as server:
        result = _play(server)
    assert result.terminated and result.turns == 3
    assert result.messages[-1]["content"].endswith(TERMINATION_SIGNAL)
    assert result.infos[-1]["user"]["act"] == "give_up" and result.infos[-1]["user"]["drifts"] == 0


# 4. Drift got through: empty messages, the assistant's voice, solving the task, the goal pasted.
@pytest.mark.parametrize(
    ("bad", "rule"),
    [
        ("", "empty"),
        ("I'm glad I could help you! Let me know if you need anything else.", "assistant_voice"),
        ("ok so 40 * 0.9 = 36 and 36 * 1.08 = 38.88", "solving"),
        ("The kettle costs $40 before the sale. The discount is 10%. Sales tax is 8%.", "goal_dump"),
    ],
)
def test_drift_is_retried_with_a_reminder_naming_it_and_counted(bad, rule):
    replies = iter([json.dumps({"act": "answer", "message": bad}), REPLY])
    with LoopbackServer(reply=lambda m: next(replies)) as server:
        env = with_parts("CollabMath-v0", split="test", user=_user(server))
        env.reset(seed=0, options={"task_id": "math-test-00170"})  # the $40 kettle, 10% off, 8% tax
        # A message that asks nothing: the answer act gives no detail, so the model's words are
        # all the reply has (to "what would you like to know?" the env adds one of the goal's
        # details, and an empty message is no longer empty).
        obs, *_, info = env.step("Sure, let me think about it.")
    assert obs[-1]["content"] == "its for my team" and server.requests == 2
    assert info["user"]["drifts"] == 1 and info["user"]["drift_kinds"] == {rule: 1}
    retry = server.bodies[1]["messages"]  # the rejected output is not quoted back to the model
    assert [m["role"] for m in retry] == ["system", "user"] and retry[1]["content"].startswith(
        server.bodies[0]["messages"][1]["content"]
    )


def test_a_quoted_draft_is_not_drift_and_no_episode_is_lost_to_it():
    draft = "```python\ndef total(price):\n    return price * 0.9 * 1.08\n```"
    reply = json.dumps({"thought": "", "response": f"you wrote\n{draft}\nwhere does 0.9 come from?"})
    with LoopbackServer(reply=lambda m: reply) as server:
        env = with_parts("CollabMath-v0", split="test", user=_user(server))
        env.reset(seed=0)
        _, _, _, truncated, info = env.step(f"Here is a start:\n{draft}")
    assert not truncated and "error" not in info and info["user"]["drifts"] == 0


# 5. Time and tokens of failed attempts disappeared.
def test_every_attempt_is_counted_in_calls_and_tokens():
    with LoopbackServer(reply=unbounded, token_latency_s=0.002) as server:
        model = OpenAIChat("qwen", base_url=server.base_url, backoff_s=0.01, timeout_s=0.6, max_retries=3)
        result = model.complete([{"role": "user", "content": "hi"}], max_tokens=512)
    assert model.usage.calls == server.requests >= 2
    assert model.estimated.calls == server.requests - 1 and model.estimated.completion_tokens >= 512
    assert result.completion_tokens == model.usage.completion_tokens >= server.completion_tokens - 512


def test_waiting_for_a_slot_does_not_count_against_the_timeout():
    # A server with one slot, as llama.cpp's: 4 requests of 0.3 s with a 0.5 s timeout each.
    with LoopbackServer(latency_s=0.3, max_concurrency=1, queue=True) as server:
        model = OpenAIChat("qwen", base_url=server.base_url, concurrency=1, timeout_s=0.5, max_retries=0)
        results = model.complete_batch([[{"role": "user", "content": "hi"}]] * 4)
    assert [r.text for r in results] == ["OK"] * 4 and server.requests == 4


def test_a_wrong_api_key_is_refused_and_not_retried():
    with LoopbackServer(api_key="right") as server:
        model = OpenAIChat("qwen", base_url=server.base_url, api_key="wrong", backoff_s=0.01)
        with pytest.raises(ModelCallError, match="401"):
            model.complete([{"role": "user", "content": "hi"}])
        assert server.requests == 1
        assert OpenAIChat("qwen", base_url=server.base_url, api_key="right").complete([]).text == "OK"


def test_an_endpoint_reply_may_set_its_finish_reason():
    with LoopbackServer(reply=lambda m: Completion("cut", "length")) as server:
        assert OpenAIChat("qwen", base_url=server.base_url).complete([]).finish_reason == "length"


def test_a_failed_attempt_is_counted_in_the_episodes_calls_as_the_server_saw_it():
    with LoopbackServer(reply=lambda m: REPLY, faults=[500]) as server:
        env = with_parts("CollabMath-v0", split="test", user=_user(server))
        env.reset(seed=0)
        *_, info = env.step("Who is it for?")
    assert info["user"]["calls"] == server.requests == 2


def test_a_turn_lost_to_the_user_model_still_reports_its_counts():
    # The first attempt is not the JSON asked for; the retry's endpoint fails (500, no retry left).
    with LoopbackServer(reply=lambda m: "USER: sure", faults=[None, 500, 500]) as server:
        user = _user(server, chat={"max_retries": 1}, max_attempts=2)
        env = with_parts("CollabMath-v0", split="test", user=user)
        env.reset(seed=0)
        *_, truncated, info = env.step("Who is it for?")
    assert truncated and "error" in info
    assert info["user"]["parse_failures"] == 1 and info["user"]["calls"] == 1  # the call that answered
