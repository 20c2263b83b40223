"""The LLM user's ``acts`` protocol: the model picks an act the env allows and words it; the env
decides what each act tells, and ends the chat on its own verdict."""

from __future__ import annotations

import json

from collab_env.builders import with_parts
from collab_env.llm import OpenAIChat
from collab_env.testing.openai_server import LoopbackServer
from collab_env.types import TERMINATION_SIGNAL
from collab_env.users import LLMUser
from collab_env.users.llm import acts


def _act(act, message):
    return json.dumps({"act": act, "message": message})


def _user(server, **kwargs):
    kwargs.setdefault("opening", "template")
    return LLMUser(OpenAIChat("small", base_url=server.base_url, backoff_s=0.01), protocol="acts", **kwargs)


def _env(server, env_id="CollabMath-v0", **kwargs):
    env = with_parts(env_id, split="test", user=_user(server, **kwargs))
    env.reset(seed=0)
    return env


def _schema_acts(body):
    return body["response_format"]["json_schema"]["schema"]["properties"]["act"]["enum"]


def test_before_any_answer_the_schema_offers_only_an_answer_which_tells_what_was_asked():
    with LoopbackServer(reply=lambda m: _act("answer", "oh, they were 3 bucks")) as server:
        env = _env(server)
        obs, *_, info = env.step("How much is a notebook?")
    assert _schema_acts(server.bodies[-1]) == ["answer"]
    # the stated detail is not repeated; the other one asked about is added in the goal's words
    assert obs[-1]["content"] == "oh, they were 3 bucks I bought 2 notebooks."
    assert info["user"]["act"] == "answer" and info["user"]["revealed"] == ["price_a", "count_a"]
    assert "Say: Each notebook costs $3." in server.bodies[-1]["messages"][-1]["content"]


def test_a_detail_the_message_leaves_out_is_told_in_the_goals_words():
    with LoopbackServer(reply=lambda m: _act("answer", "oh right, sorry")) as server:
        obs, *_ = _env(server).step("How much is a notebook?")
    assert obs[-1]["content"] == "oh right, sorry Each notebook costs $3. I bought 2 notebooks."


def test_an_act_the_env_does_not_allow_is_read_as_the_first_open_one():
    # the fair control of an early ending: the assistant only asked, so the user cannot accept
    with LoopbackServer(reply=lambda m: _act("accept", "thanks, bye")) as server:
        obs, _, terminated, _, info = _env(server).step("How much is a notebook?")
    assert not terminated and info["user"]["act"] == "answer"
    assert obs[-1]["content"].endswith("Each notebook costs $3. I bought 2 notebooks.")


def test_a_wrong_answer_cannot_be_accepted_and_a_correction_gives_what_it_lacks():
    with LoopbackServer(reply=lambda m: _act("accept", "perfect, thank you!")) as server:
        env = _env(server)
        _obs, _, terminated, _, info = env.step("The answer is \\boxed{1}.")
    assert not terminated and info["user"]["act"] == "correct"
    assert "accept" not in _schema_acts(server.bodies[-1])
    told = info["user"]["revealed"]
    assert 1 <= len(told) <= 2  # one or two details per correction, as people give them


def test_an_answer_the_task_finds_complete_ends_the_chat_whatever_the_model_says():
    env_id, answer = "CollabMath-v0", None
    with LoopbackServer(reply=lambda m: _act("correct", "hmm not sure")) as server:
        env = _env(server, env_id)
        task, instance = env.unwrapped.task, env.unwrapped.instance
        answer = f"The answer is \\boxed{{{instance.reference.answer}}}."
        obs, _, terminated, _, info = env.step(answer)
    assert task.unmet_facets(instance, task.extract_solution(answer)) == []
    assert _schema_acts(server.bodies[-1]) == ["accept"]
    assert terminated and info["user"]["act"] == "accept"
    assert obs[-1]["content"].endswith(TERMINATION_SIGNAL)


def test_plan_offers_give_up_only_after_the_assistant_has_had_its_turns():
    with LoopbackServer(reply=lambda m: _act("answer", "ok")) as server:
        env = _env(server)
        task, instance = env.unwrapped.task, env.unwrapped.instance
    early = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "Which notebook?"}]
    late = early + [{"role": "user", "content": "x"}, {"role": "assistant", "content": "And?"}] * 2
    assert acts.turn_plan(early, instance, task.facet_kinds, None).acts == ("answer",)
    assert acts.turn_plan(late, instance, task.facet_kinds, None).acts == ("answer", "give_up")


