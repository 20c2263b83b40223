"""The scripted user: reveal, accept, feedback, patience and persona."""

from __future__ import annotations

import numpy as np
import pytest

from collab_env.env import CollabEnv
from collab_env.types import TERMINATION_SIGNAL
from collab_env.users import ScriptedUser


def _env(task, patience=(3,), style=("terse",), follow_ups=(0,)) -> CollabEnv:
    user = ScriptedUser(
        patience=patience, styles=style, typo_rates=(0.0,), evasiveness=(0.0,), follow_ups=follow_ups
    )
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


def test_a_draft_that_meets_the_goal_is_checked_before_the_chat_ends(toy_task):
    from collab_env.users.scripted import _FOLLOW_UP

    env = _env(toy_task, follow_ups=(2,))
    answer = " ".join(env.instance.reference)
    obs, _, terminated, _, info = env.step(f"ANSWER: {answer}")
    assert not terminated and obs[-1]["content"] in _FOLLOW_UP
    assert info["user"]["events"] == [
        {"type": "proposal", "score": 1.0, "accepted": True}, {"type": "follow_up"}
    ]  # fmt: skip
    assert not any(f.statement in obs[-1]["content"] for f in env.instance.facets)
    obs, _, terminated, _, info = env.step("Yes, that is all of it.")  # an answer in words, no draft
    assert not terminated and obs[-1]["content"] in _FOLLOW_UP
    assert info["user"]["patience_left"] == 3  # answering a check is not unhelpful
    obs, _, terminated, _, info = env.step(f"ANSWER: {answer}")
    assert terminated and obs[-1]["content"].endswith(TERMINATION_SIGNAL)
    assert info["turn"] == 3 and info["reward"]["task_metric"] == 1.0


def test_follow_ups_are_bounded_and_the_last_draft_is_graded(toy_task):
    """More turns earn nothing: the task's grader scores the draft on the table, a worse one
    offered during the checks is corrected and costs patience like any other."""
    env = _env(toy_task, patience=(1,), follow_ups=(3,))
    colour, size, name = env.instance.reference
    wrong = next(c for c in ("red", "green", "blue") if c != colour)
    _, _, terminated, _, info = env.step(f"ANSWER: {colour} {size} {name}")
    assert not terminated and info["reward"]["task_metric"] == 1.0
    obs, _, terminated, _, info = env.step(f"ANSWER: {wrong} {size} {name}")
    assert terminated and info["reward"]["task_metric"] < 1.0  # out of patience: it gives up
    assert "follow_up" not in [e["type"] for e in info["user"]["events"]]
    assert obs[-1]["content"].replace(TERMINATION_SIGNAL, "").rstrip().endswith(("stop here.", "myself."))
    user = ScriptedUser(follow_ups=(2,), evasiveness=(0.0,))
    for seed in range(5):  # never more than the persona's follow-ups, whatever the assistant does
        env = CollabEnv(toy_task, user=user)
        env.reset(seed=seed, options={"task_id": "toy-test-00000"})
        answer = " ".join(env.instance.reference)
        turns = [env.step(f"ANSWER: {answer}")[2] for _ in range(3)]
        assert turns == [False, False, True]


def test_a_question_once_the_draft_has_everything_earns_nothing(toy_task):
    """Guess, then ask once the guess is accepted: the user tells nothing new, so the question
    earns no engagement (asked before the answer, the same question does)."""
    env = _env(toy_task, follow_ups=(2,))
    answer = " ".join(env.instance.reference)
    env.step(f"ANSWER: {answer}")
    obs, _, terminated, _, info = env.step("What colour should it be?")
    assert not terminated and obs[-1]["content"].startswith("No need, it's fine as it is.")
    assert info["user"]["events"][0] == {"type": "settled", "questions": 1}
    assert env.instance.facet("colour").statement not in obs[-1]["content"]
    assert info["reward"]["engagement_details"]["answered"] == 0
    asked_first = _env(toy_task, follow_ups=(0,))
    asked_first.step("What colour should it be?")
    info = asked_first.step(f"ANSWER: {answer}")[4]
    assert info["reward"]["engagement_details"]["answered"] == 1


def test_follow_up_choices_are_checked():
    with pytest.raises(ValueError, match="follow_ups"):
        ScriptedUser(follow_ups=(-1,))
    assert ScriptedUser().version == "scripted-v4"
    assert ScriptedUser(follow_ups=(0,)).version.startswith("scripted-v4+")


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


