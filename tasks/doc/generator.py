"""Generated document requests: a type and topic in the opening, the rest hidden."""

from __future__ import annotations

import numpy as np

from collab_env.types import Facet, TaskInstance

from . import templates as T
from .types import DocReference

#: Facet kind -> statement template (the values come from ``templates.COMPATIBLE``).
STATEMENTS = {
    "audience": "It's for {v}.",
    "tone": "The tone should be {v}.",
    "length": "Make it {v}.",
    "date": "The date is {v}.",
    "detail": "Please mention that {v}.",
    "action": "At the end, ask them to {v}.",
    "sender": "Sign it from {v}.",
}


def choices(doc_type: str, topic: str) -> dict[str, tuple[str, ...]]:
    """The values each facet kind may take in a ``doc_type`` about ``topic`` (the compatibility table).

    >>> choices("product description", "a solar garden lamp")["audience"]
    ('new customers', 'our regular customers')
    >>> "date" in choices("cover letter", "a barista job")
    False
    """
    row = T.COMPATIBLE[doc_type]
    fit = {"audience": row["topics"][topic], "tone": tuple(T.TONES), "length": T.LENGTHS}
    return {kind: fit[kind] if kind in fit else row[kind] for kind in T.kinds(doc_type)}


def make_instance(rng: np.random.Generator, task_id: str) -> TaskInstance:
    """A document request whose opening names only the type and topic (and sometimes one facet).

    Every value is drawn from what the compatibility table allows for the type and topic, so the
    facets belong together, and a kind that does not apply to the type (an event date for a product
    description) is not a facet of it.
    """
    doc_type = str(rng.choice(list(T.COMPATIBLE)))
    what, topics = T.DOC_TYPES[doc_type]
    topic = str(rng.choice(topics))
    allowed = choices(doc_type, topic)
    values = {kind: str(rng.choice(options)) for kind, options in allowed.items()}
    in_opening = str(rng.choice([*allowed, "", ""]))  # sometimes the opening gives one facet away
    facets = tuple(
        Facet(
            kind, kind, values[kind], STATEMENTS[kind].format(v=values[kind]), in_opening=kind == in_opening
        )
        for kind in allowed
    )
    opening = f"Can you write {what} about {topic}?"
    if in_opening:
        opening += " " + next(f.statement for f in facets if f.in_opening)
    target = T.render(doc_type, topic, values, variant=int(rng.integers(len(T.INTRO_VARIANTS))))
    markers = tuple((kind, *T.marker(kind, values[kind])) for kind in allowed)
    request = f"Write {what} about {topic}. " + " ".join(f.statement for f in facets)
    metadata = {"doc_type": doc_type, "topic": topic}
    return TaskInstance(task_id, "doc", opening, facets, DocReference(target, markers), request, metadata)
