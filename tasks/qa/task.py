"""QATask: answer an ambiguous question about a passage."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from collab_env.facets import questions
from collab_env.task import Task
from collab_env.types import Facet, FacetKind, TaskInstance

from .drafter import QADrafter
from .generator import make_instance
from .meaning import MODES
from .metric import is_correct, question_of

#: Anchored at a line's start with its spaces only, so that a scan never re-reads blank lines.
_ANSWER = re.compile(r"^[^\S\n]*+(?:final\s++)?answer\s*+[:\-]\s*(?P<a>.+)", re.I | re.M)
#: A courtesy before the answer ("Sure! On Monday."): a whole word closed by punctuation, so that
#: an answer that starts with the same letters or word ("Greater Moravia.", "Great Britain.") stays.
_PREFACE = re.compile(r"^(?:sure|ok(?:ay)?|of course|certainly|great)\s*[!,.:;]+\s*", re.I)


class QATask(Task):
    """Ambiguous conversational QA, in the style of Abg-CoQA.

    The opening shows a short passage about two people and a question whose pronoun fits
    both; the hidden facet is the intended reading ("I mean Anna."). R_ext is 1 when the reply
    (or what follows "Answer:") commits to the intended reading's answer, in a word or in a
    natural sentence ("Hana went on Thursday."), else 0; a reply that hedges, or also states the
    other reading's answer, commits to nothing and scores 0 (:func:`.metric.is_correct`).
    """

    name = "qa"
    version = "0"
    metric_name = "accuracy"
    facet_kinds = (
        FacetKind(
            "reading",
            "Which person do you mean?",
            ("mean", "which one", "which person", "refer", "who do you", "talking about"),
        ),
    )
    accept_threshold = 1.0

    def __init__(
        self, accuracy_judge: Callable[[str, str, str], bool] | None = None, meaning: str | None = None
    ) -> None:
        """Args:
        accuracy_judge: Judges an answer against the reference (e.g.
            :class:`~collab_env.rewards.judges.LLMAccuracyJudge`); default: the rules of
            :func:`.metric.is_correct`.
        meaning: ``"minilm"`` to read, by a sentence model, a reply the rules find naming no
            reading's answer (the ``grade`` extra; :mod:`.meaning`); default ``None``, the rules alone.
        """
        if meaning is not None and meaning not in MODES:
            raise ValueError(f"meaning must be None or one of {MODES}, got {meaning!r}")
        self._drafter = QADrafter()
        self.accuracy_judge = accuracy_judge
        self.meaning = meaning

    def make_instance(self, rng: np.random.Generator, task_id: str) -> TaskInstance:
        """Generate a passage and an ambiguous question."""
        return make_instance(rng, task_id)

    def extract_solution(self, text: str) -> str | None:
        """The answer after "Answer:", else a short message that is not a question; None for questions.

        >>> QATask().extract_solution("Answer: the library"), QATask().extract_solution("Anna or Beth?")
        ('the library', None)
        """
        match = _ANSWER.search(text)
        if match:
            return match["a"].strip()
        body = _PREFACE.sub("", text.strip())
        if not body or questions(body) or body.endswith("?"):
            return None
        return body

    def score(self, instance: TaskInstance, solution: str) -> float:
        """1.0 when the answer matches the intended reading's answer, else 0.0."""
        if self.accuracy_judge is not None:
            return float(self.accuracy_judge(instance.request, instance.reference.answer, solution))
        reference = instance.reference
        return float(
            is_correct(
                solution,
                [reference.answer],
                others=reference.other_answers,
                question=question_of(instance.request),
                context=instance.request,
                meaning=self.meaning,
            )
        )

    def unmet_facets(self, instance: TaskInstance, solution: str) -> list[Facet]:
        """The reading facet when the answer is wrong."""
        return [] if self.score(instance, solution) else list(instance.facets)

    @property
    def drafter(self) -> QADrafter:
        """The family's public drafter."""
        return self._drafter
