"""MATH (Hendrycks et al., 2021) as CollabMath: ``dataset="math:PATH"``.

PATH is the published layout (a directory of one JSON file per problem, searched recursively,
e.g. ``MATH/test``) or a JSON Lines file of the same records: ``problem``, ``level``, ``type``,
``solution`` (the final answer in ``\\boxed{}``).

Facets: the problem is split into sentences outside its formulas; the sentence that asks (the
last with a question mark, else the last) and what follows it (format instructions such as
"Express your answer as a common fraction.") are the opening; each sentence before it is a
*condition* facet, revealed when the assistant asks what the problem gives. A one-sentence
problem has no hidden facet. The reference is the solution's last boxed answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar

from collab_env.tasks.datasets import DatasetTask, require
from collab_env.types import ChatMessage, Facet, FacetKind, TaskInstance

from .metric import last_boxed
from .task import MathTask
from .types import MathReference

_SYMBOL = re.compile(r"\$([^$]*)\$")
_WORD = re.compile(r"[A-Za-z]{4,}")
_STOP = {"that", "this", "with", "from", "have", "there", "their", "which", "what", "when", "each", "into",
         "than", "then", "they", "such", "some", "only", "also", "were", "will", "been", "your", "express"}  # fmt: skip


def split_sentences(text: str) -> list[str]:
    """Sentences of a LaTeX problem, never splitting inside ``$...$``, ``\\[...\\]`` or ``\\(...\\)``.

    >>> split_sentences("Let $x = 2.5$. What is $2x$? Express it as a decimal.")
    ['Let $x = 2.5$.', 'What is $2x$?', 'Express it as a decimal.']
    """
    sentences, start, depth, i = [], 0, 0, 0
    while i < len(text):
        if text.startswith(("\\[", "\\("), i):
            depth, i = depth + 1, i + 2
            continue
        if text.startswith(("\\]", "\\)"), i):
            depth, i = max(0, depth - 1), i + 2
            continue
        if text[i] == "$":
            depth = depth + 1 if depth % 2 == 0 else depth - 1
        elif depth == 0 and text[i] in ".?!" and (i + 1 == len(text) or text[i + 1].isspace()):
            sentences.append(text[start : i + 1].strip())
            start = i + 1
        i += 1
    tail = text[start:].strip()
    return [s for s in [*sentences, tail] if s]


class MathDataset(DatasetTask, MathTask):
    """MATH problems with their conditions as facets; graded by :func:`answers_equivalent`."""

    dataset_name = "math"
    facet_kinds = (
        FacetKind(
            "condition",
            "What values or conditions does the problem give?",
            ("condition", "given", "give", "value", "detail", "information", "number", "quantity", "know"),
        ),
    )
    questions: ClassVar[dict[str, tuple[str, ...]]] = {
        "condition": (
            "What values or conditions does the problem give?",
            "Is there any other condition or value I should know?",
            "Any more details or numbers in the problem?",
        )
    }

    def parse(self, record: Any, where: str, task_id: str) -> TaskInstance | str:
        """One MATH record -> instance; a record without a boxed answer is rejected."""
        require(record, {"problem": str, "solution": str}, where)
        answer = last_boxed(record["solution"])
        if not answer:
            return "the solution has no \\boxed{} answer"
        sentences = split_sentences(record["problem"])
        asks = max((i for i, s in enumerate(sentences) if "?" in s), default=len(sentences) - 1)
        facets = [
            Facet(f"condition_{k}", "condition", s, s, keywords=_keywords(s))
            for k, s in enumerate(sentences[:asks])
        ]
        return TaskInstance(
            task_id=task_id,
            family="math",
            opening=" ".join(sentences[asks:]),
            facets=tuple(facets),
            reference=MathReference(answer=answer, template=str(record.get("type", ""))),
            request=record["problem"],
            metadata={
                "source": where,
                "level": record.get("level"),
                "type": record.get("type"),
                "solution": record["solution"],
            },
        )

    def draft(self, messages: Sequence[ChatMessage]) -> str:
        """A placeholder answer: solving MATH is the assistant's work, not the drafter's."""
        return "I could not solve it from what I have; my best guess: the answer is \\boxed{0}."


def _keywords(sentence: str) -> tuple[str, ...]:
    """Variables in the formulas and the longer words: what a question about this condition names."""
    symbols = {
        c for formula in _SYMBOL.findall(sentence) for c in re.findall(r"(?<!\\)\b[a-zA-Z]\b", formula)
    }
    words = {w.lower() for w in _WORD.findall(_SYMBOL.sub(" ", sentence)) if w.lower() not in _STOP}
    return tuple(sorted(symbols | words))
