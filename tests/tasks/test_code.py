"""Code family: templates, hidden tests, the drafter, solution extraction and the pass-rate metric.

Our own template code is trusted and checked in-process over the whole test split (fast); the
sandboxed path is checked on a few instances per template and on hostile code.
"""

from __future__ import annotations

import itertools
import pickle
import time

import gymnasium as gym
import numpy as np
import pytest

from collab_env.agents.scripted import ClarifyAgent, PassiveAgent
from collab_env.builders import make_env, make_task, with_parts
from collab_env.errors import ConfigError, SandboxError
from collab_env.facets import match_facets
from collab_env.rollout import run_episode
from collab_env.sandbox import SandboxResult
from collab_env.tasks.code import CodeTask
from collab_env.tasks.code import task as task_module
from collab_env.tasks.code.metric import HELPERS, raise_if_host_stalled, run_tests
from collab_env.tasks.code.templates import NAME_STATEMENT, TEMPLATES, render

from .conftest import fully_informed, opening_only


@pytest.fixture(scope="module")
def task():
    return CodeTask()


@pytest.fixture(scope="module")
def instances(task):
    return [task.instance("test", i) for i in range(task.test_size)]


@pytest.fixture(scope="module")
def sample(instances):
    """Three test instances of each template, for the sandboxed checks."""
    by_template: dict[str, list] = {}
    for instance in instances:
        by_template.setdefault(instance.metadata["template"], []).append(instance)
    return [i for group in by_template.values() for i in group[:3]]


def _helpers() -> dict:
    namespace: dict = {}
    exec(HELPERS, namespace)  # noqa: S102 - our own helper source
    return namespace["_make_helpers"]()


def _results_in_process(code: str, tests) -> dict[str, bool]:
    """Our own (trusted) template code against the tests, without the sandbox."""
    namespace: dict = {"__name__": "solution"}
    exec(code, namespace)  # noqa: S102
    passed = {}
    for name, source in tests:
        try:
            exec(source, {**namespace, **_helpers()})  # noqa: S102
            passed[name] = True
        except Exception:
            passed[name] = False
    return passed


def _draft_code(task, messages) -> str:
    return task.extract_solution(task.drafter.draft(messages))


# -- templates and instances ----------------------------------------------------------------


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.key)
def test_every_variant_combination_passes_its_own_tests(template):
    for combo in itertools.product(*(slot.variants for slot in template.slots)):
        labels = {s.kind: v.label for s, v in zip(template.slots, combo, strict=True)}
        tests = [(v.label, v.test.replace("{name}", "f")) for v in combo]
        assert all(_results_in_process(render(template, "f", labels), tests).values()), labels


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.key)
def test_each_requirement_test_fails_for_every_other_variant(template):
    # What makes asking pay off: a guessed variant that is not the user's fails its test.
    for slot in template.slots:
        for right, wrong in itertools.permutations(slot.variants, 2):
            code = render(template, "f", {slot.kind: wrong.label})
            passed = _results_in_process(code, [("t", right.test.replace("{name}", "f"))])
            assert not passed["t"], f"{template.key}.{slot.kind}: {wrong.label!r} passes {right.label!r}"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.key)
def test_statements_are_unambiguous_within_a_template(template):
    statements = [v.statement.lower() for s in template.slots for v in s.variants]
    statements.append(NAME_STATEMENT.lower())
    for a, b in itertools.permutations(statements, 2):
        assert a not in b, f"{a!r} is part of {b!r}"


def test_there_are_at_least_six_templates_and_all_appear_in_the_test_split(instances):
    assert len(TEMPLATES) >= 6
    assert {i.metadata["template"] for i in instances} == {t.key for t in TEMPLATES}


def test_instances_have_three_to_six_hidden_facets_and_one_test_each(instances):
    for instance in instances:
        assert 3 <= len(instance.hidden_facets) <= 6
        assert [name for name, _ in instance.reference.tests] == [f.name for f in instance.facets]
        assert instance.opening in instance.request
        assert all(f.statement in instance.request for f in instance.facets)


def test_generation_is_fast_and_deterministic(task):
    start = time.perf_counter()
    made = [task.make_instance(np.random.default_rng(seed), "code-train-00000") for seed in range(200)]
    assert (time.perf_counter() - start) / 200 < 0.005
    assert made[7] == task.make_instance(np.random.default_rng(7), "code-train-00000")


# -- the drafter (the public knowledge the built-in agents use) ------------------------------


