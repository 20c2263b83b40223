"""MathTask: solve a word problem whose opening omits the quantities."""

from __future__ import annotations

import numpy as np

from collab_env.task import Task
from collab_env.types import Facet, FacetKind, TaskInstance

from .drafter import MathDrafter
from .generator import make_instance
from .metric import answers_equivalent, extract_answer
from .templates import KIND_KEYWORDS


class MathTask(Task):
    """Word problems (shopping, work rates, discounts, round trips, fences, ages).

    The opening asks the question without its quantities; each quantity is a hidden facet
    ("Each notebook costs $3."). The reference answer is computed exactly with sympy. R_ext is
    1 when the final answer (``\\boxed{}``, else "the answer is X") is equivalent to it
    (math-verify, with sympy underneath), else 0. The scripted user, shown a wrong answer,
    states a quantity the assistant was not told.
    """

    name = "math"
    version = "0"
    metric_name = "accuracy"
    facet_kinds = tuple(FacetKind(k, f"What is the {k}?", kw) for k, kw in KIND_KEYWORDS.items())
    accept_threshold = 1.0

    def __init__(self) -> None:
        self._drafter = MathDrafter()

    def make_instance(self, rng: np.random.Generator, task_id: str) -> TaskInstance:
        """Generate a word problem."""
        return make_instance(rng, task_id)

    def extract_solution(self, text: str) -> str | None:
        """The final answer of the message, or ``None`` when it gives none.

        >>> MathTask().extract_solution("So the answer is \\\\boxed{12}."), MathTask().extract_solution("How many?")
        ('12', None)
        """
        return extract_answer(text)

    def score(self, instance: TaskInstance, solution: str) -> float:
        """1.0 when the answer is equivalent to the reference, else 0.0."""
        return float(answers_equivalent(solution, instance.reference.answer))

    def unmet_facets(self, instance: TaskInstance, solution: str) -> list[Facet]:
        """Every quantity when the answer is wrong (the user names one the assistant lacks)."""
        return [] if self.score(instance, solution) else list(instance.facets)

    @property
    def drafter(self) -> MathDrafter:
        """The family's public drafter."""
        return self._drafter
