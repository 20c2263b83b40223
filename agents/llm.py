"""LLM agents: a chat model behind a system prompt, callable as ``agent(messages) -> str``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from collab_env.errors import ConfigError
from collab_env.llm.base import ChatModel
from collab_env.types import ChatMessage

PROMPTS = {
    "base": "You are a helpful assistant. Help the user with their request.",
    "proactive": (
        "You are a collaborative assistant working with a user over several turns toward their goal. "
        "If the request is ambiguous or leaves out something that matters, ask a short, specific question "
        "before answering, about the most important unknown first, rather than guessing. "
        "Follow up on what the user tells you. Respect the user's effort: keep questions few and easy to "
        "answer, keep answers as short as the task allows. Aim at what the user ultimately needs, not only "
        "at their last message. When you know enough, give the complete solution."
    ),
}


class LLMAgent:
    """An agent backed by a chat model.

    Args:
        model: Any :class:`~collab_env.llm.ChatModel` (``OpenAIChat``, ``CachedChat``...).
        style: ``"base"`` (a plain assistant) or ``"proactive"`` (asks when it should, mindful of
            the user's effort, aiming at the long-term goal).
        **sampling: Sampling parameters for every call (temperature, max_tokens...).

    Attributes:
        concurrency: The model's, so that MR and benchmarks run this many calls at once.
    """

    def __init__(self, model: ChatModel, style: str = "base", **sampling: Any) -> None:
        if style not in PROMPTS:
            raise ConfigError(f"style must be one of {sorted(PROMPTS)}, got {style!r}")
        self.model, self.style, self.sampling = model, style, sampling
        self.concurrency = getattr(model, "concurrency", 1)

    def __call__(self, messages: Sequence[ChatMessage]) -> str:
        """The next assistant message."""
        return self.model.complete(self._prompt(messages), **self.sampling).text

    def act_batch(
        self,
        conversations: Sequence[Sequence[ChatMessage]],
        per_call: Sequence[Mapping[str, Any]] | None = None,
    ) -> list[str]:
        """The next assistant message of each conversation, as one batch of the model.

        Args:
            conversations: The conversations.
            per_call: Parameters of each call alone, e.g. ``{"seed": 3, "sample_index": 1}``
                (the k-th of several samples of one prompt: a response cache keeps them apart).
        """
        prompts = [self._prompt(c) for c in conversations]
        results = self.model.complete_batch(prompts, per_call=per_call, **self.sampling)
        return [r.text for r in results]

    def _prompt(self, messages: Sequence[ChatMessage]) -> list[dict[str, str]]:
        return [{"role": "system", "content": PROMPTS[self.style]}, *(dict(m) for m in messages)]
