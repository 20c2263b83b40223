"""Agent specs for the benchmark: how a command line names an agent.

Four forms:

- a built-in agent: ``passive``, ``clarify``;
- a model, named in the one grammar of :mod:`collab_env.llm.backends`: an OpenAI-compatible
  ``openai:MODEL@BASE_URL`` (API key from ``OPENAI_API_KEY``: the command line refuses to start
  without one for an endpoint that is not on this machine) or a local checkpoint ``hf:PATH``;
  ``#proactive`` appended picks the proactive prompt. The env's config sets the model's
  options: the agent role's defaults (:data:`~collab_env.config.ROLE_DEFAULTS`), and those
  given (``--model-option agent.max_tokens=100``, ``agent.concurrency=8``...);
- a Python callable: ``module:function``, either an agent (``function(messages) -> str``) or a
  factory marked ``function.agent_factory = True``, called with the env to build one.

The chat model of a model spec is built once per process and shared by every episode (a local
checkpoint is loaded once; an endpoint's concurrency bound holds across episodes); each episode's
agent meters its own calls, tokens and cost.
"""

from __future__ import annotations

import functools
import importlib
import os
import re
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import gymnasium as gym

from collab_env.agents import BUILTIN_AGENTS, make_agent
from collab_env.errors import ConfigError
from collab_env.llm.backends import BACKENDS, build_model, check_model, parse_model
from collab_env.types import Agent

SPEC_FORMS = (
    "a built-in agent ("
    + ", ".join(sorted(BUILTIN_AGENTS))
    + "), a model "
    + " or ".join(backend.form for backend in BACKENDS.values())
    + " (add '#proactive' for the proactive prompt) or a Python callable 'module:function'"
)
_STYLE = re.compile(r"#(?P<style>base|proactive)$")


def _model_and_style(spec: str) -> tuple[str, str | None]:
    """A model spec split into the model's name and its ``#style`` (``None`` when absent)."""
    match = _STYLE.search(spec)
    return (spec[: match.start()], match["style"]) if match else (spec, None)


def check_spec(spec: str) -> str:
    """Validate an agent spec without building it (nothing is imported or loaded).

    Args:
        spec: The spec as typed on the command line.

    Returns:
        The spec, stripped of surrounding blanks.

    Raises:
        ConfigError: naming the spec, what is wrong with it and the accepted forms.

    >>> check_spec(" clarify ")
    'clarify'
    >>> check_spec("openai:gpt-4o-mini@http://localhost:8000/v1#proactive")
    'openai:gpt-4o-mini@http://localhost:8000/v1#proactive'
    """
    if not isinstance(spec, str):
        raise ConfigError(f"an agent spec must be a string, got {type(spec).__name__}: expected {SPEC_FORMS}")
    spec = spec.strip()
    if spec in BUILTIN_AGENTS:
        return spec
    module, sep, name = spec.partition(":")
    if module in BACKENDS:
        model = _model_and_style(spec)[0]
        try:
            if "#" not in model and parse_model(model) is not None:
                return spec
        except ConfigError:
            pass
        raise ConfigError(
            f"bad agent spec {spec!r}: expected {BACKENDS[module].form}, "
            "optionally followed by '#base' or '#proactive'"
        )
    if sep and module and name.isidentifier() and all(part.isidentifier() for part in module.split(".")):
        return spec
    raise ConfigError(f"bad agent spec {spec!r}: expected {SPEC_FORMS}")


def build_agent(spec: str, env: gym.Env, options: Sequence[str] | Mapping[str, Any] = ()) -> Agent:
    """Build the agent named by ``spec`` for ``env``.

    Args:
        spec: An agent spec (see the module docstring).
        env: The env the agent will play in (built-in agents and factories read its task family).
        options: The options of a model agent's model, ``KEY=VALUE`` (a command's
            ``--agent.KEY VALUE``) or a mapping: ``max_tokens``, ``temperature``, ``timeout_s``,
            ``concurrency``, ``max_retries``, ``cache``.

    Returns:
        A callable ``agent(messages) -> str``. A model-backed agent's ``model.usage`` counts the
        calls, tokens and cost of this agent alone.

    Raises:
        ConfigError: if the spec is malformed, cannot be imported, is not callable, or names a
            checkpoint that does not exist.
    """
    spec = check_spec(spec)
    if spec in BUILTIN_AGENTS:
        return make_agent(spec, env)
    if uses_model(spec):
        from collab_env.agents.llm import LLMAgent

        model, style = _model_and_style(spec)
        typed = tuple(sorted(agent_options(parse_model(model)[0], options).items()))
        with _BUILDING:  # episodes starting together in worker threads get the one model
            shared = _shared_model(model, typed)
        return LLMAgent(MeteredChat(shared), style=style or "base")
    target = resolve_spec(spec)
    return target(env) if getattr(target, "agent_factory", False) else target


