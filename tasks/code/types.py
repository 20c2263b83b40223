"""Types of the code family."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CodeReference:
    """The hidden unit tests of a function-writing task.

    Attributes:
        entry_point: The function's name.
        tests: ``(facet name, test source)`` pairs; each test is a few statements that raise
            on failure, run in a fresh copy of the solution's namespace.
        solution: A reference solution (it passes every test).
    """

    entry_point: str
    tests: tuple[tuple[str, str], ...]
    solution: str
