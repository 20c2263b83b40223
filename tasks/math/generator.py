"""Generated word problems whose opening omits the quantities."""

from __future__ import annotations

import numpy as np
import sympy

from collab_env.types import Facet, TaskInstance

from .templates import TEMPLATES, fill
from .types import MathReference


def make_instance(rng: np.random.Generator, task_id: str) -> TaskInstance:
    """A word problem: the opening asks the question, the quantities are hidden facets."""
    template = TEMPLATES[int(rng.integers(len(TEMPLATES)))]
    words = template.words[int(rng.integers(len(template.words)))]
    values = {slot.name: int(rng.choice(slot.values)) for slot in template.slots}
    facets = tuple(
        Facet(
            name=slot.name,
            kind=slot.kind,
            value=str(values[slot.name]),
            statement=fill(slot.statement, words).replace("{v}", str(values[slot.name])),
            keywords=tuple(fill(k, words) for k in slot.keywords if fill(k, words)),
        )
        for slot in template.slots
    )
    answer = sympy.nsimplify(template.answer({k: sympy.Rational(v) for k, v in values.items()}))
    opening = fill(template.opening, words)
    request = opening + " " + " ".join(f.statement for f in facets)
    reference = MathReference(sympy.latex(answer), template.name)
    return TaskInstance(task_id, "math", opening, facets, reference, request, {"template": template.name})
