"""R* and the offline engagement heuristic."""

from __future__ import annotations

import pytest

from collab_env.rewards import HeuristicEngagement, RewardConfig, conversation_reward
from collab_env.tokens import count_tokens


def _conv(*turns):
    roles = ("user", "assistant")
    return [{"role": roles[i % 2], "content": t} for i, t in enumerate(turns)]


@pytest.fixture
def instance(toy_task):
    return toy_task.instance("test", 0)


def test_no_assistant_turn_scores_zero(toy_task, instance):
    parts = conversation_reward(toy_task, instance, _conv("Make me a widget."))
    assert (parts.total, parts.task_metric, parts.engagement, parts.assistant_tokens) == (0, 0, 0, 0)


def test_questions_about_hidden_facets_are_credited(toy_task, instance):
    colour = instance.facet("colour")
    score, details = HeuristicEngagement()(
        toy_task, instance, _conv("Make me a widget.", "What colour should it be?", colour.statement)
    )
    assert details["useful"] == ["colour"] and score == pytest.approx(1 / 3)


def test_asking_again_about_a_known_facet_is_penalised(toy_task, instance):
    colour = instance.facet("colour")
    conv = _conv("Make me a widget.", "What colour?", colour.statement, "What colour, again?", "As I said.")
    score, details = HeuristicEngagement()(toy_task, instance, conv)
    assert details["redundant"] == 1 and score == pytest.approx(1 / 3 - 0.1)


def test_ten_questions_in_one_message_are_not_ten_times_as_engaging(toy_task, instance):
    shotgun = " ".join(["What colour?", "What size?", "What name?"] + ["Anything else?"] * 7)
    score, details = HeuristicEngagement()(toy_task, instance, _conv("Make me a widget.", shotgun))
    assert len(details["useful"]) == 3 and details["redundant"] == 7
    assert score == pytest.approx(1.0 - 0.7)


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
