"""What a task family plugs into :class:`~collab_env.env.CollabEnv`.

A family (``collab_env.tasks.doc``, ``...code``, ``...math``, ``...qa``) subclasses :class:`Task`:
it generates task instances from a seed, extracts a solution from an assistant message, and
scores it with the family's metric. It also ships a :class:`Drafter`: the public knowledge an
assistant may use (the family's templates), reading only the conversation, never the hidden goal.
The core never imports a family: ids map to ``"module:Class"`` strings resolved at construction.
"""

from __future__ import annotations

import abc
import functools
import hashlib
import importlib
import re
from collections.abc import Sequence
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from collab_env.errors import ConfigError
from collab_env.types import ChatMessage, Facet, FacetKind, TaskInstance

SPLITS = ("train", "test")
_TASK_ID = re.compile(r"^(?P<family>[a-z]+)-(?P<split>train|test)-(?P<index>\d+)$")


@runtime_checkable
class Drafter(Protocol):
    """An assistant's public knowledge of a family: reads a conversation, writes solutions.

    A drafter never sees the hidden goal; it parses what the conversation revealed with the
    family's public templates, and fills what is unknown with defaults.
    """

    def known(self, messages: Sequence[ChatMessage]) -> dict[str, str]:
        """Facet kinds whose values the conversation revealed, with those values."""

    def missing(self, messages: Sequence[ChatMessage]) -> list[str]:
        """Facet kinds still unknown, most useful first."""

    def question(self, kind: str, messages: Sequence[ChatMessage] = ()) -> str:
        """A question about facet kind ``kind`` (``messages`` lets it name what it read)."""

    def draft(self, messages: Sequence[ChatMessage]) -> str:
        """A full solution message built from what the conversation revealed."""


