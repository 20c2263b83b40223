"""Math family: answer extraction and the math-verify grader."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from collab_env.tasks.math import MathTask
from collab_env.tasks.math.metric import answers_equivalent, extract_answer

GRADING_CASES = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "math_grading_cases.jsonl"


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


@pytest.mark.parametrize(
    ("message", "reference"),
    [
        (r"So the probability is $\frac{3}{4}$.", "\\frac{3}{4}"),
        (r"The slope comes out as $-\frac{9}{4}$.", "-\\frac{9}{4}"),
        (r"The area of the ring is $49\pi$.", "49\\pi"),
        (r"The solution set is $(2,\infty)$.", "(2,\\infty)"),
        ("Therefore\n$$\n\\frac{12}{7}\n$$", "\\frac{12}{7}"),
        ("Hence \\[2\\sqrt{10}\\]", "2\\sqrt{10}"),
        (r"So the value is \(\pi-2\).", "\\pi-2"),
        (r"Solving, $x = \frac{1}{2}$.", "\\frac{1}{2}"),
    ],
)
def test_latex_answer_without_boxed_is_read_whole(message, reference):
    assert answers_equivalent(extract_answer(message), reference)


@pytest.mark.parametrize(
    ("message", "reference"),
    [
        (r"The diagonal is $\sqrt{2}$.", "2"),
        (r"There are $2^{10}$ subsets.", "10"),
        (r"The area is $49\pi$.", "49"),
        (r"So the ratio is $\frac{3}{4}$.", "4"),
        ("There are 2^{10} subsets.", "10"),
    ],
)
def test_wrong_answer_that_contains_the_right_number_fails(message, reference):
    assert not answers_equivalent(extract_answer(message), reference)


def test_number_after_a_latex_answer_does_not_replace_it():
    assert extract_answer(r"That gives $\frac{12}{7}$, as in step 2 of the method.") == "\\frac{12}{7}"


def test_last_boxed_answer_wins_over_an_earlier_guess():
    assert (
        extract_answer(r"First I got $\boxed{3}$; corrected, it is $\boxed{\frac{1}{2}}$.") == "\\frac{1}{2}"
    )


def test_a_trailing_question_does_not_hide_the_answer_before_it():
    assert extract_answer(r"We get $\frac{7}{20}$. Shall I show the algebra?") == "\\frac{7}{20}"
    assert extract_answer(r"Is the radius $5$?") is None


def test_stated_answer_keeps_its_brackets_and_drops_its_unit():
    assert extract_answer(r"So the answer is [0,\infty).") == "[0,\\infty)"
    assert extract_answer("The answer is 1,440 ways.") == "1440"
    assert extract_answer("**Answer:** $12$") == "12"


@pytest.mark.skipif(not GRADING_CASES.exists(), reason=f"{GRADING_CASES} is absent")
def test_grader_agrees_with_the_labels_of_the_grading_cases():
    cases = [json.loads(line) for line in GRADING_CASES.read_text().splitlines()][::3]
    agree = sum(
        (
            extract_answer(c["message"]) is not None
            and answers_equivalent(extract_answer(c["message"]), c["reference"])
        )
        == c["correct"]
        for c in cases
    )
    assert agree >= 0.99 * len(cases)


@pytest.mark.parametrize(
    "message",
    [
        r"So $x = 5$. Check: $2(5) + 3 = 13$.",
        "So x = 5. Let's verify: 2*5 + 3 = 13, as the problem says.",
        "You should get 5 dollars back.\n\n**Double-check:** 100 - 95 = 5, and 95 + 5 = 100.",
        r"The answer is $\boxed{5}$. Plugging it back in: $2 \cdot 5 + 3 = 13$.",
    ],
)
def test_a_check_after_the_answer_is_not_taken_for_the_answer(message):
    assert answers_equivalent(extract_answer(message), "5")


@pytest.mark.parametrize(
    "message",
    [
        "It might be 4, or possibly 5.",
        "The answer is $4$ or $5$.",
        r"$\boxed{4}$ or $\boxed{5}$",
        "It is either 4 or 5.",
        "The answer is 5. Or maybe 4.",
    ],
)
def test_an_answer_that_hedges_between_two_is_no_answer(message):
    assert extract_answer(message) is None


@pytest.mark.parametrize(
    "message",
    [
        r"The answer is $\frac{1}{2}$, or equivalently $0.5$.",
        r"The largest integer less than or equal to it is $\boxed{224}$.",
        "We could pick 2 or 3 of them at first. In the end there are 5 ways.",
    ],
)
def test_an_or_that_offers_no_second_answer_is_no_hedge(message):
    assert extract_answer(message) is not None


HEDGES = [
    r"{r} \lor {w}", r"{w} \vee {r}", r"{r} \wedge {w}", r"{w} \land {r}", r"{r} \cup {w}", r"{w} \mid {r}",
    r"{r} \text{{ or }} {w}", r"{w} \text{{ (or }} {r})", r"{r} \text{{ and/or }} {w}", r"\{{{r}, {w}\}}",
    r"\left\{{{w},{r}\right\}}", r"{r}, {w}", r"{w}; {r}", r"{w} | {r}", r"{r} \quad {w}", r"{w} \\ {r}",
    r"\begin{{cases}}{r} \\ {w}\end{{cases}}", r"x = {r} \text{{ or }} x = {w}",
]  # fmt: skip


@pytest.mark.parametrize("form", HEDGES)
@pytest.mark.parametrize("reference", ["7", r"\frac{13}{2}", r"2\sqrt{3}", r"(2, 3]"])
def test_an_answer_joined_to_a_wrong_one_by_a_connective_set_or_list_is_a_hedge(form, reference):
    assert not answers_equivalent(form.format(r=reference, w="12"), reference)


@pytest.mark.parametrize(
    ("predicted", "reference"),
    [
        (r"x = -3 \text{ or } x = 2", "2, -3"),  # the reference itself lists two solutions
        (r"\{2, -3\}", "-3, 2"),
        (r"2 \lor -3", r"\{-3, 2\}"),
        ("10,000", "10000"),  # thousands, not a list
        (r"\left| -3 \right|", "3"),  # bars of an absolute value, not a separator
        (r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}", r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}"),  # one vector
    ],
)
def test_an_answer_that_names_as_many_values_as_the_reference_is_graded_by_its_values(predicted, reference):
    assert answers_equivalent(predicted, reference)


def test_a_list_answer_must_hold_every_value_of_the_reference_and_no_other():
    assert not answers_equivalent("2, 5", "2, -3")
    assert not answers_equivalent("2, -3, 5", "2, -3")
    assert not answers_equivalent("2, 2", "2, -3")


def _never_returns(x):
    import time

    time.sleep(3600)


def _double(x):
    return 2 * x


def test_a_bounded_call_that_overruns_returns_the_default_and_the_next_call_gets_a_fresh_worker():
    from collab_env.tasks.math.bounded import BoundedCall

    stuck, works = BoundedCall(_never_returns, deadline_s=0.5, default=False), BoundedCall(_double)
    try:
        assert stuck(1) is False and stuck(2) is False  # each overrun kills its worker; none is left behind
        assert works(21) == 42
    finally:
        stuck.close(), works.close()


@pytest.mark.parametrize("answer", [r"(10^{10})!", "(" * 400 + "1" + ")" * 400])
def test_an_answer_sympy_cannot_finish_is_graded_wrong_in_a_worker_thread(answer):
    """A worker thread has no signal-based timeout: the comparison must still end (in the bounded worker)."""
    results: list[bool] = []
    thread = threading.Thread(target=lambda: results.append(answers_equivalent(answer, "7")), daemon=True)
    thread.start()
    thread.join(120)  # the bounded worker's start and deadline; the point is that it ends at all
    assert results == [False]


_SHARED: list = []  # a BoundedCall a forked child inherits


def _call_inherited(queue) -> None:
    queue.put(_SHARED[0](21))


def test_a_bounded_call_made_in_a_forked_process_starts_its_own_worker():
    import multiprocessing

    from collab_env.tasks.math.bounded import BoundedCall

    _SHARED[:] = [BoundedCall(_double)]
    try:
        assert _SHARED[0](1) == 2  # the parent's worker is up
        context = multiprocessing.get_context("fork")
        queue = context.Queue()
        child = context.Process(target=_call_inherited, args=(queue,))
        child.start()
        assert queue.get(timeout=120) == 42
        child.join(60)
    finally:
        _SHARED[0].close()
