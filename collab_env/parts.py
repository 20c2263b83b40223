"""The parts an environment is described by: who plays the user, and who judges engagement.

A part is a *kind*, the model it calls (if any) and its options:

>>> user = UserSpec("llm", model="openai:qwen@http://localhost:8000/v1", options={"protocol": "roleplay"})
>>> user.kind, user.model_config().max_tokens, user.kind_options()
('llm', 512, {'protocol': 'roleplay'})
>>> JudgeSpec().kind
'heuristic'

Each kind is one row of :data:`USER_KINDS` or :data:`JUDGE_KINDS`: the ``"module:attr"`` of
the class (or function) that builds the part, imported on first use, as the model backends'
rows are (:mod:`collab_env.llm.backends`). It is called with the part's options as keyword
arguments, and first with its chat model when its first parameter is ``model``. A kind may also
be written as ``"module:attr"`` itself. So a new user simulator is one module and one row
(docs/custom_users.md shows one), and every command, bench run, served env and MR replay can
name it, because the spec is what ``env.spec`` records.

Options are given as Python values or, from the command line, as text: each is read by the type
of the parameter's default (``"2"`` is 2 for ``max_attempts=3``). The keys of
:data:`MODEL_OPTIONS` (``max_tokens``, ``temperature``, ``timeout_s``, ``concurrency``,
``max_retries``, ``cache``, ``json_mode``) set the part's model, never the part.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from collab_env.errors import ConfigError
from collab_env.model_config import MODEL_OPTIONS, ModelConfig, parse_model_options

#: User simulator kinds: name -> ``"module:attr"`` of what builds it (or the class itself, for a
#: kind used in one process only).
USER_KINDS: dict[str, Any] = {
    "scripted": "collab_env.users.scripted:ScriptedUser",
    "llm": "collab_env.users.llm:LLMUser",
}
#: Engagement judge kinds: name -> ``"module:attr"`` of what builds it.
JUDGE_KINDS: dict[str, Any] = {
    "heuristic": "collab_env.rewards.engagement:HeuristicEngagement",
    "llm": "collab_env.rewards.judges:LLMInteractivityJudge",
}


@dataclass(frozen=True)
class PartSpec:
    """A part of an env: its kind, the model it calls and its options (see the module docstring).

    Attributes:
        kind: A row of the role's kinds (``"scripted"``, ``"llm"``...) or ``"module:attr"``.
        model: The model the part calls, in the one grammar of :mod:`collab_env.llm.backends`
            (``openai:MODEL@URL``, ``hf:PATH``; a bare name is a model at the OpenAI-compatible
            endpoint of ``OPENAI_BASE_URL``), or ``None``.
        options: The part's options and its model's (:data:`MODEL_OPTIONS`), as a mapping or
            ``(key, value)`` pairs; kept sorted, so two equal descriptions compare equal.
    """

    kind: str
    model: str | None = None
    options: tuple[tuple[str, Any], ...] = ()
    ROLE: ClassVar[str] = ""
    KINDS: ClassVar[dict[str, Any]] = {}

    def __post_init__(self) -> None:
        if not isinstance(self.kind, str) or (self.kind not in self.KINDS and ":" not in self.kind):
            raise ConfigError(
                f"{self.ROLE} kind must be one of {sorted(self.KINDS)} or 'module:attr', got {self.kind!r}"
            )
        if self.model is not None and (not isinstance(self.model, str) or not self.model.strip()):
            raise ConfigError(f"{self.ROLE} model must be a model name, got {self.model!r}")
        pairs = self.options.items() if isinstance(self.options, Mapping) else self.options
        options = {str(k).replace("-", "_"): v for k, v in pairs}
        model_given = [f"{self.ROLE}.{k}={v}" for k, v in options.items() if k in MODEL_OPTIONS]
        options.update(parse_model_options(model_given).get(self.ROLE, {}))
        own = {k: v for k, v in options.items() if k not in MODEL_OPTIONS}
        params = _parameters(self.factory())
        options.update(_typed(self, params, own))
        object.__setattr__(self, "options", tuple(sorted(options.items())))
        takes_model = bool(params) and params[0].name == "model"
        if takes_model and self.model is None:
            raise ConfigError(
                f"{self.ROLE} kind {self.kind!r} calls a model: give its model (--{self.ROLE}.model)"
            )
        if not takes_model and (self.model is not None or self.model_options()):
            raise ConfigError(
                f"{self.ROLE} kind {self.kind!r} calls no model; drop its model and model options"
            )

    def factory(self) -> Any:
        """What builds the part: the kind's row (or ``"module:attr"``), imported.

        Raises:
            ConfigError: if it does not import.
        """
        from collab_env.task import resolve

        return resolve(self.KINDS.get(self.kind, self.kind))

    def model_options(self) -> dict[str, Any]:
        """The options that set the part's model (typed).

        >>> UserSpec("llm", "m", {"max_tokens": "64"}).model_options()
        {'max_tokens': 64}
        """
        return {k: v for k, v in self.options if k in MODEL_OPTIONS}

    def kind_options(self) -> dict[str, Any]:
        """The options of the part itself (typed by the parameters of what builds it)."""
        return {k: v for k, v in self.options if k not in MODEL_OPTIONS}

    def model_config(self) -> ModelConfig | None:
        """The typed config of the part's model (the role's defaults, then the model options)."""
        if self.model is None:
            return None
        return ModelConfig.for_role(self.ROLE, self.model, **self.model_options())

    def build(self) -> Any:
        """The part: the kind's class called with the chat model (if it takes one) and the options.

        Raises:
            ConfigError: for a model that cannot be built.
        """
        factory = self.factory()
        kwargs = self.kind_options()
        if self.model is not None:
            from collab_env.llm.backends import chat_model

            config = self.model_config()
            if "json_mode" in inspect.signature(factory).parameters and config.json_mode is not None:
                kwargs["json_mode"] = config.json_mode
            return factory(chat_model(config), **kwargs)
        return factory(**kwargs)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (what results files record; :meth:`of` reads it back).

        >>> UserSpec("llm", "m", {"protocol": "roleplay"}).as_dict()
        {'kind': 'llm', 'model': 'm', 'options': {'protocol': 'roleplay'}}
        """
        return {"kind": self.kind, "model": self.model, "options": dict(self.options)}

    @classmethod
    def of(cls, value: Any) -> Any:
        """A spec from a spec, a kind name or a recorded dict.

        >>> UserSpec.of("scripted") == UserSpec(), UserSpec.of({"kind": "llm", "model": "m"}) == UserSpec("llm", "m")
        (True, True)

        Raises:
            ConfigError: for anything else, naming what the role accepts.
        """
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            return cls(value)
        if isinstance(value, Mapping) and set(value) <= {"kind", "model", "options"}:
            return cls(**value)
        raise ConfigError(
            f"{cls.ROLE} must be a {cls.__name__}, a kind name ({', '.join(sorted(cls.KINDS))}) or "
            f"{{'kind', 'model', 'options'}}, got {value!r}; a {cls.ROLE} object goes to CollabEnv(...) instead"
        )


