"""CodeTask: write a Python function whose requirements the user reveals only when asked."""

from __future__ import annotations

import functools
import re
import textwrap
from typing import Any

import numpy as np

from collab_env.errors import ConfigError
from collab_env.task import Task
from collab_env.types import Facet, FacetKind, TaskInstance

from .drafter import CodeDrafter
from .generator import make_instance
from .metric import pass_rate, run_tests
from .templates import KINDS

_OPEN_FENCE = re.compile(r"^[ \t]*(?P<fence>`{3,})[ \t]*(?P<info>[^`\s]*)[^`]*$")
_PYTHON_INFO = ("", "python", "py", "python3", "py3")
#: ``scoring`` -> the metric's name in reports.
SCORING = {"all": "all_tests_pass", "share": "pass_rate"}


def extract_code(text: str) -> str | None:
    """The code of the last non-empty fenced block of ``text`` tagged as Python or untagged.

    Fences are read line by line (a closing fence is never taken for an opening one); blocks in
    other languages are skipped; an unclosed block runs to the end of the text; the block's
    common indentation is removed (blocks nested in list items).

    >>> extract_code("Try:\\n```python\\nx = 1\\n```\\nor\\n```bash\\nls\\n```")
    'x = 1\\n'
    >>> extract_code("What should it be called?") is None
    True
    """
    blocks, lines, i = [], text.splitlines(keepends=True), 0
    while i < len(lines):
        opening = _OPEN_FENCE.match(lines[i].rstrip("\r\n"))
        i += 1
        if opening is None:
            continue
        closing = re.compile(rf"^[ \t]*{opening['fence']}`*[ \t]*$")
        body = []
        while i < len(lines) and not closing.match(lines[i].rstrip("\r\n")):
            body.append(lines[i])
            i += 1
        i += 1
        code = textwrap.dedent("".join(body))
        if opening["info"].lower() in _PYTHON_INFO and code.strip():
            blocks.append(code)
    return blocks[-1] if blocks else None


class CodeTask(Task):
    """Function writing with hidden requirements (name, edge cases, errors, output format).

    The opening gives the gist ("Can you write a Python function that averages a list of
    numbers?"); the function's name and each requirement are hidden facets. Hidden unit tests,
    one per facet, run in the sandbox against the code of the assistant's last fenced code
    block, all in one sandboxed interpreter. R_ext follows the protocol of BigCodeBench and of
    the source paper: 1 when every test passes, else 0 (metric ``all_tests_pass``); with
    ``scoring="share"`` it is the share of tests passed instead (metric ``pass_rate``). Either
    way the share passed is in :meth:`metric_details` (``info["task_metric_details"]``). A test
    that runs out of its CPU-time budget fails, and so does code that sleeps, blocks or spins past
    the sandbox's wall clock (the reasons are in ``info["task_metric_details"]["failures"]``); only
    a run the supervisor measured the host starved or froze raises ``SandboxError``: lost, not
    scored.
    ``accept_threshold`` is 1.0: the user accepts only code that passes every test, and
    otherwise states the requirement of a failing test.

    Args:
        timeout_s: Wall-clock limit of one solution's test run, in seconds.
        cache_size: Test results kept per task object (least recently used dropped first), so
            that the scripted user and the reward never run the same code twice.
        scoring: ``"all"`` (pass/fail, the default) or ``"share"`` (share of tests passed).

    Raises:
        ConfigError: for a non-positive ``timeout_s``, a negative ``cache_size`` or an unknown
            ``scoring``.
    """

    name = "code"
    version = "0"
    metric_name = "all_tests_pass"
    facet_kinds = tuple(FacetKind(kind, question, keywords) for kind, (question, keywords) in KINDS.items())
    accept_threshold = 1.0

    def __init__(self, timeout_s: float = 5.0, cache_size: int = 4096, scoring: str = "all") -> None:
        if scoring not in SCORING:
            raise ConfigError(f"scoring must be one of {sorted(SCORING)}, got {scoring!r}")
        self.scoring, self.metric_name = scoring, SCORING[scoring]
        if timeout_s <= 0:
            raise ConfigError(f"timeout_s must be > 0, got {timeout_s}")
        if cache_size < 0:
            raise ConfigError(f"cache_size must be >= 0, got {cache_size}")
        self.timeout_s, self.cache_size = timeout_s, cache_size
        self._drafter = CodeDrafter()
        self._run = functools.lru_cache(maxsize=cache_size)(self._run_uncached)

    def __getstate__(self) -> dict:
        # The cache holds a bound method and cannot be pickled; a copy starts with an empty one.
        return {k: v for k, v in self.__dict__.items() if k != "_run"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._run = functools.lru_cache(maxsize=self.cache_size)(self._run_uncached)

    def make_instance(self, rng: np.random.Generator, task_id: str) -> TaskInstance:
        """Generate a function-writing request (see :func:`.generator.make_instance`)."""
        return make_instance(rng, task_id)

    def extract_solution(self, text: str) -> str | None:
        """The code of the message's last Python (or untagged) fenced code block, or ``None``.

        >>> CodeTask().extract_solution("Try:\\n```python\\nx = 1\\n```"), CodeTask().extract_solution("Name?")
        ('x = 1\\n', None)
        """
        return extract_code(text)

    def score(self, instance: TaskInstance, solution: str) -> float:
        """1.0 when the code passes every hidden test, else 0.0 (the share with ``scoring="share"``).

        Raises:
            SandboxError: if the sandbox itself cannot run, or the host stopped the run (never
                scored as 0).
        """
        share = self.metric_details(instance, solution)["share_passed"]
        return share if self.scoring == "share" else float(share == 1.0)

    def metric_details(self, instance: TaskInstance, solution: str) -> dict[str, Any]:
        """Tests passed, tests run, their share, and why each failing test failed (by name)."""
        results = self.test_results(instance, solution)
        passed = sum(error is None for error in results.values())
        failures = {name: error for name, error in results.items() if error is not None}
        return {
            "tests_passed": passed,
            "tests": len(results),
            "share_passed": pass_rate(results),
            "failures": failures,
        }

    def unmet_facets(self, instance: TaskInstance, solution: str) -> list[Facet]:
        """The facets whose tests fail, in the facets' order (so a wrong name comes first)."""
        failed = {name for name, error in self.test_results(instance, solution).items() if error is not None}
        return [f for f in instance.facets if f.name in failed]

    def test_results(self, instance: TaskInstance, solution: str) -> dict[str, str | None]:
        """Test (facet) name -> ``None`` if it passed, else why it failed.

        Cached per (task id, tests, code): the tests are part of the key so that two instances
        that share an id (say, built by hand) never share results.
        """
        return dict(self._run(instance.task_id, instance.reference.tests, solution))

    def _run_uncached(
        self, task_id: str, tests: tuple[tuple[str, str], ...], solution: str
    ) -> tuple[tuple[str, str | None], ...]:
        return tuple(run_tests(solution, tests, self.timeout_s).items())

    @property
    def drafter(self) -> CodeDrafter:
        """The family's public drafter."""
        return self._drafter
