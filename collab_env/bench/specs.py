"""Agent specs for the benchmark: how a command line names an agent."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Sequence

import gymnasium as gym
from collab_env.agents import BUILTIN_AGENTS, make_agent

from collab_env.errors import ConfigError
from collab_env.types import ChatMessage

Agent = Callable[[Sequence[ChatMessage]], str]
SPEC_FORMS = (
    "a built-in agent (" + ", ".join(sorted(BUILTIN_AGENTS)) + "), an OpenAI-compatible model "
    "'openai:MODEL@BASE_URL' (add '#proactive' for the proactive prompt), a local checkpoint 'hf:PATH' "
    "or a Python callable 'module:function'"
)
_OPENAI = re.compile(
    r"^openai:(?P<model>[^@#\s]+)(?:@(?P<url>https?://[^#\s]+))?(?:#(?P<style>base|proactive))?$"
)


def check_spec(spec: str) -> str:
    """Validate an agent spec without building it; return it stripped.

    >>> check_spec(" clarify ")
    'clarify'

    Raises:
        ConfigError: naming the spec and the accepted forms.
    """
    spec = spec.strip()
    if spec in BUILTIN_AGENTS or _OPENAI.match(spec) or (spec.startswith("hf:") and len(spec) > 3):
        return spec
    module, sep, name = spec.partition(":")
    if sep and module and name.isidentifier() and all(part.isidentifier() for part in module.split(".")):
        return spec
    raise ConfigError(f"bad agent spec {spec!r}: expected {SPEC_FORMS}")


def build_agent(spec: str, env: gym.Env) -> Agent:
    """Build the agent named by ``spec`` for ``env``.

    ``openai:MODEL@BASE_URL`` builds an :class:`~collab_env.agents.LLMAgent` on an
    :class:`~collab_env.llm.OpenAIChat` (key from ``OPENAI_API_KEY``, ``EMPTY`` when unset, as
    local servers expect; without ``@BASE_URL``, ``OPENAI_BASE_URL`` or OpenAI's).
    A ``module:function`` spec names either an agent (``function(messages) -> str``) or a
    factory marked with ``function.agent_factory = True``, called with the env to build one.

    Raises:
        ConfigError: if the spec is malformed, cannot be imported or is not callable.
    """
    spec = check_spec(spec)
    if spec in BUILTIN_AGENTS:
        return make_agent(spec, env)
    match = _OPENAI.match(spec)
    if match:
        from collab_env.agents.llm import LLMAgent

        from collab_env.llm import OpenAIChat

        return LLMAgent(OpenAIChat(match["model"], base_url=match["url"]), style=match["style"] or "base")
    if spec.startswith("hf:"):
        from collab_env.agents.llm import LLMAgent

        from collab_env.llm import HFChat

        return LLMAgent(HFChat(spec[3:]))
    module_name, _, name = spec.partition(":")
    try:
        target = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(
            f"agent spec {spec!r}: cannot import {name!r} from {module_name!r} ({exc})"
        ) from exc
    if not callable(target):
        raise ConfigError(f"agent spec {spec!r}: {name!r} is not callable")
    return target(env) if getattr(target, "agent_factory", False) else target
