"""Types of the QA family."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QAReference:
    """What a QA answer is compared with.

    Attributes:
        answer: The answer under the intended reading.
        other_answers: The answers under the other readings (wrong here).
        readings: The candidate readings (the people the question may be about).
        intended: The intended reading.
    """

    answer: str
    other_answers: tuple[str, ...]
    readings: tuple[str, ...]
    intended: str
