"""Forged test runs score 0: every known forgery, on every shared BigCodeBench task and on the
built-in CollabCode tasks, while honest solutions still pass (issue 40)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from benchmarks.forgeries import FORGERIES, forged_solution
from collab_env.tasks.code import CodeTask
from collab_env.tasks.code.harness import guard_with_statements
from collab_env.tasks.code.loader import BigCodeBenchReference, run_unittests
from collab_env.tasks.code.metric import run_tests
from collab_env.tasks.datasets import load_dataset

SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "data" / "code" / "bigcodebench_sample.jsonl"
needs_sample = pytest.mark.skipif(
    not SAMPLE.is_file(), reason=f"the shared BigCodeBench sample is absent ({SAMPLE})"
)


def _scores(task, instances, solution_of) -> dict[str, float]:
    """Each instance's score, the sandbox runs in parallel (they are separate processes)."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        scores = pool.map(lambda i: task.score(i, solution_of(i)), instances)
        return {i.task_id: s for i, s in zip(instances, scores, strict=True)}


@pytest.fixture(scope="module")
def bigcodebench():
    if not SAMPLE.is_file():
        pytest.skip(f"the shared BigCodeBench sample is absent ({SAMPLE})")
    return load_dataset(f"bigcodebench:{SAMPLE}")


@pytest.fixture(scope="module")
def builtin():
    task = CodeTask()
    return task, [task.instance("test", i) for i in range(0, 200, 25)]


@needs_sample
def test_every_canonical_bigcodebench_solution_still_passes(bigcodebench):
    scores = _scores(
        bigcodebench, bigcodebench.instances, lambda i: f"{i.facets[0].value}\n{i.reference.solution}"
    )
    assert set(scores.values()) == {1.0}, scores


@needs_sample
@pytest.mark.parametrize("name", FORGERIES)
def test_a_forged_run_scores_zero_on_every_shared_bigcodebench_task(bigcodebench, name):
    scores = _scores(bigcodebench, bigcodebench.instances, lambda i: forged_solution(name))
    assert set(scores.values()) == {0.0}, {k: v for k, v in scores.items() if v}


@pytest.mark.parametrize("name", FORGERIES)
def test_a_forged_run_scores_zero_on_the_builtin_tasks(builtin, name):
    task, instances = builtin
    scores = _scores(task, instances, lambda i: forged_solution(name, i.reference.entry_point))
    assert set(scores.values()) == {0.0}, {k: v for k, v in scores.items() if v}


_TESTS = """
import contextlib, logging, random, tempfile, unittest
from unittest.mock import patch

class TestCases(unittest.TestCase):
    def test_mocked(self):
        with patch("random.randint", return_value=7):
            self.assertEqual(task_func(), 7)

    @patch("random.randint", return_value=7)
    def test_decorated(self, randint):
        self.assertEqual(task_func(), 7)
        randint.assert_called_once()

    def test_logs(self):
        with self.assertLogs("collab", level="INFO") as logs:
            task_func()
        self.assertIn("drew", logs.output[0])

    def test_in_a_directory(self):
        with tempfile.TemporaryDirectory():
            self.assertEqual(task_func(), task_func())

    def test_raises(self):
        with self.assertRaises(ValueError), contextlib.suppress(KeyError):
            task_func(bad=True)
"""
_HONEST = """
import logging, random

def task_func(bad=False):
    if bad:
        raise ValueError("bad")
    logging.getLogger("collab").info("drew")
    return random.randint(1, 10) * 0 + 7
"""


def test_mock_assert_logs_and_context_managers_work_on_the_private_unittest():
    reference = BigCodeBenchReference(_TESTS, "task_func", ("random",), "")
    assert run_unittests(_HONEST, reference, timeout_s=20) == (5, 5, None)


def test_a_context_manager_patched_to_swallow_failures_does_not_pass_a_test():
    swallow = (
        "import contextlib, tempfile\n"
        "tempfile.TemporaryDirectory.__exit__ = lambda *args: True\n"
        "contextlib.ExitStack.__exit__ = contextlib._GeneratorContextManager.__exit__ = lambda *args: True\n"
        "def task_func(bad=False):\n    raise KeyError('skips the assertions after it')\n"
    )
    reference = BigCodeBenchReference(_TESTS, "task_func", ("random",), "")
    assert run_unittests(swallow, reference, timeout_s=20)[0] == 0


def test_a_solution_that_does_not_load_fails_every_test_with_its_reason():
    reference = BigCodeBenchReference(_TESTS, "task_func", ("random",), "")
    assert run_unittests("raise SystemExit(0)", reference, timeout_s=20) == (0, 5, "SystemExit: 0")


def test_the_tests_see_clean_builtins_and_helpers_whatever_the_solution_patched():
    patched = "import builtins\nbuiltins.len = lambda obj: 0\ndef f():\n    return [1, 2]\n"
    assert run_tests(patched, [("len", "assert len(f()) == 2")]) == {"len": None}


def test_with_statements_are_guarded_and_the_rest_of_the_source_is_kept():
    source = "import x\nwith a() as b, c():\n    with d():\n        pass\n"
    assert guard_with_statements(source) == (
        "import x\nwith __collab_guard__(a()) as b, __collab_guard__(c()):\n"
        "    with __collab_guard__(d()):\n        pass"
    )
    assert guard_with_statements("def f(:") == "def f(:"


_NUMPY_TESTS = """
import unittest
import numpy as np

class TestCases(unittest.TestCase):
    def test_sum(self):
        self.assertEqual(task_func(np.arange(4)), 6)

    def test_type(self):
        self.assertIsInstance(task_func(np.arange(2)), int)
"""


@pytest.mark.parametrize("name", ["honest", "patched_asserts", "patched_testcase_run", "forged_result_line"])
def test_with_site_packages_modules_site_loaded_are_private_too(name):
    # site.py loads contextlib, functools, re... before the harness; the tests get fresh copies.
    reference = BigCodeBenchReference(_NUMPY_TESTS, "task_func", ("numpy",), "")
    honest = "def task_func(values):\n    return int(values.sum())\n"
    passed, total, _ = run_unittests(honest if name == "honest" else forged_solution(name), reference)
    assert (passed, total) == ((2, 2) if name == "honest" else (0, total))
