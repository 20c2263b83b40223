"""R* and the offline engagement heuristic."""

from __future__ import annotations

import gymnasium as gym
import pytest

from collab_env.agents import make_agent
from collab_env.registration import ENV_IDS
from collab_env.rewards import IGNORED_COST, HeuristicEngagement, RewardConfig, conversation_reward
from collab_env.rollout import run_episode
from collab_env.testing.scripted_llm import NON_ANSWERS
from collab_env.tokens import count_tokens
from collab_env.users.scripted import _ACCEPT, _FILLER, _GIVE_UP


def _conv(*turns):
    roles = ("user", "assistant")
    return [{"role": roles[i % 2], "content": t} for i, t in enumerate(turns)]


@pytest.fixture
def instance(toy_task):
    return toy_task.instance("test", 0)


def test_no_assistant_turn_scores_zero(toy_task, instance):
    parts = conversation_reward(toy_task, instance, _conv("Make me a widget."))
    assert (parts.total, parts.task_metric, parts.engagement, parts.assistant_tokens) == (0, 0, 0, 0)


def _answer(instance):
    return "ANSWER: " + " ".join(instance.reference)


def test_question_answered_with_new_information_is_credited(toy_task, instance):
    colour = instance.facet("colour")
    conv = _conv(
        "Make me a widget.", "What colour should it be?", colour.statement, _answer(instance), "Thanks!"
    )
    score, details = HeuristicEngagement()(toy_task, instance, conv)
    assert details["answered"] == 1 and score == 1.0


def test_question_whose_answer_repeats_what_was_said_is_penalised(toy_task, instance):
    colour = instance.facet("colour")
    conv = _conv(
        "Make me a widget.", "What colour?", colour.statement, "What colour, again?",
        f"Like I told you, {colour.statement}", _answer(instance), "Thanks!",
    )  # fmt: skip
    score, details = HeuristicEngagement()(toy_task, instance, conv)
    assert (details["answered"], details["unanswered"]) == (1, 1) and score == pytest.approx(0.5)


def test_a_generic_question_earns_nothing_even_when_the_user_volunteers(toy_task, instance):
    colour = instance.facet("colour")
    conv = _conv("Make me a widget.", "Anything else?", colour.statement, _answer(instance), "Ok.")
    score, details = HeuristicEngagement()(toy_task, instance, conv)
    assert details["generic"] == 1 and score == 0.0


@pytest.mark.parametrize(
    "question", ["Is this what you had in mind?", "Does this look right?", "What colour should it be?"]
)
def test_a_question_beside_a_proposal_earns_nothing_and_its_correction_is_missed(
    toy_task, instance, question
):
    size = instance.facet("size")
    conv = _conv(
        "Make me a widget.", f"ANSWER: red small widget\n\n{question}", f"Not quite. {size.statement}"
    )
    score, details = HeuristicEngagement()(toy_task, instance, conv)
    assert (details["answered"], details["missed"], score) == (0, 1, 0.0)


def test_engagement_ignores_the_hidden_goal(toy_task, instance):
    """A question whose answer matches no facet still counts if the user told something new."""
    conv = _conv("Make me a widget.", "Is it a gift?", "Yes, for my nephew Tom.", _answer(instance), "Ok.")
    assert HeuristicEngagement()(toy_task, instance, conv)[0] == 1.0


def test_a_correction_after_a_guess_counts_as_a_missed_question(toy_task, instance):
    colour, size = instance.facet("colour"), instance.facet("size")
    guess = "ANSWER: red small widget"
    conv = _conv("Make me a widget.", "What colour?", colour.statement, guess, f"Not quite. {size.statement}")
    score, details = HeuristicEngagement()(toy_task, instance, conv)
    assert (details["answered"], details["missed"]) == (1, 1) and score == pytest.approx(0.5)


def test_an_accepted_solution_is_not_a_missed_question(toy_task, instance):
    conv = _conv("Make me a widget.", "What colour?", instance.facet("colour").statement, _answer(instance),
                 "Perfect, that works. Thanks! [[TERMINATE CHAT]]")  # fmt: skip
    assert HeuristicEngagement()(toy_task, instance, conv)[1]["missed"] == 0


def test_conversation_without_a_proposed_solution_scores_zero(toy_task, instance):
    colour, size = instance.facet("colour"), instance.facet("size")
    conv = _conv("Make me a widget.", "What colour?", colour.statement, "What size?", size.statement)
    score, details = HeuristicEngagement()(toy_task, instance, conv)
    assert details["answered"] == 2 and not details["solution_proposed"] and score == 0.0


def test_ten_questions_in_one_message_are_not_ten_times_as_engaging(toy_task, instance):
    shotgun = " ".join(["What colour?", "What size?", "What name?"] + ["Anything else?"] * 7)
    reply = " ".join(f.statement for f in instance.facets)
    conv = _conv("Make me a widget.", shotgun, reply, _answer(instance), "Thanks!")
    score, details = HeuristicEngagement()(toy_task, instance, conv)
    assert (details["answered"], details["excess"]) == (3, 7) and score == pytest.approx(0.3)


