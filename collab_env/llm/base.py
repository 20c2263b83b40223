"""The chat-model protocol every model the library calls follows, and its usage accounting."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from collab_env.types import ChatMessage


@dataclass(frozen=True)
class ChatResult:
    """One completion.

    Attributes:
        text: The assistant message.
        prompt_tokens: Tokens read by the model (as the endpoint reports).
        completion_tokens: Tokens written.
        finish_reason: Why generation stopped (``"stop"``, ``"length"``...).
        model: The model's name.
        cost: Price of the call in the price table's currency (0 without a table).
        cached: Whether the result came from a cache.
        attempts: Requests the call took, failed ones included (their tokens and cost are in the
            counts above: a paid API bills them).
    """

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str = "stop"
    model: str = ""
    cost: float = 0.0
    cached: bool = False
    attempts: int = 1


@dataclass
class Usage:
    """Calls, tokens and cost accumulated by a model (thread-safe)."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, result: ChatResult) -> None:
        """Count one call's result."""
        with self._lock:
            self.calls += result.attempts
            self.prompt_tokens += result.prompt_tokens
            self.completion_tokens += result.completion_tokens
            self.cost += result.cost

    def __getstate__(self) -> dict[str, Any]:
        """The counts (a copy gets a lock of its own)."""
        return self.as_dict()

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Rebuild from :meth:`__getstate__`."""
        self.__dict__.update(state, _lock=threading.Lock())

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready snapshot."""
        with self._lock:
            return {
                "calls": self.calls,
                "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
                "cost": self.cost,
            }


def price(prices: Mapping[str, float] | None, prompt_tokens: int, completion_tokens: int) -> float:
    """Cost of a call from a price table in currency units per million tokens.

    >>> price({"prompt": 0.15, "completion": 0.6}, 1_000_000, 500_000)
    0.45
    """
    if not prices:
        return 0.0
    return (
        prices.get("prompt", 0.0) * prompt_tokens + prices.get("completion", 0.0) * completion_tokens
    ) / 1e6


@runtime_checkable
class ChatModel(Protocol):
    """Messages and sampling parameters in; text, token usage and finish reason out.

    Sampling parameters every model accepts: ``temperature``, ``top_p``, ``max_tokens``,
    ``seed`` (endpoints that honour it sample reproducibly) and ``sample_index`` (the k-th
    sample of the same request: a cache tells samples apart by it; endpoints ignore it).

    Attributes:
        name: The model's name (part of cache keys).
        concurrency: Calls it serves at once (callers size their thread pools to it).
        usage: Calls, tokens and cost so far.
    """

    name: str
    concurrency: int
    usage: Usage

    def complete(self, messages: Sequence[ChatMessage], **params: Any) -> ChatResult:
        """One completion (blocking)."""

    async def acomplete(self, messages: Sequence[ChatMessage], **params: Any) -> ChatResult:
        """One completion (async)."""

    def complete_batch(
        self,
        batch: Sequence[Sequence[ChatMessage]],
        per_call: Sequence[Mapping[str, Any]] | None = None,
        **params: Any,
    ) -> list[ChatResult]:
        """One completion per conversation, in order, up to ``concurrency`` at once.

        ``per_call[i]`` holds parameters of conversation i alone (its ``seed``, its
        ``sample_index``), merged over ``params``.
        """


def per_call_params(
    n: int, per_call: Sequence[Mapping[str, Any]] | None, params: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The parameters of each of ``n`` calls of a batch: ``params`` with ``per_call[i]`` over them.

    Raises:
        ValueError: if ``per_call`` does not have ``n`` entries.

    >>> per_call_params(2, [{"seed": 1}, {"seed": 2}], {"temperature": 1.0})
    [{'temperature': 1.0, 'seed': 1}, {'temperature': 1.0, 'seed': 2}]
    """
    if per_call is None:
        return [dict(params) for _ in range(n)]
    if len(per_call) != n:
        raise ValueError(f"per_call has {len(per_call)} entries for a batch of {n}")
    return [{**params, **extra} for extra in per_call]
