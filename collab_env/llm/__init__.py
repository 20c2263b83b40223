"""Chat models: one protocol for every model the library calls (agents, user simulators, judges).

``OpenAIChat`` and ``HFChat`` are imported on first use, so that ``import collab_env`` loads
neither the openai client nor torch.
"""

from typing import Any

from collab_env.llm.base import ChatModel, ChatResult, Usage, price
from collab_env.llm.cache import CachedChat

__all__ = ["CachedChat", "ChatModel", "ChatResult", "HFChat", "OpenAIChat", "Usage", "price"]


def __getattr__(name: str) -> Any:
    if name == "OpenAIChat":
        from collab_env.llm.openai_chat import OpenAIChat

        return OpenAIChat
    if name == "HFChat":
        from collab_env.llm.hf_chat import HFChat

        return HFChat
    raise AttributeError(f"module 'collab_env.llm' has no attribute {name!r}")
