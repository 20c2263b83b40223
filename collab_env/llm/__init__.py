"""Chat models: one protocol for every model the library calls (agents, user simulators, judges).

``OpenAIChat`` and ``HFChat`` are imported on first use, so that ``import collab_env`` loads
neither the openai client nor torch.
"""

import sys
from typing import Any

from collab_env.llm.base import ChatModel, ChatResult, Usage, price
from collab_env.llm.cache import CachedChat

__all__ = [
    "CachedChat",
    "ChatModel",
    "ChatResult",
    "HFChat",
    "OpenAIChat",
    "Usage",
    "bounded",
    "innermost",
    "is_endpoint",
    "price",
]


def innermost(model: Any) -> Any:
    """The model that a chain of wrappers (``CachedChat``...) ends at: the one with sampling defaults.

    >>> class Base: defaults = {"max_tokens": 8}
    >>> class Wrapper: model = Base()
    >>> innermost(Wrapper()).defaults
    {'max_tokens': 8}
    """
    while not hasattr(model, "defaults") and hasattr(model, "model"):
        model = model.model
    return model


def __getattr__(name: str) -> Any:
    if name == "OpenAIChat":
        from collab_env.llm.openai_chat import OpenAIChat

        return OpenAIChat
    if name == "HFChat":
        from collab_env.llm.hf_chat import HFChat

        return HFChat
    raise AttributeError(f"module 'collab_env.llm' has no attribute {name!r}")


def is_endpoint(model: Any) -> bool:
    """Whether ``model`` (through its wrappers) is an :class:`OpenAIChat`: an OpenAI-compatible
    endpoint, which generates until the context is full unless bounded, and offers JSON mode.
    """
    module = sys.modules.get("collab_env.llm.openai_chat")  # not imported: no OpenAIChat exists
    return module is not None and isinstance(innermost(model), module.OpenAIChat)


def bounded(role: str, model: Any, sampling: dict[str, Any]) -> dict[str, Any]:
    """``sampling`` bounded by ``role``'s ``max_tokens`` when ``model`` is an OpenAI-compatible
    endpoint and neither ``sampling`` nor the model's defaults bound it.

    What an agent or a user simulator built around a model sends with every call, so that no
    call runs until the context is full (issue 18: one ran 3,628 tokens, 515 s). A local
    ``HFChat`` has its own bound (its ``max_tokens`` default).
    """
    from collab_env.config import ROLE_DEFAULTS

    if not is_endpoint(model) or sampling.get("max_tokens") is not None:
        return dict(sampling)
    if innermost(model).defaults.get("max_tokens") is not None:
        return dict(sampling)
    return {**sampling, "max_tokens": ROLE_DEFAULTS[role]["max_tokens"]}
