"""One description of an environment: :class:`EnvConfig`, and the model options of each role.

An ``EnvConfig`` names everything that makes an environment what it is: the id, the split, the
data set, who plays the user, who judges engagement, the reward weights and the turn limit.
``gym.make(config.env_id, config=config)`` (or :meth:`EnvConfig.make`) builds it, every command
builds it from the same flags, and every replay (MR by env id, GRPO's MR reward, the verl
adapter) rebuilds exactly that environment from ``env.unwrapped.config``.

Model options (``max_tokens``, ``temperature``, ``timeout_s``, ``concurrency``, ``max_retries``)
are set per role (``user``, ``judge``, ``agent``) as ``ROLE.KEY=VALUE`` strings, the form of the
command line's ``--model-option``:

>>> cfg = EnvConfig("CollabMath-v0", user_model="qwen", base_url="http://localhost:8000/v1",
...                 model_options=("user.max_tokens=256", "user.temperature=0.7"))
>>> cfg.options("user")["max_tokens"], cfg.options("user")["temperature"], cfg.options("judge")["max_tokens"]
(256, 0.7, 512)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from collab_env.errors import ConfigError

if TYPE_CHECKING:
    import gymnasium as gym

ROLES = ("user", "judge", "agent")

#: Per-role defaults. Every call is bounded: a model that never stops (it happens with small
#: models) costs at most ``max_tokens``. The user writes a JSON object with a short message; the
#: judge a short verdict; the agent may write a whole document or function.
ROLE_DEFAULTS: dict[str, dict[str, Any]] = {
    "user": {"max_tokens": 512, "temperature": 1.0, "timeout_s": 120.0, "concurrency": 64, "max_retries": 5},
    "judge": {"max_tokens": 512, "temperature": 0.0, "timeout_s": 120.0, "concurrency": 64, "max_retries": 5},
    "agent": {
        "max_tokens": 2048,
        "temperature": 1.0,
        "timeout_s": 300.0,
        "concurrency": 64,
        "max_retries": 5,
    },
}
_TYPES = {
    "max_tokens": int,
    "temperature": float,
    "timeout_s": float,
    "concurrency": int,
    "max_retries": int,
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
        if key not in _TYPES:
            raise ConfigError(f"model option {option!r}: key must be one of {sorted(_TYPES)}, got {key!r}")
        try:
            typed = _TYPES[key](value.strip())
        except ValueError as exc:
            raise ConfigError(f"model option {option!r}: {value!r} is not a {_TYPES[key].__name__}") from exc
        if key == "json_mode" and typed not in (0, 1):
            raise ConfigError(f"model option {option!r}: json_mode must be 0 or 1, got {typed}")
        if typed < 0 or (key in ("max_tokens", "concurrency", "timeout_s") and typed <= 0):
            raise ConfigError(f"model option {option!r}: {key} must be positive, got {typed}")
        parsed.setdefault(role, {})[key] = typed
    return parsed


@dataclass(frozen=True)
class ModelConfig:
    """One model an env calls (the user simulator's or the engagement judge's), typed.

    Attributes:
        model: The model: a bare name at ``base_url``, or a name in the one grammar of
            :mod:`collab_env.llm.backends` (``hf:PATH``, ``openai:MODEL@URL``).
        base_url: The OpenAI-compatible endpoint of a bare name.
        max_tokens: Longest completion of one call.
        temperature: Sampling temperature.
        timeout_s: Timeout of one attempt, in seconds.
        concurrency: Calls in flight at once, for every conversation that uses the model.
        max_retries: Retries of a transient failure.
        json_mode: Ask for a JSON object (``None``: when the model can); the user's only.

    >>> ModelConfig.for_role("judge", "qwen", "http://localhost:8000/v1", max_tokens=64).options()["max_tokens"]
    64
    """

    model: str
    base_url: str | None = None
    max_tokens: int = 512
    temperature: float = 1.0
    timeout_s: float = 120.0
    concurrency: int = 64
    max_retries: int = 5
    json_mode: bool | None = None

    @classmethod
    def for_role(cls, role: str, model: str, base_url: str | None = None, **overrides: Any) -> ModelConfig:
        """The model of ``role`` with the role's defaults (:data:`ROLE_DEFAULTS`), then ``overrides``."""
        options = {**ROLE_DEFAULTS[role], **overrides}
        if "json_mode" in options:
            options["json_mode"] = bool(options["json_mode"])
        return cls(model, base_url, **options)

    def options(self) -> dict[str, Any]:
        """The backend's model options: the call bounds and sampling defaults (not ``json_mode``)."""
        return {
            k: getattr(self, k)
            for k in ("max_tokens", "temperature", "timeout_s", "concurrency", "max_retries")
        }


