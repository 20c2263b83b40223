"""Scripted baseline agents: they read the conversation and the family's public drafter only."""

from __future__ import annotations

from collections.abc import Sequence

from collab_env.facets import contents
from collab_env.task import Drafter
from collab_env.types import ChatMessage


class PassiveAgent:
    """Answers at once: every turn proposes a solution from what the conversation revealed.

    Args:
        drafter: The task family's public drafter (``env.unwrapped.task.drafter``).
    """

    def __init__(self, drafter: Drafter) -> None:
        self.drafter = drafter

    def __call__(self, messages: Sequence[ChatMessage]) -> str:
        """The next assistant message: a drafted solution."""
        return self.drafter.draft(messages)


class ClarifyAgent:
    """Asks about what it does not know, then proposes a solution.

    While facet kinds are missing from the conversation, it asks about up to
    ``max_questions`` of them that it has asked about at most once before (a user who put a
    question off is asked it once more, as a person would); then it drafts.

    Args:
        drafter: The task family's public drafter.
        max_questions: Questions per message (the scripted user answers at most three).
    """

    def __init__(self, drafter: Drafter, max_questions: int = 2) -> None:
        if max_questions < 1:
            raise ValueError(f"max_questions must be >= 1, got {max_questions}")
        self.drafter, self.max_questions = drafter, max_questions

    def __call__(self, messages: Sequence[ChatMessage]) -> str:
        """The next assistant message: questions while something is missing, else a solution."""
        said = " ".join(contents(messages, "assistant"))
        asked = (self.drafter.question(kind, messages) for kind in self.drafter.missing(messages))
        to_ask = [q for q in asked if said.count(q) < 2]
        if to_ask:
            return "Before I start, a quick question: " + " ".join(to_ask[: self.max_questions])
        return self.drafter.draft(messages)
