"""CodeTask: write a Python function whose requirements the user reveals only when asked."""

from __future__ import annotations

import functools
import re

import numpy as np

from collab_env.task import Task
from collab_env.types import Facet, FacetKind, TaskInstance

from .drafter import QUESTIONS, CodeDrafter
from .generator import make_instance
from .metric import pass_rate, run_tests

_FENCE = re.compile(r"```(?:python|py|python3)?[ \t]*\n(?P<code>.*?)```", re.S | re.I)
_KEYWORDS = {
    "name": ("name", "called", "call it"),
    "missing_values": ("missing", "none value"),
    "empty_input": ("empty",),
    "rounding": ("round", "decimal", "precision"),
    "punctuation": ("punctuation",),
    "case": ("case", "capital", "uppercase", "lowercase"),
    "short_words": ("short word", "short"),
    "invalid_input": ("invalid", "bad input", "error"),
    "unit": ("unit", "minutes", "seconds"),
    "country_code": ("country code", "country", "leading 1"),
    "format": ("format", "formatted", "look like"),
    "letter_case": ("capitalisation", "capitalization", "lower case", "lowercase"),
    "separator": ("separator", "joined", "join", "hyphen", "underscore"),
    "max_length": ("length", "limit", "how long"),
}


class CodeTask(Task):
    """Function writing with hidden requirements (name, edge cases, errors, output format).

    The opening gives the gist ("a function that averages a list of numbers"); the function's
    name and each requirement are hidden facets. Hidden unit tests, one per facet, run in the
    sandbox against the code of the assistant's last fenced code block; R_ext is the share that
    pass. ``accept_threshold`` is 1.0: the user accepts only code that passes every test, and
    otherwise states the requirement of the first failing test.
    """

    name = "code"
    version = "0"
    metric_name = "pass_rate"
    facet_kinds = tuple(FacetKind(kind, QUESTIONS[kind], keywords) for kind, keywords in _KEYWORDS.items())
    accept_threshold = 1.0

    def __init__(self, timeout_s: float = 5.0) -> None:
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0, got {timeout_s}")
        self.timeout_s = timeout_s
        self._drafter = CodeDrafter()

    def make_instance(self, rng: np.random.Generator, task_id: str) -> TaskInstance:
        """Generate a function-writing request."""
        return make_instance(rng, task_id)

    def extract_solution(self, text: str) -> str | None:
        """The code of the message's last fenced code block, or ``None``.

        >>> CodeTask().extract_solution("Try:\\n```python\\nx = 1\\n```"), CodeTask().extract_solution("Name?")
        ('x = 1\\n', None)
        """
        blocks = _FENCE.findall(text)
        return blocks[-1] if blocks else None

    def score(self, instance: TaskInstance, solution: str) -> float:
        """Share of the hidden tests the code passes, in [0, 1]."""
        return pass_rate(self.test_results(instance, solution))

    def unmet_facets(self, instance: TaskInstance, solution: str) -> list[Facet]:
        """The facets whose tests fail, in the order of the tests (the name first)."""
        failed = {name for name, error in self.test_results(instance, solution).items() if error is not None}
        return [f for f in instance.facets if f.name in failed]

    def test_results(self, instance: TaskInstance, solution: str) -> dict[str, str | None]:
        """Test name -> ``None`` if passed, else why it failed (cached per task and code)."""
        return dict(self._run(instance.reference.tests, solution))

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - tasks live as long as the process
    def _run(self, tests: tuple[tuple[str, str], ...], solution: str) -> tuple[tuple[str, str | None], ...]:
        return tuple(run_tests(solution, tests, self.timeout_s).items())

    @property
    def drafter(self) -> CodeDrafter:
        """The family's public drafter."""
        return self._drafter
