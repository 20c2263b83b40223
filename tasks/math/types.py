"""Types of the math family."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MathReference:
    """What a math answer is compared with.

    Attributes:
        answer: The exact answer in LaTeX (``"\\\\frac{13}{2}"``), computed with sympy.
        template: The problem template's name.
    """

    answer: str
    template: str
