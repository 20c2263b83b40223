"""Abg-CoQA (Guo et al., AKBC 2021) as CollabQA: ``dataset="abgcoqa:PATH"``.

PATH is the JSON release (``{"version": ..., "data": [...]}``, e.g. ``coqa_abg_test.json``) or a
JSON Lines file of its ``data`` elements: ``id``, ``story``, ``target_turn`` (``question``,
``answer``...), ``history_turns``, ``ambiguity`` and ``clarification_turn`` (``question``,
``answers``: ``clr_ans`` and the original answers ``org_ans``, ``org_ans_2``, ``org_ans_3``).

The opening is the passage, the conversation so far and the question. For an ambiguous question,
the hidden facet is the intended reading: the clarification answer whose original answers match
the target answer best, stated with the annotators' clarifying question; the reference answers
are the target answer and that reading's original answers. A non-ambiguous question has no hidden
facet. The metric is the QA family's (:func:`.metric.is_correct`), given the passage.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from collab_env.tasks.datasets import DatasetTask, read_records, require

from collab_env.errors import DatasetError
from collab_env.facets import contents
from collab_env.types import ChatMessage, Facet, FacetKind, TaskInstance

from .metric import is_correct, normalize_answer, question_of, token_f1
from .task import QATask

_SENTENCE = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class AbgCoQAReference:
    """The answers that count as right under the intended reading.

    Attributes:
        answer: The target turn's answer.
        answers: Every accepted answer (the target's and the intended reading's originals).
        story: The passage.
    """

    answer: str
    answers: tuple[str, ...]
    story: str


class AbgCoQADataset(DatasetTask, QATask):
    """Abg-CoQA questions; the intended reading of an ambiguous one is the hidden facet."""

    dataset_name = "abgcoqa"
    facet_kinds = (
        FacetKind(
            "reading",
            "Could you clarify what exactly you are asking?",
            ("mean", "clarify", "asking", "refer", "which", "talking about", "specific"),
        ),
    )

    def __init__(self, path: str) -> None:
        QATask.__init__(self)
        DatasetTask.__init__(self, path)

    def records(self) -> Iterator[tuple[str, Any]]:
        """The ``data`` elements of the release, or the lines of a JSON Lines file."""
        for where, record in read_records(self.path):
            if isinstance(record, dict) and "data" in record:
                if not isinstance(record["data"], list):
                    raise DatasetError(f"{where}: field 'data' should be a list")
                yield from ((f"{where}#data[{i}]", r) for i, r in enumerate(record["data"]))
            else:
                yield where, record

    def parse(self, record: Any, where: str, task_id: str) -> TaskInstance | str:
        """One Abg-CoQA example -> instance."""
        require(record, {"id": str, "story": str, "target_turn": dict, "ambiguity": str}, where)
        target = record["target_turn"]
        require(target, {"question": str, "answer": str}, f"{where} target_turn")
        history = "\n".join(
            f"Q: {t.get('question', '')}\nA: {t.get('answer', '')}" for t in record.get("history_turns", [])
        )
        opening = f"{record['story'].strip()}\n\n{history}\n\nMy question: {target['question']}".replace(
            "\n\n\n\n", "\n\n"
        )
        facets, answers = (), (target["answer"],)
        if record["ambiguity"] == "ambiguous":
            reading = _intended(record.get("clarification_turn") or {}, target["answer"], where)
            if reading is None:
                return "ambiguous, but its clarification_turn has no answers"
            question, clarification, originals = reading
            statement = f'To be clear, about "{question}": {clarification}' if question else clarification
            facets = (Facet("reading", "reading", clarification, statement, keywords=_words(question)),)
            answers = (target["answer"], *originals)
        return TaskInstance(
            task_id=task_id, family="qa", opening=opening, facets=facets,
            reference=AbgCoQAReference(target["answer"], tuple(dict.fromkeys(answers)), record["story"]),
            request=f"{opening}\n\nWhat I mean: {facets[0].statement if facets else 'the question as asked'}",
            metadata={"source": where, "abgcoqa_id": record["id"], "ambiguity": record["ambiguity"]},
        )  # fmt: skip

    def score(self, instance: TaskInstance, solution: str) -> float:
        """1.0 when the reply commits to an accepted answer (see :func:`.metric.is_correct`)."""
        request = instance.request
        return float(
            is_correct(solution, instance.reference.answers, question=question_of(request), context=request)
        )

    def draft(self, messages: Sequence[ChatMessage]) -> str:
        """The passage's sentence that shares the most words with the question and the user's replies."""
        said = contents(messages, "user")
        story = said[0].split("\n\n")[0] if said else ""
        query = " ".join([said[0].rsplit("My question:", 1)[-1], *said[1:]]) if said else ""
        best = max(_SENTENCE.split(story), key=lambda s: token_f1(s, query), default="")
        return f"Answer: {best.strip()}"


def _intended(clarification: dict, answer: str, where: str) -> tuple[str, str, tuple[str, ...]] | None:
    """(clarifying question, the reading's clarification answer, its original answers)."""
    options = clarification.get("answers") or []
    if not isinstance(options, list):
        raise DatasetError(f"{where}: clarification_turn.answers should be a list")
    best, best_f1 = None, -1.0
    for option in options:
        originals = tuple(
            v
            for k, v in option.items()
            if k.startswith("org_ans") and isinstance(v, str) and v and normalize_answer(v) != "unknown"
        )  # "Unknown." marks a reading the passage does not answer: no reply should match it
        f1 = max((token_f1(o, answer) for o in originals), default=0.0)
        if f1 > best_f1 and option.get("clr_ans"):
            best, best_f1 = (clarification.get("question", ""), option["clr_ans"], originals), f1
    return best


def _words(text: str) -> tuple[str, ...]:
    return tuple(
        w for w in re.findall(r"[a-z]{4,}", text.lower()) if w not in {"what", "with", "about", "asking"}
    )