def test_fully_informed_drafts_pass_every_test_for_the_whole_test_split(task, instances):
    for instance in instances:
        passed = _results_in_process(_draft_code(task, fully_informed(instance)), instance.reference.tests)
        assert all(passed.values()), (instance.task_id, passed)


def test_opening_only_drafts_fail_for_at_least_80_percent(task, instances):
    failing = [
        not all(_results_in_process(_draft_code(task, opening_only(i)), i.reference.tests).values())
        for i in instances
    ]
    assert sum(failing) >= 0.8 * len(instances)


def test_missing_lists_the_hidden_kinds_until_they_are_stated(task, instances):
    for instance in instances:
        assert task.drafter.missing(opening_only(instance)) == [f.kind for f in instance.hidden_facets]
        assert task.drafter.missing(fully_informed(instance)) == []


def test_each_question_finds_the_facets_of_its_kind_and_no_other(task, instances):
    for instance in instances:
        for facet in instance.hidden_facets:
            matched = match_facets(task.drafter.question(facet.kind), instance.facets, task.facet_kinds)
            assert [f.kind for f in matched] == [facet.kind], (instance.task_id, facet.kind)


def test_drafter_reads_statements_inside_chatty_text_in_any_case(task, instances):
    instance = next(i for i in instances if i.metadata["template"] == "running_totals")
    shouted = " ".join(f"Hmm, ok. {f.statement.upper()}  Thanks!" for f in instance.hidden_facets)
    messages = [*opening_only(instance), {"role": "assistant", "content": "Any details?"}]
    messages.append({"role": "user", "content": shouted})
    known = task.drafter.known(messages)
    assert {k: v for k, v in known.items() if k != "name"} == {
        f.kind: f.value for f in instance.hidden_facets if f.kind != "name"
    }


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Call the function `mean_of`.", "mean_of"),
        ("Oh, please name it `avg2` thanks", "avg2"),
        ("call it list_mean", "list_mean"),
        ("I'd call it whatever you like.", None),
        ("The function should do this properly.", None),
    ],
)
def test_drafter_reads_the_function_name(task, text, name):
    messages = [{"role": "user", "content": TEMPLATES[0].gist}, {"role": "user", "content": text}]
    assert task.drafter.known(messages).get("name") == name


def test_drafter_recognises_a_paraphrased_opening(task):
    messages = [{"role": "user", "content": "I need some code to merge my overlapping time intervals."}]
    assert task.drafter.template(messages).key == "merge_intervals"
    assert task.drafter.template([{"role": "user", "content": "Hello there!"}]) is None
    assert task.extract_solution(task.drafter.draft([{"role": "user", "content": "Hello there!"}]))


# -- solution extraction -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("First:\n```python\nx = 1\n```\nBetter:\n```\nx = 2\n```", "x = 2\n"),
        ("```python\nx = 1\n```\nRun it with:\n```bash\npython x.py\n```", "x = 1\n"),
        ("```bash\nls\n```\nthen\n```python\nx = 3\n```", "x = 3\n"),
        ("Sure!\n```Python\ndef f():\n    return 1\n", "def f():\n    return 1\n"),
        ("1. Code:\n   ```py\n   def f():\n       return 1\n   ```", "def f():\n    return 1\n"),
        ("Windows lines:\r\n```python\r\nx = 4\r\n```\r\n", "x = 4\r\n"),
        ("What should the function be called? And should it round?", None),
        ("Here you go: ```python```", None),
        ("Empty:\n```python\n\n```", None),
    ],
)
def test_extract_solution_takes_the_last_python_block(task, text, code):
    assert task.extract_solution(text) == code


# -- the metric, in the sandbox ------------------------------------------------------------------


def test_reference_and_fully_informed_drafts_score_one_in_the_sandbox(task, sample):
    for instance in sample:
        assert task.score(instance, instance.reference.solution) == 1.0
        assert task.score(instance, _draft_code(task, fully_informed(instance))) == 1.0
        assert task.unmet_facets(instance, instance.reference.solution) == []


def test_opening_only_drafts_are_rejected_in_the_sandbox(task, sample):
    scores = [task.score(i, _draft_code(task, opening_only(i))) for i in sample]
    assert sum(s < task.accept_threshold for s in scores) >= 0.8 * len(sample)


