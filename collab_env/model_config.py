"""The typed config of each model a run calls (the user's, the judge's, the agent's).

A model's options are written ``ROLE.KEY=VALUE`` on the command line (``--model-option``) or
as a part's options (:mod:`collab_env.parts`); they are read here, once, into a
:class:`ModelConfig`, which is what every part reads:

>>> ModelConfig.for_role("user", "qwen", temperature=0.7).max_tokens
512
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from collab_env.errors import ConfigError

ROLES = ("user", "judge", "agent")

#: Per-role defaults. Every call is bounded: a model that never stops (it happens with small
#: models) costs at most ``max_tokens``. The user writes a JSON object with a short message; the
#: judge a short verdict; the agent may write a whole document or function. ``None`` leaves the
#: knob to the agent's backend: the endpoint's temperature (greedy for a local checkpoint), and
#: 64 calls in flight to an endpoint or 8 conversations per batch of a checkpoint.
ROLE_DEFAULTS: dict[str, dict[str, Any]] = {
    "user": {"max_tokens": 512, "temperature": 1.0, "timeout_s": 120.0, "concurrency": 64, "max_retries": 5},
    "judge": {"max_tokens": 512, "temperature": 0.0, "timeout_s": 120.0, "concurrency": 64, "max_retries": 5},
    "agent": {
        "max_tokens": 2048,
        "temperature": None,
        "timeout_s": 300.0,
        "concurrency": None,
        "max_retries": 5,
    },
}
#: The model options (``--model-option ROLE.KEY=VALUE``, a part's options) and their types.
MODEL_OPTIONS: dict[str, type] = {
    "max_tokens": int,
    "temperature": float,
    "timeout_s": float,
    "concurrency": int,
    "max_retries": int,
    "cache": str,  # a SQLite response cache file (collab_env.llm.CachedChat)
    "json_mode": int,  # user role: 1 asks the endpoint for a JSON object, 0 does not (default: endpoints do)
}


def parse_model_options(options: tuple[str, ...] | list[str]) -> dict[str, dict[str, Any]]:
    """``("user.max_tokens=256", ...)`` as ``{"user": {"max_tokens": 256}, ...}``, checked.

    Raises:
        ConfigError: naming the option, for an unknown role or key, or a bad value.

    >>> parse_model_options(["judge.temperature=0", "agent.concurrency=8"])
    {'judge': {'temperature': 0.0}, 'agent': {'concurrency': 8}}
    """
    parsed: dict[str, dict[str, Any]] = {}
    for option in options:
        target, sep, value = str(option).partition("=")
        role, dot, key = target.strip().partition(".")
        if not sep or not dot:
            raise ConfigError(f"model option {option!r} must read ROLE.KEY=VALUE, e.g. user.max_tokens=256")
        if role not in ROLES:
            raise ConfigError(f"model option {option!r}: role must be one of {ROLES}, got {role!r}")
        if key not in MODEL_OPTIONS:
            raise ConfigError(
                f"model option {option!r}: key must be one of {sorted(MODEL_OPTIONS)}, got {key!r}"
            )
        try:
            typed = MODEL_OPTIONS[key](value.strip())
        except ValueError as exc:
            raise ConfigError(
                f"model option {option!r}: {value!r} is not a {MODEL_OPTIONS[key].__name__}"
            ) from exc
        if key == "cache":
            if not typed:
                raise ConfigError(f"model option {option!r}: cache needs a file path")
        elif key == "json_mode" and typed not in (0, 1):
            raise ConfigError(f"model option {option!r}: json_mode must be 0 or 1, got {typed}")
        elif typed < 0 or (key in ("max_tokens", "concurrency", "timeout_s") and typed <= 0):
            raise ConfigError(f"model option {option!r}: {key} must be positive, got {typed}")
        parsed.setdefault(role, {})[key] = typed
    return parsed


@dataclass(frozen=True)
class ModelConfig:
    """One model a run calls (the user simulator's, the engagement judge's or the agent's), typed.

    Attributes:
        model: The model: a bare name at ``base_url``, or a name in the one grammar of
            :mod:`collab_env.llm.backends` (``hf:PATH``, ``openai:MODEL@URL``); ``None`` for
            the agent, whose spec names its model.
        base_url: The OpenAI-compatible endpoint of a bare name.
        max_tokens: Longest completion of one call.
        temperature: Sampling temperature (``None``: the backend's).
        timeout_s: Timeout of one attempt, in seconds.
        concurrency: Calls in flight at once, for every conversation that uses the model
            (``None``: the backend's).
        max_retries: Retries of a transient failure.
        json_mode: Ask for a JSON object (``None``: when the model can); the user's only.
        cache: A SQLite response cache file (:class:`~collab_env.llm.CachedChat`), or ``None``.

    >>> ModelConfig.for_role("judge", "qwen", "http://localhost:8000/v1", max_tokens=64).options()["max_tokens"]
    64
    """

    model: str | None
    base_url: str | None = None
    max_tokens: int = 512
    temperature: float | None = 1.0
    timeout_s: float = 120.0
    concurrency: int | None = 64
    max_retries: int = 5
    json_mode: bool | None = None
    cache: str | None = None

    @classmethod
    def for_role(
        cls, role: str, model: str | None, base_url: str | None = None, **overrides: Any
    ) -> ModelConfig:
        """The model of ``role`` with the role's defaults (:data:`ROLE_DEFAULTS`), then ``overrides``."""
        options = {**ROLE_DEFAULTS[role], **overrides}
        if "json_mode" in options:
            options["json_mode"] = bool(options["json_mode"])
        return cls(model, base_url, **options)

    def options(self) -> dict[str, Any]:
        """The backend's model options: the call bounds and sampling defaults that are set (not
        ``json_mode`` nor ``cache``, which wrap the model)."""
        keys = ("max_tokens", "temperature", "timeout_s", "concurrency", "max_retries")
        return {k: getattr(self, k) for k in keys if getattr(self, k) is not None}


__all__ = ["MODEL_OPTIONS", "ROLES", "ROLE_DEFAULTS", "ModelConfig", "parse_model_options"]