def resolve_spec(spec: str) -> Any:
    """Resolve what a spec needs, without building a model or an agent.

    Imports a ``module:function`` and checks it is callable; checks what a model needs (an
    ``hf:`` checkpoint directory exists). Built-in and ``openai:`` specs need nothing here (an
    endpoint is checked by one request, in the command line's preflight).

    Args:
        spec: An agent spec.

    Returns:
        The callable of a ``module:function`` spec, else ``None``.

    Raises:
        ConfigError: naming the spec and what is wrong.

    >>> resolve_spec("clarify") is None
    True
    """
    spec = check_spec(spec)
    if spec in BUILTIN_AGENTS:
        return None
    if uses_model(spec):
        try:
            check_model(_model_and_style(spec)[0])
        except ConfigError as exc:
            raise ConfigError(f"agent spec {spec!r}: {exc}") from exc
        return None
    module_name, _, name = spec.partition(":")
    try:
        target = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(
            f"agent spec {spec!r}: cannot import {name!r} from {module_name!r} ({exc}); the working "
            f"folder ({os.getcwd()}) and the installed packages are searched: run from the folder "
            "that holds the module, or pip install it"
        ) from exc
    if not callable(target):
        raise ConfigError(f"agent spec {spec!r}: {name!r} is a {type(target).__name__}, not a callable")
    return target


def agent_options(backend: str, given: Sequence[str] | Mapping[str, Any] = ()) -> dict[str, Any]:
    """The options of a ``backend`` agent's model: the agent role's defaults, then ``given``.

    The defaults apply where the backend takes the option (a checkpoint has no timeout), but
    ``max_tokens``: :class:`~collab_env.agents.llm.LLMAgent` bounds each call by it (a
    checkpoint's own default is the same), so a checkpoint's shared model stays the one that
    ``HFChat.shared(path)`` loads. An option given that the backend does not take is passed on,
    for the backend to refuse by name.

    >>> agent_options("openai", ["timeout_s=7"])["timeout_s"]
    7.0

    Raises:
        ConfigError: for an unknown key or a bad value, naming it.
    """
    from collab_env.model_config import ModelConfig, parse_model_options

    items = [f"{k}={v}" for k, v in given.items()] if isinstance(given, Mapping) else list(given)
    typed_given = parse_model_options([f"agent.{item}" for item in items]).get("agent", {})
    typed = {k: v for k, v in ModelConfig.for_role("agent", None).options().items() if k != "max_tokens"}
    taken = {k: v for k, v in typed.items() if k in BACKENDS[backend].options}
    return {**taken, **typed_given}  # with the cache file, when given


_BUILDING = threading.Lock()


@functools.lru_cache(maxsize=8)
def _shared_model(model: str, options: tuple[tuple[str, Any], ...] = ()) -> Any:
    """The chat model named ``model`` with these options, built once per process.

    A checkpoint goes through :meth:`HFChat.shared`, which loads it under a lock: episodes that
    start together in worker threads share one model, whose calls are batched together; an
    endpoint's one client keeps its concurrency bound across episodes.
    """
    from collab_env.llm.cache import with_cache

    options = dict(options)
    path = options.pop("cache", None)
    return with_cache(build_model(model, options), path)


class MeteredChat:
    """A chat model seen through its own usage meter: one episode's calls, tokens and cost.

    Args:
        model: The shared chat model (any :class:`~collab_env.llm.ChatModel`).
    """

    def __init__(self, model: Any) -> None:
        from collab_env.llm.base import Usage

        self.model, self.usage = model, Usage()
        self.name = getattr(model, "name", type(model).__name__)
        self.concurrency = getattr(model, "concurrency", 1)

    def complete(self, messages: Sequence[Any], **params: Any) -> Any:
        """One completion, counted."""
        result = self.model.complete(messages, **params)
        self.usage.add(result)
        return result

    async def acomplete(self, messages: Sequence[Any], **params: Any) -> Any:
        """One completion, awaited and counted."""
        result = await self.model.acomplete(messages, **params)
        self.usage.add(result)
        return result

    def complete_batch(
        self, batch: Sequence[Sequence[Any]], per_call: Sequence[Any] | None = None, **params: Any
    ) -> list[Any]:
        """One completion per conversation, each counted."""
        results = self.model.complete_batch(batch, per_call=per_call, **params)
        for result in results:
            self.usage.add(result)
        return results

    def __repr__(self) -> str:
        return f"MeteredChat({self.model!r})"


def uses_model(spec: str) -> bool:
    """Whether a spec names a model-backed agent (a backend's ``openai:``, ``hf:``...).

    >>> uses_model("hf:/models/qwen"), uses_model("clarify")
    (True, False)
    """
    return spec.strip().partition(":")[0] in BACKENDS
