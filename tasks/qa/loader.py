"""Abg-CoQA (Guo et al., AKBC 2021) as CollabQA: ``dataset="abgcoqa:PATH"``.

PATH is the JSON release (``{"version": ..., "data": [...]}``, e.g. ``coqa_abg_test.json``) or a
JSON Lines file of its ``data`` elements: ``id``, ``story``, ``target_turn`` (``question``,
``answer``...), ``history_turns``, ``ambiguity`` and ``clarification_turn`` (``question``,
``answers``: ``clr_ans`` and the original answers ``org_ans``, ``org_ans_2``, ``org_ans_3``).

The opening is the passage, the conversation so far and the question. For an ambiguous question,
the hidden facet is the intended reading: the clarification option (``clr_ans``) under which most
of the annotators who gave the target answer (or its ``rationale``, the passage span CoQA marked)
wrote it, stated with the annotators' clarifying question. The release names no intended option,
so a record whose reading this does not determine (no option's answers give the target answer or
its rationale, or no option holds most of those that do) is never guessed: it is rejected with
its reason (``task.rejected``, logged). The reference answers are the target answer and the
intended reading's original answers that give it (annotators sometimes disagree); the other
options' answers are the other readings' (a reply that also states one commits to nothing). A
non-ambiguous question has no hidden facet. The metric is the QA family's
(:func:`.metric.is_correct`), given the passage.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from collab_env.errors import DatasetError
from collab_env.facets import contents
from collab_env.tasks.datasets import DatasetTask, read_records, require
from collab_env.types import ChatMessage, Facet, FacetKind, TaskInstance

from .metric import F1_THRESHOLD, is_correct, normalize_answer, question_of, token_f1
from .task import QATask

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
#: (clarifying question, the intended option's clarification answer, its answers that give the
#: target answer, the other options' answers).
Reading = tuple[str, str, tuple[str, ...], tuple[str, ...]]


@dataclass(frozen=True)
class AbgCoQAReference:
    """The answers that count as right under the intended reading.

    Attributes:
        answer: The target turn's answer.
        answers: Every accepted answer (the target's and the intended reading's originals).
        story: The passage.
        other_answers: The other readings' answers (wrong here).
    """

    answer: str
    answers: tuple[str, ...]
    story: str
    other_answers: tuple[str, ...] = ()


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

    def __init__(self, path: str, meaning: str | None = None) -> None:
        QATask.__init__(self, meaning=meaning)
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
        facets, answers, others = (), (target["answer"],), ()
        if record["ambiguity"] == "ambiguous":
            reading = _intended(record.get("clarification_turn") or {}, target, where)
            if isinstance(reading, str):
                return reading
            question, clarification, originals, others = reading
            statement = f'To be clear, about "{question}": {clarification}' if question else clarification
            facets = (Facet("reading", "reading", clarification, statement, keywords=_words(question)),)
            answers = (target["answer"], *originals)
        reference = AbgCoQAReference(target["answer"], tuple(dict.fromkeys(answers)), record["story"], others)
        return TaskInstance(
            task_id=task_id, family="qa", opening=opening, facets=facets, reference=reference,
            request=f"{opening}\n\nWhat I mean: {facets[0].statement if facets else 'the question as asked'}",
            metadata={"source": where, "abgcoqa_id": record["id"], "ambiguity": record["ambiguity"]},
        )  # fmt: skip

    def score(self, instance: TaskInstance, solution: str) -> float:
        """1.0 when the reply commits to an accepted answer (see :func:`.metric.is_correct`)."""
        request, reference = instance.request, instance.reference
        return float(
            is_correct(
                solution,
                reference.answers,
                others=reference.other_answers,
                question=question_of(request),
                context=request,
                meaning=self.meaning,
            )
        )

    def draft(self, messages: Sequence[ChatMessage]) -> str:
        """The passage's sentence that shares the most words with the question and the user's replies."""
        said = contents(messages, "user")
        story = said[0].split("\n\n")[0] if said else ""
        query = " ".join([said[0].rsplit("My question:", 1)[-1], *said[1:]]) if said else ""
        best = max(_SENTENCE.split(story), key=lambda s: token_f1(s, query), default="")
        return f"Answer: {best.strip()}"


def _intended(clarification: dict, target: dict, where: str) -> Reading | str:
    """The intended reading (see the module docstring), or why it cannot be determined."""
    options = clarification.get("answers") or []
    if not isinstance(options, list):
        raise DatasetError(f"{where}: clarification_turn.answers should be a list")
    readings = [(o["clr_ans"], _originals(o)) for o in options if isinstance(o, dict) and o.get("clr_ans")]
    if not readings:
        return "ambiguous, but its clarification_turn has no answers"
    rationale = target.get("rationale") or ""
    giving = [
        tuple(
            a
            for a in originals
            if is_correct(a, [target["answer"]], lexical=False) or token_f1(a, rationale) >= F1_THRESHOLD
        )
        for _, originals in readings
    ]
    counts = [len(g) for g in giving]
    best = max(range(len(readings)), key=counts.__getitem__)
    if 2 * counts[best] <= sum(counts):
        why = "none of its options' answers gives" if not counts[best] else "its options' answers split on"
        return (
            f"ambiguous, and the intended reading is not determined: {why} the target answer or its rationale"
        )
    others = tuple(
        a for k, (_, originals) in enumerate(readings) if k != best for a in originals if a not in giving[k]
    )
    return clarification.get("question", ""), readings[best][0], giving[best], tuple(dict.fromkeys(others))


def _originals(option: dict) -> tuple[str, ...]:
    """An option's original answers, less "Unknown..." (the passage does not answer that reading)."""
    return tuple(
        v
        for k, v in option.items()
        if k.startswith("org_ans")
        and isinstance(v, str)
        and normalize_answer(v).split()[:1] not in ([], ["unknown"])
    )


def _words(text: str) -> tuple[str, ...]:
    return tuple(
        w for w in re.findall(r"[a-z]{4,}", text.lower()) if w not in {"what", "with", "about", "asking"}
    )
