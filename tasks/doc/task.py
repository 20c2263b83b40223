"""DocTask: write a document whose audience, tone, facts and ending the user keeps in mind."""

from __future__ import annotations

import re

import numpy as np

from collab_env.facets import questions
from collab_env.task import Task
from collab_env.types import Facet, FacetKind, TaskInstance

from .drafter import DocDrafter
from .generator import make_instance
from .metric import bleu

_DRAFT = re.compile(
    r"here is (?:the|a|my|your) (?:draft|document|revised draft)[^:\n]*:\s*\n(?P<doc>.+)", re.I | re.S
)
_FENCE = re.compile(r"```[\w-]*\n(?P<doc>.+?)```", re.S)
MIN_DOCUMENT_WORDS = 40


class DocTask(Task):
    """Document writing (announcements, invitations, product descriptions, cover letters...).

    The opening names the document type and topic; the hidden facets are the audience, tone,
    length, date (events only), a key detail, the call to action and the sender, drawn from the
    compatibility table (``templates.COMPATIBLE``) so that they belong together. The target document is
    rendered from all of them with the family's templates (with a hidden choice of intro
    phrasing, so a full-information draft is close but not always identical). R_ext is
    sentence BLEU / 100 against the target. ``accept_threshold`` is 0.7: a draft with every
    facet right scores 0.82-1.0, one with a single facet wrong about 0.5-0.75, one from the
    opening alone below 0.3.
    """

    name = "doc"
    version = "1"
    metric_name = "bleu"
    facet_kinds = (
        FacetKind(
            "audience",
            "Who is the audience?",
            ("audience", "reader", "recipient", "aimed at", "intended for"),
        ),
        FacetKind("tone", "What tone should it have?", ("tone", "style", "formal", "voice")),
        FacetKind("length", "How long should it be?", ("length", "long", "short")),
        FacetKind("date", "What is the date?", ("date", "when", "day")),
        FacetKind(
            "detail",
            "Is there an important detail I should mention?",
            ("detail", "mention", "include", "important"),
        ),
        FacetKind(
            "action", "What is the call to action?", ("call to action", "action", "next step", "respond")
        ),
        FacetKind("sender", "Who should sign it?", ("sign", "sender", "signature", "from whom")),
    )
    accept_threshold = 0.7

    def __init__(self) -> None:
        self._drafter = DocDrafter()

    def make_instance(self, rng: np.random.Generator, task_id: str) -> TaskInstance:
        """Generate a document request."""
        return make_instance(rng, task_id)

    def extract_solution(self, text: str) -> str | None:
        """The document in a message: after "Here is the draft:", in a fenced block, or a long non-question message."""
        for pattern in (_DRAFT, _FENCE):
            match = pattern.search(text)
            if match:
                return match["doc"].strip()
        if len(text.split()) >= MIN_DOCUMENT_WORDS and len(questions(text)) <= 1:
            lines = text.strip().splitlines()
            return "\n".join(lines[1:]).strip() if lines[0].rstrip().endswith(":") else text.strip()
        return None

    def score(self, instance: TaskInstance, solution: str) -> float:
        """Sentence BLEU / 100 of the document against the target."""
        return bleu(solution, instance.reference.target)

    def unmet_facets(self, instance: TaskInstance, solution: str) -> list[Facet]:
        """Facets whose marker phrase is missing from (or, for a short length, present in) the document."""
        low = solution.lower()
        unmet = {
            name for name, phrase, present in instance.reference.markers if (phrase.lower() in low) != present
        }
        return [f for f in instance.facets if f.name in unmet]

    @property
    def drafter(self) -> DocDrafter:
        """The family's public drafter."""
        return self._drafter
