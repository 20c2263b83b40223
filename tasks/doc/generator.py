"""Generated document requests: a type and topic in the opening, the rest hidden."""

from __future__ import annotations

import numpy as np

from collab_env.types import Facet, TaskInstance

from . import templates as T
from .types import DocReference

#: Facet kind -> (values, statement template).
FACETS = {
    "audience": (T.AUDIENCES, "It's for {v}."),
    "tone": (tuple(T.TONES), "The tone should be {v}."),
    "length": (T.LENGTHS, "Make it {v}."),
    "date": (T.DATES, "The date is {v}."),
    "detail": (T.DETAILS, "Please mention that {v}."),
    "action": (T.ACTIONS, "At the end, ask them to {v}."),
    "sender": (T.SENDERS, "Sign it from {v}."),
}


def make_instance(rng: np.random.Generator, task_id: str) -> TaskInstance:
    """A document request whose opening names only the type and topic (and sometimes one facet)."""
    doc_type = str(rng.choice(list(T.DOC_TYPES)))
    what, topics = T.DOC_TYPES[doc_type]
    topic = str(rng.choice(topics))
    values = {kind: str(rng.choice(choices)) for kind, (choices, _) in FACETS.items()}
    in_opening = str(rng.choice([*FACETS, "", ""]))  # sometimes the opening gives one facet away
    facets = tuple(
        Facet(kind, kind, values[kind], statement.format(v=values[kind]), in_opening=kind == in_opening)
        for kind, (_, statement) in FACETS.items()
    )
    opening = f"Can you write {what} about {topic}?"
    if in_opening:
        opening += " " + next(f.statement for f in facets if f.in_opening)
    target = T.render(doc_type, topic, values, variant=int(rng.integers(len(T.INTRO_VARIANTS))))
    markers = tuple((kind, *T.marker(kind, values[kind])) for kind in FACETS)
    request = f"Write {what} about {topic}. " + " ".join(f.statement for f in facets)
    metadata = {"doc_type": doc_type, "topic": topic}
    return TaskInstance(task_id, "doc", opening, facets, DocReference(target, markers), request, metadata)
