"""The scripted user: reveal, accept, feedback, patience and persona."""

from __future__ import annotations

import numpy as np
import pytest

from collab_env.env import CollabEnv
from collab_env.types import TERMINATION_SIGNAL
from collab_env.users import ScriptedUser


def _env(task, patience=(3,), style=("terse",)) -> CollabEnv:
    user = ScriptedUser(patience=patience, styles=style, typo_rates=(0.0,), evasiveness=(0.0,))
    env = CollabEnv(task, user=user)
    env.reset(seed=0, options={"task_id": "toy-test-00000"})
    return env


def test_question_about_unrevealed_facet_reveals_it(toy_task):
    env = _env(toy_task)
    colour = env.instance.facet("colour")
    obs, *_, info = env.step("Which COLOR do you have in mind?")
    assert obs[-1]["content"] == colour.statement
    assert info["user"]["events"] == [
        {"type": "reveal", "facet": "colour", "question": "Which COLOR do you have in mind?"}
    ]


def test_several_facets_can_be_asked_at_once(toy_task):
    env = _env(toy_task)
    obs, *_ = env.step("What colour should it be? And how big?")
    assert env.instance.facet("colour").statement in obs[-1]["content"]
    assert env.instance.facet("size").statement in obs[-1]["content"]


def test_vague_question_gets_vague_answer_and_costs_patience(toy_task):
    env = _env(toy_task, patience=(1,))
    obs, _, terminated, _, info = env.step("Can you tell me more?")
    assert info["user"]["events"][0]["type"] == "vague"
    assert not any(f.statement in obs[-1]["content"] for f in env.instance.facets)
    assert terminated and obs[-1]["content"].endswith(TERMINATION_SIGNAL)


def test_repeated_question_is_redundant(toy_task):
    env = _env(toy_task)
    env.step("What colour?")
    _, _, _, _, info = env.step("What colour again?")
    assert info["user"]["events"][0]["type"] == "redundant"
    assert info["user"]["patience_left"] == 2


def test_good_solution_is_accepted_and_ends_chat(toy_task):
    env = _env(toy_task)
    answer = " ".join(env.instance.reference)
    obs, reward, terminated, truncated, info = env.step(f"ANSWER: {answer}")
    assert terminated and not truncated
    assert TERMINATION_SIGNAL in obs[-1]["content"]
    assert info["user"]["events"] == [{"type": "proposal", "score": 1.0, "accepted": True}]
    assert reward == pytest.approx(info["reward"]["total"])


def test_wrong_solution_gets_feedback_on_one_unmet_facet(toy_task):
    env = _env(toy_task)
    colour, size, name = env.instance.reference
    wrong_colour = next(c for c in ("red", "green", "blue") if c != colour)
    obs, _, terminated, _, info = env.step(f"ANSWER: {wrong_colour} {size} {name}")
    assert not terminated
    assert env.instance.facet("colour").statement in obs[-1]["content"]
    assert info["user"]["events"][0]["feedback"] == "colour"


def test_unhelpful_turns_exhaust_patience(toy_task):
    env = _env(toy_task, patience=(2,))
    _, _, terminated, _, _ = env.step("Hello there.")
    assert not terminated
    obs, _, terminated, _, info = env.step("Nice weather.")
    assert terminated and info["user"]["patience_left"] == 0
    assert obs[-1]["content"].endswith(TERMINATION_SIGNAL)


def test_too_many_questions_are_not_all_answered(toy_task):
    env = _env(toy_task)
    _, _, _, _, info = env.step("What colour? What size? What name? Why? When?")
    types = [e["type"] for e in info["user"]["events"]]
    assert types[0] == "too_many_questions" and types.count("reveal") == 3 and len(types) == 4


def test_persona_is_drawn_from_the_seed(toy_task):
    user = ScriptedUser()
    instance = toy_task.instance("test", 0)
    personas = {user.start(toy_task, instance, np.random.default_rng(s))[1].persona for s in range(30)}
    assert len(personas) > 3
    assert user.start(toy_task, instance, np.random.default_rng(7))[1].persona == (
        user.start(toy_task, instance, np.random.default_rng(7))[1].persona
    )


def test_typos_never_touch_the_facts(toy_task):
    env = CollabEnv(toy_task, user=ScriptedUser(styles=("chatty",), typo_rates=(1.0,), evasiveness=(0.0,)))
    env.reset(seed=3, options={"task_id": "toy-test-00001"})
    obs, *_ = env.step("What colour?")
    assert env.instance.facet("colour").statement in obs[-1]["content"]


def test_one_user_object_serves_concurrent_episodes(toy_task):
    user = ScriptedUser(patience=(3,), evasiveness=(0.0,))
    a, b = CollabEnv(toy_task, user=user), CollabEnv(toy_task, user=user)
    a.reset(seed=0, options={"task_id": "toy-test-00000"})
    b.reset(seed=0, options={"task_id": "toy-test-00001"})
    a.step("What colour?")
    _, _, _, _, info = b.step("What colour?")
    assert info["user"]["events"][0]["type"] == "reveal"


def test_patience_choices_are_checked():
    with pytest.raises(ValueError, match="patience"):
        ScriptedUser(patience=(0,))


def test_evasive_user_withholds_the_facet_without_losing_patience(toy_task):
    env = CollabEnv(toy_task, user=ScriptedUser(patience=(1,), evasiveness=(0.99,)))
    env.reset(seed=0, options={"task_id": "toy-test-00000"})
    obs, _, terminated, _, info = env.step("What colour should it be?")
    assert info["user"]["events"][0]["type"] == "evasive" and not terminated
    assert env.instance.facet("colour").statement not in obs[-1]["content"]


def test_evasiveness_choices_are_checked():
    with pytest.raises(ValueError, match="evasiveness"):
        ScriptedUser(evasiveness=(1.0,))