class Task(abc.ABC):
    """A task family: instances, solution extraction and metric.

    Subclasses set the class attributes and implement :meth:`make_instance`,
    :meth:`extract_solution` and :meth:`score`. Instances are generated deterministically from
    ``(family, split, index)``; the ``train`` split is unlimited and never contains an instance
    whose :meth:`content_key` is in the fixed ``test`` split.

    Attributes:
        name: Family name, the prefix of task ids (``"doc"``).
        version: Version of the task set; bump it when generated instances change.
        metric_name: Name of R_ext's metric, for reports (``"bleu"``).
        facet_kinds: The public list of facet kinds an assistant may ask about.
        accept_threshold: The scripted user accepts a solution whose score is at least this.
        test_size: Number of instances in the fixed test split.
    """

    name: ClassVar[str]
    version: ClassVar[str]
    metric_name: ClassVar[str]
    facet_kinds: ClassVar[tuple[FacetKind, ...]]
    accept_threshold: ClassVar[float] = 1.0
    test_size: ClassVar[int] = 200

    def __deepcopy__(self, memo: dict) -> Task:
        """The task itself: a task is shared, never copied.

        A task holds no episode state (only caches of generated instances and metric results,
        which then serve every env), and ``gym.make`` deep-copies an id's registered keyword
        arguments on every call: a user's registered task object stays that object, so every
        env of the id shares it and the factory knows which id it presets.
        """
        return self

    # -- generation -------------------------------------------------------------------------

    @abc.abstractmethod
    def make_instance(self, rng: np.random.Generator, task_id: str) -> TaskInstance:
        """Generate one task instance from ``rng`` (the only source of randomness)."""

    def content_key(self, instance: TaskInstance) -> str:
        """A key equal for instances that are the same task (used to keep splits apart)."""
        return instance.request

    def size(self, split: str) -> int | None:
        """Number of instances in ``split``; ``None`` when unlimited."""
        _check_split(split)
        return self.test_size if split == "test" else None

    def instance(self, split: str, index: int) -> TaskInstance:
        """The instance at ``index`` of ``split`` (deterministic).

        Raises:
            ConfigError: if the split is unknown or the index out of range.
        """
        _check_split(split)
        size = self.size(split)
        if index < 0 or (size is not None and index >= size):
            raise ConfigError(
                f"index {index} is out of range for the {self.name} {split} split (size {size})"
            )
        return self._cached_instance(split, index)

    def get(self, task_id: str) -> TaskInstance:
        """The instance with id ``task_id`` (``"<family>-<split>-<index>"``).

        Raises:
            ConfigError: if the id is malformed, of another family, or out of range.
        """
        match = _TASK_ID.match(task_id)
        if match is None or match["family"] != self.name:
            raise ConfigError(
                f"unknown task_id {task_id!r}: expected '{self.name}-<train|test>-<index>', e.g. '{self.name}-test-00000'"
            )
        return self.instance(match["split"], int(match["index"]))

    def sample(self, rng: np.random.Generator, split: str) -> TaskInstance:
        """Draw an instance of ``split`` with ``rng``."""
        size = self.size(split)
        return self.instance(split, int(rng.integers(size if size is not None else 2**31 - 1)))

    def task_id(self, split: str, index: int) -> str:
        """The id of the instance at ``index`` of ``split``."""
        return f"{self.name}-{split}-{index:05d}"

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - tasks live as long as the process
    def _cached_instance(self, split: str, index: int) -> TaskInstance:
        if split == "test":
            return self._test_split()[index]
        task_id, test_keys = self.task_id(split, index), self._test_keys()
        for attempt in range(1000):
            instance = self.make_instance(_rng(self.name, split, index, attempt), task_id)
            if self.content_key(instance) not in test_keys:
                return instance
        raise RuntimeError(f"{self.name}: could not generate a train instance outside the test split")

    @functools.cache  # noqa: B019
    def _test_split(self) -> tuple[TaskInstance, ...]:
        """The fixed test split: the first ``test_size`` distinct instances of the test stream."""
        instances: list[TaskInstance] = []
        keys: set[str] = set()
        for attempt in range(100 * self.test_size):
            instance = self.make_instance(
                _rng(self.name, "test", attempt, 0), self.task_id("test", len(instances))
            )
            if self.content_key(instance) not in keys:
                keys.add(self.content_key(instance))
                instances.append(instance)
                if len(instances) == self.test_size:
                    return tuple(instances)
        raise RuntimeError(f"{self.name}: only {len(instances)} distinct test instances; lower test_size")

    @functools.cache  # noqa: B019
    def _test_keys(self) -> frozenset[str]:
        return frozenset(self.content_key(i) for i in self._test_split())

    # -- solutions and metric ---------------------------------------------------------------

    @abc.abstractmethod
    def extract_solution(self, text: str) -> str | None:
        """The solution proposed in one assistant message, or ``None`` if it proposes none."""

    @abc.abstractmethod
    def score(self, instance: TaskInstance, solution: str) -> float:
        """R_ext of ``solution`` for ``instance``, in [0, 1]."""

    def metric_details(self, instance: TaskInstance, solution: str) -> dict[str, Any]:
        """What R_ext was computed from, for ``info["task_metric_details"]`` (none by default).

        Code families return the tests passed and their share, whatever R_ext's rule.
        """
        return {}

    def unmet_facets(self, instance: TaskInstance, solution: str) -> list[Facet]:
        """Facets the solution does not satisfy, in the order the user would raise them.

        The default checks that each facet's value appears in the solution (case-insensitive).
        """
        low = solution.lower()
        return [f for f in instance.facets if f.value.lower() not in low]

    def mention(self, instance: TaskInstance, facet: Facet, solution: str = "") -> str:
        """What the user says to tell ``facet``, when asked or when ``solution`` (a proposed
        solution; empty: none yet) leaves it unmet: the facet's statement by default. A family
        whose facets are long (a clause of a person's brief) says one or two of the details the
        solution lacks instead, as a person does.
        """
        return facet.statement

    def final_solution(self, messages: Sequence[ChatMessage]) -> str | None:
        """The last solution the assistant proposed in the conversation, or ``None``."""
        for message in reversed(messages):
            if message["role"] == "assistant":
                solution = self.extract_solution(message["content"])
                if solution is not None:
                    return solution
        return None

    @property
    @abc.abstractmethod
    def drafter(self) -> Drafter:
        """The family's public drafter (what built-in agents use)."""

    def facet_kind(self, name: str) -> FacetKind:
        """The public facet kind called ``name``."""
        for kind in self.facet_kinds:
            if kind.name == name:
                return kind
        raise KeyError(f"{self.name} has no facet kind {name!r}")


def check_policy_family(policy: object, env: object) -> None:
    """Raise if ``policy`` was built for another task family than ``env``'s.

    Agents built for an env (the built-in ones, :class:`~collab_env.agents.sb3.PolicyAgent`)
    carry the family in ``policy.family``; other callables are not checked. A wrapper that plays
    a policy in an env (MR's futures) calls this where it takes the policy.

    Raises:
        ConfigError: naming both families and how to build the right agent.
    """
    family, task = getattr(policy, "family", None), env.unwrapped.task.name  # type: ignore[attr-defined]
    if family is not None and family != task:
        raise ConfigError(
            f"the policy was built for the {family!r} task family, and this env is {task!r}: build "
            "it for this env, e.g. make_agent('clarify', env)"
        )


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ConfigError(f"split must be one of {SPLITS}, got {split!r}")


def _rng(family: str, split: str, index: int, attempt: int) -> np.random.Generator:
    """A generator seeded by the instance's coordinates only (independent of global state)."""
    digest = hashlib.sha256(f"{family}/{split}/{index}/{attempt}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "little"))


def resolve(spec: str | type) -> type:
    """Import ``"package.module:Name"`` and return the object.

    Raises:
        ConfigError: if the module or the name cannot be found.
    """
    if not isinstance(spec, str):
        return spec
    module_name, sep, attr = spec.partition(":")
    if not sep:
        raise ConfigError(f"expected 'module:name', got {spec!r}")
    try:
        return getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"cannot import {spec!r}: {exc}") from exc
