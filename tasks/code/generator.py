"""Generated function-writing requests with hidden requirements."""

from __future__ import annotations

import numpy as np

from collab_env.types import Facet, TaskInstance

from .templates import NAME_STATEMENT, TEMPLATES, render
from .types import CodeReference


def make_instance(rng: np.random.Generator, task_id: str) -> TaskInstance:
    """A request whose opening gives the gist; the name and each requirement are hidden facets."""
    template = TEMPLATES[int(rng.integers(len(TEMPLATES)))]
    name = str(rng.choice(template.names))
    chosen = {slot.kind: slot.variants[int(rng.integers(len(slot.variants)))] for slot in template.slots}
    requirements = [Facet(kind, kind, v.label, v.statement) for kind, v in chosen.items()]
    facets = (Facet("name", "name", name, NAME_STATEMENT.format(name=name)), *requirements)
    checks = [(kind, v.test.replace("{name}", name)) for kind, v in chosen.items()]
    tests = (("name", f"assert callable({name})"), *checks)
    solution = render(template, name, {kind: v.label for kind, v in chosen.items()})
    request = template.gist + " " + " ".join(f.statement for f in facets)
    reference = CodeReference(name, tests, solution)
    return TaskInstance(
        task_id, "code", template.gist, facets, reference, request, {"template": template.key}
    )