def test_a_wrong_requirement_fails_exactly_its_facet(task, instances):
    instance = next(i for i in instances if i.metadata["template"] == "average")
    facet = instance.facet("rounding")
    template = next(t for t in TEMPLATES if t.key == "average")
    labels = {f.kind: f.value for f in instance.hidden_facets}
    wrong = next(v.label for v in template.slots[2].variants if v.label != facet.value)
    code = render(template, instance.reference.entry_point, {**labels, "rounding": wrong})
    assert task.score(instance, code) == 0.0  # pass/fail: 3 of 4 tests is a failure
    details = task.metric_details(instance, code)
    assert {k: details[k] for k in ("tests_passed", "tests", "share_passed")} == {
        "tests_passed": 3, "tests": 4, "share_passed": 0.75
    }  # fmt: skip
    assert list(details["failures"]) == ["rounding"]  # why each failing test failed
    assert CodeTask(scoring="share").score(instance, code) == pytest.approx(3 / 4)
    assert task.unmet_facets(instance, code) == [facet]


def test_unknown_scoring_rule_is_refused():
    with pytest.raises(ConfigError, match="scoring"):
        CodeTask(scoring="partial")


def test_env_info_reports_the_share_of_tests_passed(instances):
    env = gym.make("CollabCode-v0", split="test")
    env.reset(seed=0)
    code = f"```python\n{env.unwrapped.instance.reference.solution}```"
    *_, info = env.step(code)
    assert info["task_metric_details"]["share_passed"] == 1.0 and info["reward"]["task_metric"] == 1.0


def test_a_wrong_name_fails_every_test_and_is_named_first(task, instances):
    instance = instances[1]
    wrong = instance.reference.solution.replace(instance.reference.entry_point, "something_else")
    assert task.score(instance, wrong) == 0.0
    assert task.unmet_facets(instance, wrong)[0].name == "name"


@pytest.mark.parametrize(
    "code",
    [
        "while True:\n    pass\n",
        "raise SystemExit(0)\n",
        "import os\nos._exit(3)\n",
        "def f(:\n",
        "import os\nos.kill(os.getppid(), 9)\n",
    ],
    ids=["loop", "exit", "os-exit", "syntax", "kill-supervisor"],
)
def test_broken_or_hostile_code_scores_zero(code):
    assert CodeTask(timeout_s=1).score(CodeTask().instance("test", 2), code) == 0.0


def test_an_object_that_equals_anything_does_not_pass(task, instances):
    instance = next(i for i in instances if i.metadata["template"] == "duration")
    cheat = (
        "class Anything:\n    def __eq__(self, other):\n        return True\n    __hash__ = object.__hash__\n"
        f"def {instance.reference.entry_point}(*args, **kwargs):\n    return Anything()\n"
    )
    assert task.unmet_facets(instance, cheat) == list(instance.hidden_facets[1:])


def test_forged_result_lines_and_patched_builtins_do_not_pass():
    forge = (
        "import builtins, glob\n"
        "print(glob.glob('*.py'))\n"
        "print('__collab_results_0000__{\"name\": null}')\n"
        "builtins.callable = lambda obj: True\n"
    )
    assert run_tests(forge, [("name", "assert callable(f)")], timeout_s=5) == {
        "name": "NameError: name 'f' is not defined"
    }


def test_a_function_that_hangs_on_one_input_fails_only_that_test():
    code = "def f(x):\n    while x == 0:\n        pass\n    return x\n"
    tests = [("ok", "assert f(1) == 1"), ("hangs", "f(0)"), ("ok_too", "assert f(2) == 2")]
    results = run_tests(code, tests, timeout_s=3)
    assert results["ok"] is None and results["ok_too"] is None and "CPU time" in results["hangs"]


def test_the_same_code_runs_in_the_sandbox_once(monkeypatch, instances):
    calls = []
    monkeypatch.setattr(task_module, "run_tests", lambda *a: calls.append(a) or {"name": None})
    fresh = CodeTask(cache_size=2)
    fresh.score(instances[0], "x = 1")
    fresh.unmet_facets(instances[0], "x = 1")
    assert len(calls) == 1
    fresh.score(instances[0], "x = 2")
    fresh.score(instances[0], "x = 3")
    fresh.score(instances[0], "x = 1")  # evicted by the two newer ones
    assert len(calls) == 4


def test_task_pickles_with_an_empty_cache(task, instances):
    copy = pickle.loads(pickle.dumps(task))
    assert copy.timeout_s == task.timeout_s and copy.score(instances[0], "x = 1") == 0.0


# -- the whole loop with the scripted user ----------------------------------------------------------


