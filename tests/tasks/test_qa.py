"""QA family: normalisation, token F1 and answer extraction."""

from __future__ import annotations

import pytest
from collab_env.tasks.qa import QATask
from collab_env.tasks.qa.metric import is_correct, normalize_answer, token_f1


def test_normalisation_ignores_case_punctuation_and_articles():
    assert normalize_answer("The Old  Market!") == normalize_answer("old market")


def test_token_f1_is_partial_credit():
    assert token_f1("a big red apple", "red apple") == pytest.approx(0.8)
    assert token_f1("pears", "apples") == 0.0


def test_intended_answer_is_correct_and_the_other_reading_is_not():
    task = QATask()
    for i in range(50):
        instance = task.instance("test", i)
        assert task.score(instance, instance.reference.answer) == 1.0
        assert all(task.score(instance, other) == 0.0 for other in instance.reference.other_answers)


def test_f1_threshold_accepts_near_matches():
    assert is_correct("the fresh bread", ["fresh bread"]) and not is_correct("bread", ["a basket of plums"])


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("Answer: the library", "the library"),
        ("Sure! On Monday.", "On Monday."),
        ("Do you mean Anna or Beth?", None),
    ],
)
def test_answer_extraction(text, answer):
    assert QATask().extract_solution(text) == answer