def test_the_opening_rewords_the_request_and_a_rewording_that_loses_it_is_not_used():
    kept = "so i bought notebooks and pens, paid with a bill. how much change do i get back in dollars?"
    with LoopbackServer(reply=lambda m: _act("answer", kept)) as server:
        env = with_parts("CollabMath-v0", split="test", user=_user(server, opening="model"))
        obs, _ = env.reset(seed=0)
    opening = env.unwrapped.instance.opening
    assert obs[-1]["content"] == kept
    lost = "Hi there! What would you like to know?"
    with LoopbackServer(reply=lambda m: _act("answer", lost)) as server:
        env = with_parts("CollabMath-v0", split="test", user=_user(server, opening="model"))
        obs, _info = env.reset(seed=0)
    assert obs[-1]["content"] == env.unwrapped.instance.opening  # the template's request kept
    assert opening in server.bodies[-1]["messages"][-1]["content"]


def test_keeps_request_needs_the_numbers_and_names_of_the_request():
    request = "Can you write a Python function that averages a list of numbers?"
    assert acts.keeps_request("could you write me a python function to average a list of numbers", request)
    assert not acts.keeps_request("can you write a function?", request)
    assert not acts.keeps_request("How old is she in 5 years?", "How old is she in 4 years?")


def test_the_card_shows_the_env_holding_a_user_that_always_accepts_to_the_task_verdict(tmp_path):
    """The same yes-man model: with the grounded protocol it ends at a wrong answer; with acts the
    env opens 'accept' only once the task's verdict finds the answer complete, and the yes-man's
    words ("That's correct") for an act it may not do are never sent."""
    from collab_env.cli import main

    def yes_man(messages):
        if "Conversation:\n\n" in messages[-1]["content"] and "<hidden_goal>" not in messages[-1]["content"]:
            return json.dumps({"thought": "fine", "score": 1.0})  # the engagement judge
        return json.dumps(
            {"act": "accept", "reveal": [], "message": "That's correct, thanks!", "end_chat": True}
        )

    cards = {}
    for protocol in ("grounded", "acts"):
        out = tmp_path / protocol
        argv = ["user-check", "--envs", "CollabMath-v0", "--agents", "passive,informed", "--episodes", "1",
                "--max-turns", "3", "--people", "0", "--out", str(out), "--judge", "heuristic"]  # fmt: skip
        with LoopbackServer(reply=yes_man) as server:
            main([*argv, "--user", "llm", "--user.model", f"openai:m@{server.base_url}",
                  "--user.protocol", protocol, "--user.opening", "template"])  # fmt: skip
        cards[protocol] = json.loads((out / "card.json").read_text())["summary"]
    grounded, acted = cards["grounded"], cards["acts"]
    premature = ("premature_no_answer", "premature_unmet")
    assert sum(grounded["endings"][k] for k in premature) == 2
    assert sum(acted["endings"][k] for k in premature) == 0 and acted["endings"]["affirms_wrong"] == 0
    assert acted["endings"]["recognised_rate"] == 1.0  # the informed agent's complete answer
    assert acted["false_statements"]["total"] == 0 and acted["lost"] == 0


def test_a_reply_that_names_no_act_is_read_by_whether_it_ends():
    ends = json.dumps({"reveal": [], "message": "ok thanks, bye", "end_chat": True})
    goes_on = json.dumps({"reveal": ["price_a"], "message": "hmm ok"})
    with LoopbackServer(reply=lambda m: goes_on) as server:
        _, _, terminated, _, info = _env(server).step("How much is a notebook?")
    assert not terminated and info["user"]["act"] == "answer" and info["user"]["drift_kinds"] == {}
    with LoopbackServer(reply=lambda m: ends) as server:  # an end where none is open: refused
        _, _, terminated, _, info = _env(server).step("How much is a notebook?")
    assert not terminated and info["user"]["drift_kinds"] == {"act_refused": 3}


def test_asking_about_an_answer_is_open_once_then_the_user_says_what_is_wrong():
    with LoopbackServer(reply=lambda m: _act("ask", "what does it give for 5?")) as server:
        env = _env(server)
        _, *_, first = env.step("The answer is \\boxed{1}.")
        _, *_, second = env.step("The answer is \\boxed{1}.")
    assert first["user"]["act"] == "ask" and "ask" not in _schema_acts(server.bodies[-1])
    assert second["user"]["act"] == "correct" and second["user"]["revealed"]