def test_a_specific_question_outside_the_goal_costs_no_patience_a_catch_all_one_does(toy_task):
    env = _env(toy_task, patience=(1,))
    obs, _, terminated, _, info = env.step("Which shipping carrier do you prefer?")
    assert not terminated and obs[-1]["content"] == "I don't mind, you choose."
    assert info["user"]["events"][0] == {
        "type": "vague", "question": "Which shipping carrier do you prefer?", "generic": False,
    }  # fmt: skip
    _, _, terminated, _, info = env.step("Anything else?")
    assert terminated and info["user"]["events"][0]["generic"] is True


def test_a_facet_is_said_once_per_reply(toy_task):
    env = _env(toy_task)
    colour = env.instance.facet("colour")
    obs, *_ = env.step("What colour should it be? Which colour exactly?")
    assert obs[-1]["content"] == colour.statement
    env = _env(toy_task)
    colour, size, name = env.instance.reference
    wrong = next(c for c in ("red", "green", "blue") if c != colour)
    obs, *_ = env.step(f"What colour? ANSWER: {wrong} {size} {name}")
    assert obs[-1]["content"].count(env.instance.facet("colour").statement) == 1


def test_a_chatty_user_praises_a_question_only_after_one_and_ends_with_its_ending(toy_task):
    user = ScriptedUser(patience=(1,), styles=("chatty",), typo_rates=(0.0,), evasiveness=(0.0,))
    for seed in range(10):
        env = CollabEnv(toy_task, user=user)
        env.reset(seed=seed, options={"task_id": "toy-test-00000"})
        colour, size, name = env.instance.reference
        wrong = next(c for c in ("red", "green", "blue") if c != colour)
        obs, *_ = env.step(f"ANSWER: {wrong} {size} {name}")
        reply = obs[-1]["content"]
        assert "question" not in reply.lower() and "helps" not in reply.lower()
        assert reply.endswith(TERMINATION_SIGNAL)
        assert reply.replace(TERMINATION_SIGNAL, "").rstrip().endswith(("stop here.", "myself."))


def test_a_correction_of_what_was_told_says_so(toy_task):
    env = _env(toy_task)
    colour, size, name = env.instance.reference
    wrong = next(c for c in ("red", "green", "blue") if c != colour)
    env.step("What colour?")
    obs, *_ = env.step(f"ANSWER: {wrong} {size} {name}")
    assert obs[-1]["content"] == f"Still not quite. {env.instance.facet('colour').statement}"


def test_the_user_and_the_engagement_judge_share_what_a_catch_all_question_is():
    from collab_env.facets import is_catch_all
    from collab_env.rewards.engagement import _read_question

    asked = ["Anything else?", "Can you tell me more?", "Does this look right?", "Any other requirements?",
             "Which shipping carrier do you prefer?", "What colour?", "Who is it for?", "How big is it?"]  # fmt: skip
    assert [is_catch_all(q) for q in asked] == [not _read_question(q).specific for q in asked]
    assert is_catch_all("Anything else?") and not is_catch_all("What colour?")


def test_a_question_asked_twice_in_one_message_gets_one_chance_at_an_answer():
    """The red team's ``question_twice``: the repeat is redundant, never a second draw against
    evasion; re-asking on a later turn (the fair control) still draws again."""
    import gymnasium as gym

    from collab_env.config import UserSpec

    user = UserSpec("scripted", options={"evasiveness": (0.5,)})
    question = "How much does each notebook cost?"
    dodged, told_later = 0, 0
    for seed in range(40):
        replies = []
        for message in (question, f"{question}\n\nTo repeat: {question}"):
            env = gym.make("CollabMath-v0", split="test", user=user)
            env.reset(seed=seed)
            events = env.step(message)[4]["user"]["events"]
            replies.append(sorted({e["type"] for e in events if e["type"] in ("reveal", "evasive")}))
        assert replies[0] == replies[1], (seed, replies)
        if replies[0] == ["evasive"]:  # the fair control: asked again on the next turn, a new draw
            dodged += 1
            events = env.step(f"Sorry to press: {question}")[4]["user"]["events"]
            told_later += any(e["type"] == "reveal" for e in events)
    assert dodged > 0 and told_later > 0