@dataclass(frozen=True)
class UserSpec(PartSpec):
    """Who plays the user: ``UserSpec()`` is the scripted user; ``UserSpec("llm", MODEL, options)``
    a model (options: :class:`~collab_env.users.LLMUser`'s, such as ``protocol``, ``opening``,
    ``max_attempts``, ``profiles``, and the model options)."""

    kind: str = "scripted"
    ROLE: ClassVar[str] = "user"
    KINDS: ClassVar[dict[str, Any]] = USER_KINDS


@dataclass(frozen=True)
class JudgeSpec(PartSpec):
    """Who judges engagement: ``JudgeSpec()`` is the offline heuristic; ``JudgeSpec("llm", MODEL)``
    the LLM interactivity judge, asked once per episode, at its end."""

    kind: str = "heuristic"
    ROLE: ClassVar[str] = "judge"
    KINDS: ClassVar[dict[str, Any]] = JUDGE_KINDS


def _parameters(factory: Any) -> list[inspect.Parameter]:
    try:
        return list(inspect.signature(factory).parameters.values())
    except (TypeError, ValueError):  # a builtin without a signature: options by keyword only
        return []


def _typed(spec: PartSpec, params: list[inspect.Parameter], given: dict[str, Any]) -> dict[str, Any]:
    """The part's own options, each text value read by the type of its parameter's default."""
    by_name = {p.name: p for p in params}
    takes_any = any(p.kind is p.VAR_KEYWORD for p in params)
    out = {}
    for key, value in given.items():
        param = by_name.get(key)
        if param is None and not takes_any:
            accepted = [p.name for p in params[1:] if p.kind is not p.VAR_POSITIONAL]
            raise ConfigError(f"{spec.ROLE} kind {spec.kind!r} takes no option {key!r}; it takes {accepted}")
        default = None if param is None else param.default
        if value == "none" and param is not None and "None" in str(param.annotation):
            out[key] = None  # an option that may be None ("--user.profiles none"), whatever its default
            continue
        out[key] = _read(value, default, f"{spec.ROLE}.{key}")
    return out


def _read(value: Any, default: Any, name: str) -> Any:
    """``value`` as the type of ``default`` when it is text (from a command line)."""
    if not isinstance(value, str) or isinstance(default, str) or default in (None, inspect.Parameter.empty):
        return None if value == "none" and default is None else value
    try:
        if isinstance(default, bool):
            if value.lower() not in ("1", "0", "true", "false", "yes", "no"):
                raise ValueError(value)
            return value.lower() in ("1", "true", "yes")
        if isinstance(default, (tuple, list)):
            return tuple(type(default[0])(v) if default else v for v in value.split(","))
        return type(default)(value)
    except ValueError as exc:
        raise ConfigError(f"{name}={value!r}: expected a {type(default).__name__}") from exc


def replace(spec: PartSpec, **changes: Any) -> PartSpec:
    """A copy of ``spec`` with ``changes`` (``options`` merged into the spec's own)."""
    if "options" in changes:
        changes["options"] = {**dict(spec.options), **dict(changes["options"])}
    return dataclasses.replace(spec, **changes)


__all__ = ["JUDGE_KINDS", "USER_KINDS", "JudgeSpec", "PartSpec", "UserSpec"]
