"""Math family: answer extraction and the math-verify grader."""

from __future__ import annotations

import threading

import pytest
from collab_env.tasks.math import MathTask
from collab_env.tasks.math.metric import answers_equivalent, extract_answer


@pytest.mark.parametrize(
    ("predicted", "reference"),
    [
        ("6.5", "\\frac{13}{2}"),
        ("\\frac{26}{4}", "\\frac{13}{2}"),
        ("\\$90", "90"),
        ("90.00", "90"),
        ("2", "2"),
    ],
)
def test_equivalent_answers_are_accepted(predicted, reference):
    assert answers_equivalent(predicted, reference)


@pytest.mark.parametrize(
    ("predicted", "reference"), [("6", "\\frac{13}{2}"), ("3.33", "\\frac{10}{3}"), ("", "2")]
)
def test_different_answers_are_rejected(predicted, reference):
    assert not answers_equivalent(predicted, reference)


def test_grader_works_outside_the_main_thread():
    results = []
    thread = threading.Thread(target=lambda: results.append(answers_equivalent("0.75", "\\frac{3}{4}")))
    thread.start()
    thread.join()
    assert results == [True]


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("so it is \\boxed{\\frac{7}{2}} hours", "\\frac{7}{2}"),
        ("First \\boxed{1}, then \\boxed{2}.", "2"),
        ("The answer is 42.", "42"),
        ("Answer: 3/4", "3/4"),
        ("How many pens did you buy?", None),
        ("So you get 13.5 dollars back.", "13.5"),
        ("It takes 12/5 hours.", "12/5"),
        ("Each pen costs $2, right?", None),
    ],
)
def test_final_answer_extraction(text, answer):
    assert extract_answer(text) == answer


def test_reference_answers_are_exact_and_scored_one():
    task = MathTask()
    for i in range(20):
        instance = task.instance("test", i)
        assert task.score(instance, instance.reference.answer) == 1.0
