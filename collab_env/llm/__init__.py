"""Chat models: one protocol for every model the library calls (agents, user simulators, judges)."""

from collab_env.llm.base import ChatModel, ChatResult, Usage, price
from collab_env.llm.cache import CachedChat
from collab_env.llm.openai_chat import OpenAIChat

__all__ = ["CachedChat", "ChatModel", "ChatResult", "OpenAIChat", "Usage", "price"]