@dataclass(frozen=True)
class EnvConfig:
    """Everything that makes a collaboration environment what it is.

    Attributes:
        env_id: A registered id (``CollabDoc-v0``...).
        split: ``"train"`` (unlimited instances) or ``"test"`` (the fixed split).
        dataset: A public data set instead of the built-in instances, ``NAME:PATH``.
        max_turns: Assistant turns before truncation.
        user_model: Model that plays the user (``None``: the scripted user).
        judge_model: Model that scores engagement; ``"heuristic"`` names the offline heuristic;
            ``None``: the heuristic with the scripted user, the user's model with an LLM user.
        base_url: OpenAI-compatible endpoint of the user and judge models.
        model_options: ``ROLE.KEY=VALUE`` options of the models (see the module docstring).
        w_ext: Weight of the task metric in R* (``None``: the task's default).
        w_eng: Weight of engagement in R* (``None``: the task's default).
        token_penalty: λ, penalty per thousand assistant tokens (``None``: the task's default).
        reward_mode: ``"final"`` (R* once, at the end) or ``"turn"`` (its change each turn).
    """

    env_id: str = field(default="CollabDoc-v0", metadata={"help": "environment id (see `collab-env list`)"})
    split: str = field(
        default="train", metadata={"help": "task split: train or test", "choices": ("train", "test")}
    )
    dataset: str | None = field(
        default=None, metadata={"help": "a public data set, NAME:PATH (e.g. math:data/MATH/test)"}
    )
    max_turns: int = field(default=10, metadata={"help": "assistant turns before truncation"})
    user_model: str | None = field(
        default=None, metadata={"help": "model that plays the user (default: scripted)"}
    )
    judge_model: str | None = field(
        default=None,
        metadata={
            "help": "model that scores engagement, or 'heuristic' (default: the heuristic with the "
            "scripted user, the user's model with --user-model)"
        },
    )
    base_url: str | None = field(
        default=None, metadata={"help": "OpenAI-compatible endpoint of --user-model and --judge-model"}
    )
    model_options: tuple[str, ...] = field(
        default=(), metadata={"help": "ROLE.KEY=VALUE, role user|judge|agent, key max_tokens|temperature|"
                              "timeout_s|concurrency|max_retries, or user.json_mode=0|1 (repeatable)"}
    )  # fmt: skip
    w_ext: float | None = field(default=None, metadata={"help": "weight of the task metric in R*"})
    w_eng: float | None = field(default=None, metadata={"help": "weight of engagement in R*"})
    token_penalty: float | None = field(
        default=None, metadata={"help": "penalty per thousand assistant tokens"}
    )
    reward_mode: str = field(
        default="final",
        metadata={"help": "final: R* at the end; turn: its change each turn", "choices": ("final", "turn")},
    )

    def __post_init__(self) -> None:
        from collab_env.registration import check_env_id

        check_env_id(self.env_id)
        if self.split not in ("train", "test"):
            raise ConfigError(f"split must be 'train' or 'test', got {self.split!r}")
        if not isinstance(self.max_turns, int) or self.max_turns < 1:
            raise ConfigError(f"max_turns must be an int >= 1, got {self.max_turns!r}")
        if self.reward_mode not in ("final", "turn"):
            raise ConfigError(f"reward_mode must be 'final' or 'turn', got {self.reward_mode!r}")
        if self.base_url is not None and self.user_model is None and self.judge_model is None:
            raise ConfigError("base_url is the endpoint of user_model or judge_model; pass one of them too")
        object.__setattr__(self, "model_options", tuple(self.model_options))
        object.__setattr__(self, "_parsed", parse_model_options(self.model_options))  # checked once, kept

    def options(self, role: str) -> dict[str, Any]:
        """The model options of ``role`` (``user``, ``judge`` or ``agent``): defaults, then overrides."""
        if role not in ROLES:
            raise ConfigError(f"role must be one of {ROLES}, got {role!r}")
        return {**ROLE_DEFAULTS[role], **self._parsed.get(role, {})}

    def model_config(self, role: str) -> ModelConfig | None:
        """The typed config of the model that plays ``role`` (``"user"`` or ``"judge"``), ``None``
        for the scripted user or the offline judge.

        >>> EnvConfig(user_model="qwen", model_options=("user.max_tokens=99",)).model_config("user").max_tokens
        99
        """
        if role not in ("user", "judge"):
            raise ConfigError(
                f"role must be 'user' or 'judge' (an agent's spec names its model), got {role!r}"
            )
        model = self.user_model if role == "user" else self.judge_model
        if model is None:
            return None
        return ModelConfig.for_role(role, model, self.base_url, **self._parsed.get(role, {}))

    def given_options(self, role: str) -> dict[str, Any]:
        """The model options of ``role`` that ``model_options`` sets (no defaults).

        >>> EnvConfig(model_options=("agent.max_tokens=100",)).given_options("agent")
        {'max_tokens': 100}
        """
        if role not in ROLES:
            raise ConfigError(f"role must be one of {ROLES}, got {role!r}")
        return dict(self._parsed.get(role, {}))

    def make(self, **overrides: Any) -> gym.Env:
        """``gym.make(self.env_id, config=self)``; ``overrides`` replace fields first."""
        import gymnasium as gym

        config = dataclasses.replace(self, **overrides) if overrides else self
        return gym.make(config.env_id, config=config)

    def replace(self, **changes: Any) -> EnvConfig:
        """A copy with ``changes`` applied (checked again)."""
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (what results files and logs record)."""
        out = dataclasses.asdict(self)
        out["model_options"] = list(self.model_options)
        return out

    @property
    def nondeterministic(self) -> bool:
        """Whether a model plays the user or judges (episodes then depend on the endpoint)."""
        return self.user_model is not None or self.judge_model not in (None, "heuristic")


__all__ = ["ROLES", "ROLE_DEFAULTS", "EnvConfig", "ModelConfig", "parse_model_options"]
