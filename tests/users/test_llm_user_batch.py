"""Per-future randomness and batched replies of the LLM user (issue 14, item 1)."""

from __future__ import annotations

import json

import gymnasium as gym
import numpy as np

from collab_env.llm import OpenAIChat
from collab_env.testing.fake_models import SmallModelUser
from collab_env.testing.openai_server import LoopbackServer
from collab_env.users import LLMUser
from collab_env.users.base import ReplyRequest


class Counting:
    """A chat model that records the size of every batch it is sent."""

    def __init__(self, model):
        self.model, self.name, self.concurrency, self.usage = model, model.name, 8, model.usage
        self.batches: list[int] = []

    def complete(self, messages, **params):
        self.batches.append(1)
        return self.model.complete(messages, **params)

    def complete_batch(self, batch, per_call=None, **params):
        self.batches.append(len(batch))
        return self.model.complete_batch(batch, per_call=per_call, **params)


def _requests(user, n, seeds, assistant="Who is it for?"):
    env = gym.make("CollabDoc-v0", split="test")
    obs, _ = env.reset(seed=0)
    task, instance = env.unwrapped.task, env.unwrapped.instance
    messages = [*obs, {"role": "assistant", "content": assistant}]
    out = []
    for i in range(n):
        _, state = user.start(task, instance, np.random.default_rng(0))
        out.append(ReplyRequest(task, instance, messages, state, np.random.default_rng(seeds[i])))
    return out


def _user(server, **kwargs):
    return LLMUser(
        OpenAIChat("qwen", base_url=server.base_url, temperature=1.0), **{"opening": "template", **kwargs}
    )


def test_four_futures_against_a_seeded_endpoint_give_four_different_replies_and_replay_alike():
    with LoopbackServer(reply=SmallModelUser(end_after=9)) as server:
        user = _user(server)
        first = [r.text for r in user.reply_batch(_requests(user, 4, [1, 2, 3, 4]))]
        again = [r.text for r in user.reply_batch(_requests(user, 4, [1, 2, 3, 4]))]
    assert len(set(first)) == 4 and first == again
    assert len({b["seed"] for b in server.bodies}) == 4


def test_a_batch_is_one_call_per_round_and_a_retry_round_holds_only_the_failed():
    def reply(messages):
        if "odd one" in messages[1]["content"] and "Your last output" not in messages[-1]["content"]:
            return "USER: not json"
        return json.dumps({"act": "answer", "message": "for my team"})

    with LoopbackServer(reply=reply) as server:
        model = Counting(OpenAIChat("qwen", base_url=server.base_url))
        user = LLMUser(model, opening="template")
        requests = _requests(user, 3, [1, 2, 3])
        requests[1].messages = [*requests[1].messages[:-1], {"role": "assistant", "content": "the odd one?"}]
        replies = user.reply_batch(requests)
    # The answer act tells what "Who is it for?" asked, in the goal's words; "the odd one?" asks nothing.
    told = "for my team It's for new customers."
    assert model.batches == [3, 1] and [r.text for r in replies] == [told, "for my team", told]
    assert [r.state.parse_failures for r in requests] == [0, 1, 0]
    assert [r.state.calls for r in requests] == [1, 2, 1]


def test_reply_and_reply_batch_give_the_same_replies_and_states():
    with LoopbackServer(reply=SmallModelUser(end_after=9)) as server:
        user = _user(server)
        serial = [
            user.reply(r.task, r.instance, r.messages, r.state, r.rng) for r in _requests(user, 3, [5, 6, 7])
        ]
        batched_requests = _requests(user, 3, [5, 6, 7])
        batched = user.reply_batch(batched_requests)
    assert [r.text for r in serial] == [r.text for r in batched]
    assert [r.info for r in serial] == [r.info for r in batched]


def test_a_request_whose_output_never_parses_still_gets_a_reply_in_a_batch():
    def reply(messages):
        if "odd one" in messages[1]["content"]:
            return '{"thought": "cut off'
        return json.dumps({"act": "answer", "message": "for my team"})

    with LoopbackServer(reply=reply) as server:
        user = LLMUser(OpenAIChat("qwen", base_url=server.base_url), max_attempts=2, opening="template")
        requests = _requests(user, 2, [1, 2])
        requests[0].messages = [*requests[0].messages[:-1], {"role": "assistant", "content": "the odd one?"}]
        replies = user.reply_batch(requests)
    assert replies[1].text == "for my team It's for new customers."  # the answer act's detail added
    assert replies[1].info["accepted_drift"] is None
    assert replies[0].info["fallback"] and replies[0].info["parse_failures"] == 2