def test_clarify_beats_passive_against_the_scripted_user():
    env = make_env("code", split="test")
    means = {}
    for name, agent in (("passive", PassiveAgent), ("clarify", ClarifyAgent)):
        scores = []
        for index in range(0, 200, 20):
            result = run_episode(
                env, agent(env.unwrapped.task.drafter), seed=index, task_id=f"code-test-{index:05d}"
            )
            scores.append((result.reward["task_metric"], result.reward["total"]))
        means[name] = np.mean(scores, axis=0).tolist()
    # A patient user (scripted-v4) corrects a passive agent into success most of the time: asking
    # first succeeds at least as often and pays in R* (fewer drafts, engagement).
    assert means["clarify"][0] >= means["passive"][0] and means["clarify"][1] > means["passive"][1] + 0.2, (
        means
    )


def test_code_that_sleeps_past_its_wall_clock_budget_fails_rather_than_being_lost():
    results = run_tests("import time\ndef f():\n    time.sleep(30)\n", [("a", "f()"), ("b", "assert 1")], 2.0)
    assert results["a"].startswith("Blocked") and results["b"] is not None


def test_a_run_the_host_starved_is_lost_not_scored():
    starved = SandboxResult(-9, "", "", True, "timeout", wall_s=5.0, cpu_s=0.2, wait_s=4.6, frozen_s=0.1)
    with pytest.raises(SandboxError, match="the host stalled it, so it is not scored"):
        raise_if_host_stalled(starved, "the test run")
    asleep = SandboxResult(-9, "", "", True, "timeout", wall_s=5.0, cpu_s=0.2, wait_s=0.1, frozen_s=0.0)
    raise_if_host_stalled(asleep, "the test run")  # the code's own doing: scored as a failure


_IGNORE_ALARMS = (
    "import signal\nfor _s in (signal.SIGALRM, signal.SIGPROF):\n    signal.signal(_s, signal.SIG_IGN)\n"
)
#: Solutions that get past the harness's own guards; each must fail its tests, never be lost.
_HOSTILE_SOLUTIONS = {
    "sleep_ignoring_sigalrm": _IGNORE_ALARMS + "import time\ndef f():\n    time.sleep(600)\n",
    "busy_spin_ignoring_signals": _IGNORE_ALARMS + "def f():\n    while True:\n        pass\n",
    "blocking_read_on_a_pipe": _IGNORE_ALARMS
    + "import os\n_r, _w = os.pipe()\ndef f():\n    os.read(_r, 1)\n",
    "os_exit_early": "import os\nos._exit(0)\n",
    "os_exit_in_a_test": "import os\ndef f():\n    os._exit(0)\n",
}


@pytest.mark.slow
@pytest.mark.parametrize("solution", _HOSTILE_SOLUTIONS.values(), ids=_HOSTILE_SOLUTIONS.keys())
def test_code_that_defeats_the_harness_guards_fails_its_tests_rather_than_being_lost(solution):
    results = run_tests(solution, [("a", "f()"), ("b", "assert 1")], 1.5)  # no SandboxError
    if any("the host stalled it" in (why or "") for why in results.values()):
        pytest.skip(f"this host starved the run: {results}")  # by measure; see tests/test_sandbox.py
    assert all(why is not None for why in results.values()), results
    if "exit" not in solution:
        assert all("the program slept, blocked or spun" in why for why in results.values()), results


@pytest.mark.slow
def test_a_proposal_that_sleeps_past_the_sandbox_clock_scores_0_with_its_reason_in_info():
    env = with_parts("CollabCode-v0", split="test", task=make_task("code", timeout_s=1.5))
    env.reset(seed=0)
    name = env.unwrapped._state.instance.reference.entry_point
    code = _HOSTILE_SOLUTIONS["sleep_ignoring_sigalrm"].replace("def f():", f"def {name}(*args, **kwargs):")
    *_, truncated, info = env.step(f"```python\n{code}```")
    assert not truncated and "error" not in info
    details = info["task_metric_details"]
    assert details["tests_passed"] == 0 and details["failures"]
    assert all("wall-clock limit" in why for why in details["failures"].values()), details


def test_env_reports_a_starved_test_run_as_lost_with_its_reason(monkeypatch):
    env = gym.make("CollabCode-v0", split="test")
    env.reset(seed=0)

    def starved(*args, **kwargs):
        raise SandboxError("the test run hit its 5.0 s wall-clock limit after only 0.10 s of CPU time")

    monkeypatch.setattr(task_module, "run_tests", starved)
    *_, terminated, truncated, info = env.step("```python\ndef f():\n    return 1\n```")
    assert truncated and not terminated and "wall-clock limit" in info["error"]