def test_token_penalty_counts_assistant_tokens_only(toy_task, instance):
    answer = "ANSWER: " + " ".join(instance.reference)
    conv = _conv("Make me a widget. " * 50, answer)
    parts = conversation_reward(toy_task, instance, conv, RewardConfig(token_penalty=10.0))
    assert parts.assistant_tokens == count_tokens(answer)
    assert parts.token_penalty == pytest.approx(10.0 * count_tokens(answer) / 1000)


def test_token_penalty_is_capped(toy_task, instance):
    conv = _conv("Make me a widget.", "word " * 3000)
    assert conversation_reward(toy_task, instance, conv, RewardConfig(token_penalty=1.0)).token_penalty == 1.0


def test_final_solution_is_the_last_one_proposed(toy_task, instance):
    right = "ANSWER: " + " ".join(instance.reference)
    conv = _conv("Make me a widget.", right, "Hm.", "ANSWER: none none none", "No.")
    assert conversation_reward(toy_task, instance, conv).task_metric < 1.0
    assert conversation_reward(toy_task, instance, conv[:3]).task_metric == 1.0


#: Non-answers as an LLM user writes them, none of them the scripted user's: the loopback LLM's
#: own (``NON_ANSWERS``) and an acknowledgement.
LLM_NON_ANSWERS = ("Sounds good, thanks!",)


@pytest.mark.parametrize("phrase", LLM_NON_ANSWERS + NON_ANSWERS)
def test_ordinary_non_answers_an_llm_writes_are_not_information(toy_task, instance, phrase):
    conv = _conv("Make me a widget.", "What colour?", phrase, _answer(instance), "Ok.")
    score, details = HeuristicEngagement()(toy_task, instance, conv)
    assert (details["answered"], details["unanswered"], score) == (0, 1, 0.0)


@pytest.mark.parametrize("phrase", sorted(_FILLER) + list(_ACCEPT + _GIVE_UP))
def test_scripted_users_non_answers_are_not_information_either(toy_task, instance, phrase):
    conv = _conv("Make me a widget.", "What colour?", phrase, _answer(instance), "Ok.")
    assert HeuristicEngagement()(toy_task, instance, conv)[1]["answered"] == 0


def test_the_heuristic_names_no_phrase_of_the_scripted_user():
    """Its word lists are general English: no canned phrase of the scripted user is in its source."""
    import inspect

    import collab_env.rewards.core as core
    import collab_env.rewards.engagement as engagement

    source = (inspect.getsource(core) + inspect.getsource(engagement)).lower()
    canned = sorted(_FILLER) + list(_ACCEPT + _GIVE_UP)
    assert not [p for p in canned if p.lower().rstrip(".!?") in source]


class _AskOnly:
    """Asks about what is missing (or anything) every turn and never proposes."""

    def __init__(self, drafter):
        self.drafter = drafter

    def __call__(self, messages):
        missing = self.drafter.missing(messages)
        return self.drafter.question(missing[0], messages) if missing else "What else should I know?"


@pytest.mark.parametrize("env_id", list(ENV_IDS))
def test_asking_without_ever_proposing_loses_to_passive_and_clarify_beats_both(env_id):
    env = gym.make(env_id, split="test")
    agents = {
        "ask_only": _AskOnly(env.unwrapped.task.drafter),
        "passive": make_agent("passive", env),
        "clarify": make_agent("clarify", env),
    }
    r_star = {
        name: sum(run_episode(env, agent, seed=seed).reward["total"] for seed in range(30)) / 30
        for name, agent in agents.items()
    }
    assert r_star["ask_only"] < r_star["passive"] < r_star["clarify"]


def test_an_answer_the_user_must_repeat_after_a_solution_was_ignored_and_costs_more_than_not_asking(
    toy_task, instance
):
    colour = instance.facet("colour")
    conv = _conv(
        "Make me a widget.", "What colour should it be?", colour.statement, "ANSWER: none none none",
        f"That's not it. {colour.statement}",
    )  # fmt: skip
    score, details = HeuristicEngagement()(toy_task, instance, conv)
    assert (details["answered"], details["ignored"], score) == (0, 1, -IGNORED_COST)
    not_asked = _conv("Make me a widget.", "ANSWER: none none none", f"That's not it. {colour.statement}")
    assert score < HeuristicEngagement()(toy_task, instance, not_asked)[0] == 0.0


def test_one_ignored_answer_outweighs_three_used_ones(toy_task, instance):
    """Asking and ignoring must not pay where the assistant's prior is right 3 times in 4."""
    colour, size = instance.facet("colour"), instance.facet("size")
    used = _conv("Make me a widget.", "What colour should it be?", colour.statement, "ANSWER: none none none")
    ignored = _conv(
        "Make me a widget.", "What size should it be?", size.statement, "ANSWER: none none none",
        f"That's not it. {size.statement}",
    )  # fmt: skip
    judge = HeuristicEngagement()
    assert 3 * judge(toy_task, instance, used)[0] + judge(toy_task, instance, ignored)[0] <= 0.0
