"""Code family: templates, hidden tests and the pass-rate metric."""

from __future__ import annotations

import itertools

import pytest
from collab_env.tasks.code import CodeTask
from collab_env.tasks.code.metric import run_tests
from collab_env.tasks.code.templates import TEMPLATES, render


@pytest.fixture(scope="module")
def task():
    return CodeTask()


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.key)
def test_every_variant_combination_passes_its_own_tests(template):
    # Our own templates, run in-process: the sandbox is for code an assistant wrote.
    for combo in itertools.product(*(slot.variants for slot in template.slots)):
        namespace: dict = {}
        labels = {s.kind: v.label for s, v in zip(template.slots, combo, strict=True)}
        exec(render(template, "f", labels), namespace)  # noqa: S102
        for variant in combo:
            exec(variant.test.replace("{name}", "f"), dict(namespace))  # noqa: S102


def test_reference_solution_scores_one(task):
    instance = task.instance("test", 0)
    assert task.score(instance, instance.reference.solution) == 1.0


def test_wrong_requirement_fails_exactly_its_test(task):
    instance = next(
        task.instance("test", i)
        for i in range(50)
        if task.instance("test", i).metadata["template"] == "average"
    )
    wrong = (
        instance.reference.solution.replace("return round(result, 2)", "return result")
        .replace("return round(result)", "return result + 0.5")
        .replace("    return result\n", "    return round(result, 1)\n")
    )
    assert task.score(instance, wrong) == pytest.approx(3 / 4)
    assert [f.name for f in task.unmet_facets(instance, wrong)] == ["rounding"]


def test_wrong_name_fails_every_test_and_is_named_first(task):
    instance = task.instance("test", 1)
    wrong = instance.reference.solution.replace(instance.reference.entry_point, "something_else")
    assert task.score(instance, wrong) == 0.0
    assert task.unmet_facets(instance, wrong)[0].name == "name"


@pytest.mark.parametrize(
    "code", ["while True:\n    pass\n", "raise SystemExit(0)\n", "import os\nos._exit(3)\n", "def f(:\n"]
)
def test_broken_or_hostile_code_scores_zero(task, code):
    assert task.score(task.instance("test", 2), code) == 0.0


def test_faking_the_result_line_does_not_pass():
    fake = "print('__collab_results_0000__{\"name\": null}')\n"
    assert run_tests(fake, [("name", "assert callable(f)")], timeout_s=5) == {
        "name": "NameError: name 'f' is not defined"
    }


def test_extract_solution_takes_the_last_code_block(task):
    text = "First:\n```python\nx = 1\n```\nBetter:\n```\nx = 2\n```"
    assert task.extract_solution(text) == "x = 2\n"
    assert task.extract_solution("What should it be called?") is None
