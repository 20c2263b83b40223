"""LLM agents: a chat model behind a system prompt, callable as ``agent(messages) -> str``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from collab_env.errors import ConfigError
from collab_env.llm import bounded
from collab_env.llm.base import ChatModel
from collab_env.types import ChatMessage

PROMPTS = {
    "base": "You are a helpful assistant. Help the user with their request.",
    # The paper's proactive prompting, in our words: look past the current turn to the whole
    # conversation, find out the user's real intent, ask when that pays, and spare their effort.
    "proactive": (
        "You are an assistant that collaborates with a user over a multi-turn conversation. The user "
        "has a goal they have not fully stated; your job is to reach it with them, in as few and as "
        "easy turns as you can.\n"
        "- Think about where the whole conversation is going, not only about the last message: what "
        "does the user ultimately need, and what does your reply do to the turns that follow?\n"
        "- If the request is ambiguous or leaves out something that changes the answer, ask about it "
        "before answering, with a short, specific question about the most important unknown. Do not "
        "ask what you can reasonably infer, and do not ask many questions at once.\n"
        "- When you know enough, act: give the complete solution, and say which assumptions it makes "
        "so that the user can correct them.\n"
        "- Build on what the user tells you and on their feedback; suggest what they may not have "
        "thought of when it matters to their goal.\n"
        "- Respect their time: be concise, with no filler."
    ),
}


class LLMAgent:
    """An agent backed by a chat model.

    Args:
        model: Any :class:`~collab_env.llm.ChatModel` (``OpenAIChat``, ``CachedChat``...).
        style: ``"base"`` (a plain assistant) or ``"proactive"`` (asks when it should, mindful of
            the user's effort, aiming at the long-term goal).
        **sampling: Sampling parameters for every call (temperature, max_tokens...).
            ``max_tokens`` defaults to the agent role's (:data:`~collab_env.config.ROLE_DEFAULTS`)
            unless the model has one: every call is bounded.

    Attributes:
        concurrency: The model's, so that MR and benchmarks run this many calls at once.
    """

    def __init__(self, model: ChatModel, style: str = "base", **sampling: Any) -> None:
        if style not in PROMPTS:
            raise ConfigError(f"style must be one of {sorted(PROMPTS)}, got {style!r}")
        self.model, self.style, self.sampling = model, style, bounded("agent", model, sampling)
        self.concurrency = getattr(model, "concurrency", 1)

    def __call__(self, messages: Sequence[ChatMessage]) -> str:
        """The next assistant message."""
        return self.model.complete(self._prompt(messages), **self.sampling).text

    async def act_async(self, messages: Sequence[ChatMessage], **per_call: Any) -> str:
        """The next assistant message, awaited (the model's async call).

        Args:
            messages: The conversation.
            **per_call: Parameters of this call alone (``seed``, ``sample_index``).
        """
        return (await self.model.acomplete(self._prompt(messages), **{**self.sampling, **per_call})).text

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
