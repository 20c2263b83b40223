"""The engagement heuristic under repetition: a question asked twice, an answer stated twice."""

from __future__ import annotations

import statistics

import gymnasium as gym
import pytest

from collab_env.agents.scripted import ClarifyAgent
from collab_env.registration import ENV_IDS
from collab_env.rewards import HeuristicEngagement
from collab_env.rollout import run_episode
from tests.test_reward import _answer, _conv


@pytest.fixture
def instance(toy_task):
    return toy_task.instance("test", 0)


class _AskTwice:
    """Clarify's agent with one question a message, asked twice in that message."""

    def __init__(self, drafter) -> None:
        self.clarify = ClarifyAgent(drafter, max_questions=1)

    def __call__(self, messages) -> str:
        text = self.clarify(messages)
        lead = "Before I start, a quick question: "
        return f"{text} {text.removeprefix(lead)}" if text.startswith(lead) else text


def _mean_engagement(env, agent, episodes: int = 20) -> float:
    return statistics.fmean(run_episode(env, agent, seed=s).reward["engagement"] for s in range(episodes))


@pytest.mark.parametrize("env_id", list(ENV_IDS))
def test_asking_the_same_question_twice_in_a_message_earns_no_more_than_asking_once(env_id):
    env = gym.make(env_id, split="test")
    drafter = env.unwrapped.task.drafter
    once = _mean_engagement(env, ClarifyAgent(drafter, max_questions=1))
    assert _mean_engagement(env, _AskTwice(drafter)) <= once


def test_a_question_repeated_in_one_message_is_credited_once_and_judged_as_repeated(toy_task, instance):
    colour = instance.facet("colour")
    wrong = "ANSWER: none none none"
    twice = _conv("Make me a widget.", "What colour should it be? What colour should it be?",
                  f"{colour.statement} As I said: {colour.statement}", wrong, "Not quite.")  # fmt: skip
    once = _conv("Make me a widget.", "What colour should it be?", colour.statement, wrong, "Not quite.")
    judge = HeuristicEngagement()
    score, details = judge(toy_task, instance, twice)
    assert (details["answered"], details["repeated"]) == (1, 1)
    assert score < judge(toy_task, instance, once)[0]


def test_a_sentence_that_repeats_the_reply_brings_no_new_information(toy_task, instance):
    colour = instance.facet("colour")
    conv = _conv("Make me a widget.", "What colour should it be? And what shade of colour, exactly?",
                 f"{colour.statement} As I said: {colour.statement}", _answer(instance), "Thanks!")  # fmt: skip
    score, details = HeuristicEngagement()(toy_task, instance, conv)
    assert (details["answered"], details["unanswered"], score) == (1, 1, 0.5)


def test_two_different_questions_each_answered_are_both_credited(toy_task, instance):
    colour, size = instance.facet("colour"), instance.facet("size")
    conv = _conv("Make me a widget.", "What colour should it be? What size should it be?",
                 f"{colour.statement} {size.statement}", _answer(instance), "Thanks!")  # fmt: skip
    score, details = HeuristicEngagement()(toy_task, instance, conv)
    assert (details["answered"], details["unanswered"], score) == (2, 0, 1.0)


def test_the_same_choice_picked_twice_in_a_reply_informs_once(toy_task, instance):
    conv = _conv("Clara met Hana.", "Do you mean Clara or Hana? And what colour should it be?",
                 "I mean Hana. Hana, I said.", _answer(instance), "Thanks!")  # fmt: skip
    details = HeuristicEngagement()(toy_task, instance, conv)[1]
    assert (details["answered"], details["unanswered"]) == (1, 1)
