"""One grammar for every model the library calls (agent, user, judge), built by one registry.

A model is named ``BACKEND:TARGET``: ``openai:MODEL`` or ``openai:MODEL@BASE_URL`` (an
OpenAI-compatible endpoint: vLLM, llama.cpp, Ollama, OpenAI...) and ``hf:PATH`` (a local
``transformers`` checkpoint). Each backend is one row of :data:`BACKENDS`: the grammar of its
target, the model options it takes (``max_tokens``, ``concurrency``...: the keys of
``--model-option ROLE.KEY=VALUE``) and the ``module:function`` that builds its chat model,
imported on first use (so naming a backend loads neither the openai client nor torch).

A new backend (a vLLM offline engine, say) is one module with a ``build(target, options)``
function and one row here; the chat model it returns declares its capabilities
(:func:`json_mode`, :func:`bounds_tokens`) instead of being recognised by its class. The row's
probe is what the command line's preflight runs before any work (:func:`probe_backend`): one
one-token request to an endpoint, a look at a checkpoint directory.

>>> parse_model("openai:qwen@http://localhost:8000/v1")
('openai', {'model': 'qwen', 'url': 'http://localhost:8000/v1'})
>>> parse_model("hf:/models/qwen"), parse_model("clarify")
(('hf', {'path': '/models/qwen'}), None)
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from typing import Any

from collab_env.errors import ConfigError


@dataclass(frozen=True)
class Backend:
    """How one backend's models are named and built.

    Attributes:
        target: Regular expression of what follows ``NAME:`` (named groups become the fields).
        form: How a user writes the name, for error messages (``'hf:PATH' (a local checkpoint...)``).
        build: ``module:function`` called as ``function(fields, options)``; returns a chat model.
        options: The model options (``--model-option`` keys) this backend takes.
        check: ``module:function`` called as ``function(fields)`` to check a target without
            building its model (raises ``ConfigError``), or ``None``.
        probe: ``module:function`` called as ``function(fields, role)`` before a run: checks that
            the model can serve it where it really is (an endpoint answers a one-token request; a
            checkpoint is on disk), without building it; raises ``ConfigError``, one line that
            starts with ``role``. ``None``: nothing to probe.
    """

    target: str
    form: str
    build: str
    options: frozenset[str]
    check: str | None = None
    probe: str | None = None


#: Every backend, by the name that prefixes its models.
BACKENDS: dict[str, Backend] = {
    "openai": Backend(
        r"(?P<model>[^@#\s]+)(?:@(?P<url>https?://[^#\s]+))?",
        "'openai:MODEL', 'openai:MODEL@BASE_URL' with BASE_URL starting http:// or https://",
        "collab_env.llm.openai_chat:build",
        frozenset({"max_tokens", "temperature", "timeout_s", "concurrency", "max_retries"}),
        probe="collab_env.llm.openai_probe:probe",
    ),
    "hf": Backend(
        r"(?P<path>[^#]*[^#\s])",
        "'hf:PATH' (a local checkpoint directory, or a .gguf file)",
        "collab_env.llm.hf_chat:build",
        frozenset({"max_tokens", "temperature", "concurrency"}),
        check="collab_env.llm.hf_chat:check",
        probe="collab_env.llm.hf_chat:probe",
    ),
}


def parse_model(spec: str) -> tuple[str, dict[str, Any]] | None:
    """The backend and target fields of a model name, ``None`` if it names no backend.

    Raises:
        ConfigError: for a registered backend's prefix with a malformed target, naming the form.
    """
    name, sep, target = spec.strip().partition(":")
    backend = BACKENDS.get(name) if sep else None
    if backend is None:
        return None
    match = re.fullmatch(backend.target, target)
    if match is None:
        raise ConfigError(f"bad model {spec!r}: expected {backend.form}")
    return name, match.groupdict()


def build_model(spec: str, options: dict[str, Any] | None = None) -> Any:
    """The chat model named by ``spec`` (``BACKEND:TARGET``) with the model options given.

    Args:
        spec: A model name (see the module docstring).
        options: Model options (``{"max_tokens": 100, "concurrency": 8}``); only the ones given
            are applied, the rest keep the backend's defaults.

    Raises:
        ConfigError: for a name no backend reads, or an option the backend does not take.
    """
    parsed = parse_model(spec)
    if parsed is None:
        forms = " or ".join(b.form for b in BACKENDS.values())
        raise ConfigError(f"bad model {spec!r}: expected one of {forms}")
    return build_backend(*parsed, options or {})


def build_backend(name: str, fields: dict[str, Any], options: dict[str, Any]) -> Any:
    """The chat model of backend ``name`` for parsed ``fields``, with the model options given.

    Raises:
        ConfigError: for an option the backend does not take, naming it.
    """
    unknown = sorted(set(options) - BACKENDS[name].options)
    if unknown:
        raise ConfigError(
            f"the {name} backend takes the model options {sorted(BACKENDS[name].options)}, not {unknown}"
        )
    return _function(BACKENDS[name].build)(fields, dict(options))


def check_model(spec: str) -> None:
    """Check what a model name needs (a checkpoint directory...) without building the model.

    Raises:
        ConfigError: naming the model and what is wrong.
    """
    parsed = parse_model(spec)
    if parsed is not None and BACKENDS[parsed[0]].check is not None:
        _function(BACKENDS[parsed[0]].check)(parsed[1])


def probe_backend(name: str, fields: dict[str, Any], role: str) -> None:
    """Run backend ``name``'s probe on parsed ``fields``: can the model serve a run where it is?

    Args:
        name: A backend of :data:`BACKENDS`.
        fields: The target's fields (:func:`parse_model`'s second item).
        role: Who calls the model, for the message (``"user"``, ``"judge"``, ``"agent SPEC"``).

    Raises:
        ConfigError: one line, starting with ``role``, naming the model, where it is and what
            is wrong.
    """
    if BACKENDS[name].probe is not None:
        _function(BACKENDS[name].probe)(fields, role)


def _function(target: str) -> Any:
    """The function of a ``module:function`` string, imported now."""
    module, _, function = target.partition(":")
    return getattr(importlib.import_module(module), function)


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


def json_mode(model: Any) -> bool:
    """Whether ``model`` (through its wrappers) can be asked for a JSON object (``response_format``).

    A chat model declares it with a ``json_mode`` class attribute; models that do not say cannot.
    """
    return bool(getattr(innermost(model), "json_mode", False))


def bounds_tokens(model: Any) -> bool:
    """Whether ``model`` bounds its own generations (else a caller bounds each call's ``max_tokens``).

    An OpenAI-compatible endpoint generates until the context is full unless bounded; a local
    checkpoint has its own bound. Models that do not say are taken to bound themselves.
    """
    return bool(getattr(innermost(model), "bounds_tokens", True))


def chat_model(config: Any) -> Any:
    """The chat model of a part's :class:`~collab_env.model_config.ModelConfig` (a user's, a
    judge's), with its options and response cache.

    ``config.model`` is a name in the grammar (``hf:PATH``, ``openai:MODEL@URL``...) or the bare
    name of a model at the OpenAI-compatible ``config.base_url`` (``None``: ``OPENAI_BASE_URL``,
    else OpenAI's). An endpoint's concurrency is one limit for every role on it
    (:mod:`collab_env.llm.limits`): the default leaves it as it is, a ``concurrency`` option sets it.
    """
    from collab_env.llm.cache import with_cache
    from collab_env.llm.limits import DEFAULT_CONCURRENCY

    parsed = parse_model(config.model) or ("openai", {"model": config.model, "url": config.base_url})
    taken = {k: v for k, v in config.options().items() if k in BACKENDS[parsed[0]].options}
    if parsed[0] == "openai" and taken.get("concurrency") == DEFAULT_CONCURRENCY:
        del taken["concurrency"]  # the default: the endpoint keeps the limit another role may have set
    return with_cache(build_backend(parsed[0], parsed[1], taken), config.cache)


__all__ = [
    "BACKENDS",
    "Backend",
    "bounds_tokens",
    "build_backend",
    "build_model",
    "chat_model",
    "check_model",
    "innermost",
    "json_mode",
    "parse_model",
    "probe_backend",
]
