"""Shared fixtures: a tiny task family whose facets the tests know by heart."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from collab_env.task import Task
from collab_env.types import ChatMessage, Facet, FacetKind, TaskInstance

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

_KINDS = (
    FacetKind("colour", "What colour should it be?", ("colour", "color")),
    FacetKind("size", "What size should it be?", ("size", "big", "large")),
    FacetKind("name", "What should it be called?", ("name", "called")),
)
_COLOURS = ("red", "green", "blue")
_SIZES = ("small", "medium", "large")


class ToyDrafter:
    """Reads 'The colour is X.' style statements; defaults to the first choice."""

    def known(self, messages: Sequence[ChatMessage]) -> dict[str, str]:
        text = " ".join(m["content"] for m in messages if m["role"] == "user")
        return {m[1]: m[2] for m in re.finditer(r"The (colour|size|name) is (\w+)\.", text)}

    def missing(self, messages: Sequence[ChatMessage]) -> list[str]:
        known = self.known(messages)
        return [k.name for k in _KINDS if k.name not in known]

    def question(self, kind: str, messages=()) -> str:
        return next(k.question for k in _KINDS if k.name == kind)

    def draft(self, messages: Sequence[ChatMessage]) -> str:
        known = self.known(messages)
        return (
            f"ANSWER: {known.get('colour', 'red')} {known.get('size', 'small')} {known.get('name', 'widget')}"
        )


class ToyTask(Task):
    """A widget with a hidden colour, size and name; R_ext is the share of the three right."""

    name = "toy"
    version = "0"
    metric_name = "accuracy"
    facet_kinds = _KINDS
    test_size = 20

    def make_instance(self, rng: np.random.Generator, task_id: str) -> TaskInstance:
        colour, size = str(rng.choice(_COLOURS)), str(rng.choice(_SIZES))
        name = f"gizmo{int(rng.integers(100))}"
        facets = (
            Facet("colour", "colour", colour, f"The colour is {colour}."),
            Facet("size", "size", size, f"The size is {size}."),
            Facet("name", "name", name, f"The name is {name}."),
        )
        return TaskInstance(
            task_id, "toy", "Make me a widget.", facets, (colour, size, name), f"{colour} {size} {name}"
        )

    def extract_solution(self, text: str) -> str | None:
        match = re.search(r"ANSWER: (.*)", text)
        return match[1].strip() if match else None

    def score(self, instance: TaskInstance, solution: str) -> float:
        words = solution.split()
        return sum(a == b for a, b in zip(words, instance.reference, strict=False)) / 3

    @property
    def drafter(self) -> ToyDrafter:
        return ToyDrafter()


@pytest.fixture
def toy_task() -> ToyTask:
    """A fresh toy task."""
    return ToyTask()


@pytest.fixture(autouse=True)
def _fresh_circuit_breakers():
    """Each test starts with no endpoint's circuit breaker open (ports are reused across tests)."""
    from collab_env.llm.breaker import reset_breakers

    reset_breakers()
    yield
    reset_breakers()
