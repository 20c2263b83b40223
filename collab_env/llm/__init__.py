"""Chat models: one protocol for every model the library calls (agents, user simulators, judges).

``OpenAIChat`` is imported on first use, so that ``import collab_env`` does not load the openai
client.
"""

from typing import Any

from collab_env.llm.base import ChatModel, ChatResult, Usage, price
from collab_env.llm.cache import CachedChat

__all__ = ["CachedChat", "ChatModel", "ChatResult", "OpenAIChat", "Usage", "price"]


def __getattr__(name: str) -> Any:
    if name == "OpenAIChat":
        from collab_env.llm.openai_chat import OpenAIChat

        return OpenAIChat
    raise AttributeError(f"module 'collab_env.llm' has no attribute {name!r}")
