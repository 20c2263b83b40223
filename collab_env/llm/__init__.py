"""Chat models: one protocol for every model the library calls (agents, user simulators, judges).

``OpenAIChat`` and ``HFChat`` are imported on first use, so that ``import collab_env`` loads
neither the openai client nor torch.
"""

from typing import Any

from collab_env.llm.backends import BACKENDS, bounds_tokens, build_model, innermost, json_mode, parse_model
from collab_env.llm.base import ChatModel, ChatResult, Usage, price
from collab_env.llm.cache import CachedChat

__all__ = [
    "BACKENDS",
    "CachedChat",
    "ChatModel",
    "ChatResult",
    "HFChat",
    "OpenAIChat",
    "Usage",
    "bounded",
    "bounds_tokens",
    "build_model",
    "innermost",
    "json_mode",
    "parse_model",
    "price",
]


def __getattr__(name: str) -> Any:
    if name == "OpenAIChat":
        from collab_env.llm.openai_chat import OpenAIChat

        return OpenAIChat
    if name == "HFChat":
        from collab_env.llm.hf_chat import HFChat

        return HFChat
    raise AttributeError(f"module 'collab_env.llm' has no attribute {name!r}")


def bounded(role: str, model: Any, sampling: dict[str, Any]) -> dict[str, Any]:
    """``sampling`` bounded by ``role``'s ``max_tokens`` when ``model`` does not bound its own
    generations (an OpenAI-compatible endpoint) and neither ``sampling`` nor its defaults do.

    What an agent or a user simulator built around a model sends with every call, so that no
    call runs until the context is full (issue 18: one ran 3,628 tokens, 515 s). A local
    ``HFChat`` has its own bound (its ``max_tokens`` default).
    """
    from collab_env.model_config import ROLE_DEFAULTS

    if bounds_tokens(model) or sampling.get("max_tokens") is not None:
        return dict(sampling)
    if innermost(model).defaults.get("max_tokens") is not None:
        return dict(sampling)
    return {**sampling, "max_tokens": ROLE_DEFAULTS[role]["max_tokens"]}
