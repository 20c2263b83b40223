"""The math family's public drafter: finds the template, reads the quantities, computes."""

from __future__ import annotations

import re
from collections.abc import Sequence

import sympy

from collab_env.types import ChatMessage

from .templates import TEMPLATES, Slot, Template, fill


def _pattern(slot: Slot, words: tuple[str, str]) -> re.Pattern[str]:
    text = re.escape(fill(slot.statement, words)).replace(re.escape("{v}"), r"(\d+(?:\.\d+)?)")
    return re.compile(text, re.I)


class MathDrafter:
    """Public knowledge of the math family: the templates, their statements and formulas.

    ``missing`` returns slot names (finer than facet kinds, since a problem may have two
    prices); ``question`` understands both.
    """

    def problem(self, messages: Sequence[ChatMessage]) -> tuple[Template, tuple[str, str]] | None:
        """The template and words of the user's opening, if it is one of the family's."""
        first = next((m["content"] for m in messages if m["role"] == "user"), "")
        for template in TEMPLATES:
            for words in template.words:
                if fill(template.opening, words).lower() in first.lower():
                    return template, words
        return None

    def known(self, messages: Sequence[ChatMessage]) -> dict[str, str]:
        """Slot values stated in the user's messages (the latest statement wins)."""
        problem = self.problem(messages)
        if problem is None:
            return {}
        template, words = problem
        found: dict[str, str] = {}
        for message in messages:
            if message["role"] == "user":
                for slot in template.slots:
                    for match in _pattern(slot, words).finditer(message["content"]):
                        found[slot.name] = match[1]
        return found

    def missing(self, messages: Sequence[ChatMessage]) -> list[str]:
        """Slots whose values are still unknown."""
        problem = self.problem(messages)
        known = self.known(messages)
        return [s.name for s in problem[0].slots if s.name not in known] if problem else []

    def question(self, kind: str, messages: Sequence[ChatMessage] = ()) -> str:
        """A question about a slot (or about the first unknown slot of a facet kind)."""
        problem = self.problem(messages)
        if problem is None:
            return f"Could you tell me the {kind}?"
        template, words = problem
        known = self.known(messages)
        slots = [s for s in template.slots if s.name == kind] or [
            s for s in template.slots if s.kind == kind and s.name not in known
        ]
        return fill(slots[0].question, words) if slots else f"Could you tell me the {kind}?"

    def draft(self, messages: Sequence[ChatMessage]) -> str:
        """A short worked solution ending in ``\\boxed{}``; unknown quantities are guessed."""
        problem = self.problem(messages)
        if problem is None:
            return "I could not identify the problem; my best answer is \\boxed{0}."
        template = problem[0]
        known = self.known(messages)
        values = {s.name: sympy.Rational(known.get(s.name, s.guess)) for s in template.slots}
        guessed = [s.name for s in template.slots if s.name not in known]
        answer = sympy.nsimplify(template.answer(values))
        lines = [f"{s.name.replace('_', ' ')} = {values[s.name]}" for s in template.slots]
        note = f" (assuming {', '.join(guessed)})" if guessed else ""
        return f"Using {', '.join(lines)}{note}, the answer is \\boxed{{{sympy.latex(answer)}}}."
