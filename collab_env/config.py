"""One description of an environment: :class:`EnvConfig`, and the typed config of each model.

An ``EnvConfig`` names everything that makes an environment what it is: the id, the split, the
data set, who plays the user, who judges engagement, the reward weights and the turn limit.
``gym.make(config.env_id, config=config)`` (or :meth:`EnvConfig.make`) builds it, every command
builds it from the same flags, and every replay (MR by env id, GRPO's MR reward, the verl
adapter) rebuilds exactly that environment from ``env.unwrapped.config``.

The models are named as a user types them (``user_model``, ``judge_model``, ``base_url``, and
the ``ROLE.KEY=VALUE`` model options of the command line's ``--model-option``: ``max_tokens``,
``temperature``, ``timeout_s``, ``concurrency``, ``max_retries``, ``cache``, the user's
``json_mode``); the config turns them, once, into one typed :class:`ModelConfig` per role
(``config.user``, ``config.judge``, ``config.agent``), which is what every part reads:

>>> cfg = EnvConfig("CollabMath-v0", user_model="qwen", base_url="http://localhost:8000/v1",
...                 model_options=("user.max_tokens=256", "user.temperature=0.7"))
>>> cfg.user.max_tokens, cfg.user.temperature, cfg.judge.model, cfg.judge.max_tokens
(256, 0.7, 'qwen', 512)
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
_TYPES = {
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
        if key not in _TYPES:
            raise ConfigError(f"model option {option!r}: key must be one of {sorted(_TYPES)}, got {key!r}")
        try:
            typed = _TYPES[key](value.strip())
        except ValueError as exc:
            raise ConfigError(f"model option {option!r}: {value!r} is not a {_TYPES[key].__name__}") from exc
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


#: The EnvConfig fields that name the models (what :attr:`EnvConfig.user`, ``judge`` and ``agent`` type).
MODEL_FIELDS = ("user_model", "judge_model", "base_url", "model_options")


@dataclass(frozen=True)
class EnvConfig:
    """Everything that makes a collaboration environment what it is.

    The help of each field is written once, here: the command line shows it (each field is the
    option of its name, ``env_id`` is ``--env``, ``model_options`` is ``--model-option``).

    Attributes:
        env_id: Environment id (see `collab-env list`).
        split: Task split: train (unlimited instances) or test (the fixed split).
        dataset: A public data set instead of the built-in instances, NAME:PATH with NAME one of
            math, bigcodebench, abgcoqa, medium, simarena (e.g. math:data/MATH/test).
        max_turns: Assistant turns before truncation.
        user_model: Model that plays the user (default: scripted).
        judge_model: Model that scores engagement, or 'heuristic' (default: the heuristic with the
            scripted user, the user's model with --user-model).
        base_url: OpenAI-compatible endpoint of --user-model and --judge-model.
        model_options: ROLE.KEY=VALUE (repeatable): role user, judge or agent; key max_tokens,
            temperature, timeout_s, concurrency, max_retries or cache (a response cache file), or
            user.json_mode=0|1.
        w_ext: Weight of the task metric in R* (default: the task's).
        w_eng: Weight of engagement in R* (default: the task's).
        token_penalty: λ, penalty per thousand assistant tokens (default: the task's).
        reward_mode: final: R* once, at the end; turn: its change each turn.
        user: The user's model, typed (``None``: the scripted user); set from the fields above.
        judge: The engagement judge's model, typed: ``judge_model``, else the user's model
            (``None``: the offline heuristic); set from the fields above.
        agent: The options of a model agent's model (its spec names the model), typed.
    """

    env_id: str = "CollabDoc-v0"
    split: str = field(default="train", metadata={"choices": ("train", "test")})
    dataset: str | None = None
    max_turns: int = 10
    user_model: str | None = None
    judge_model: str | None = None
    base_url: str | None = None
    model_options: tuple[str, ...] = ()
    w_ext: float | None = None
    w_eng: float | None = None
    token_penalty: float | None = None
    reward_mode: str = field(default="final", metadata={"choices": ("final", "turn")})
    user: ModelConfig | None = field(init=False, repr=False, compare=False)
    judge: ModelConfig | None = field(init=False, repr=False, compare=False)
    agent: ModelConfig = field(init=False, repr=False, compare=False)

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
        given = parse_model_options(self.model_options)  # checked once; typed below, once
        object.__setattr__(self, "_given", given)
        user = self.user_model and ModelConfig.for_role(
            "user", self.user_model, self.base_url, **given.get("user", {})
        )
        judge_model = self.judge_model or self.user_model  # with an LLM user, its model judges
        judge = judge_model and ModelConfig.for_role(
            "judge", judge_model, self.base_url, **given.get("judge", {})
        )
        object.__setattr__(self, "user", user or None)
        object.__setattr__(self, "judge", judge or None)
        object.__setattr__(self, "agent", ModelConfig.for_role("agent", None, **given.get("agent", {})))

    def given_options(self, role: str) -> dict[str, Any]:
        """The model options of ``role`` that ``model_options`` sets (no defaults).

        >>> EnvConfig(model_options=("agent.max_tokens=100",)).given_options("agent")
        {'max_tokens': 100}
        """
        if role not in ROLES:
            raise ConfigError(f"role must be one of {ROLES}, got {role!r}")
        return dict(self._given.get(role, {}))

    def make(self, **overrides: Any) -> gym.Env:
        """``gym.make(self.env_id, config=self)``; ``overrides`` replace fields first."""
        import gymnasium as gym

        config = self.replace(**overrides) if overrides else self
        return gym.make(config.env_id, config=config)

    def replace(self, **changes: Any) -> EnvConfig:
        """A copy with ``changes`` applied (checked again, the typed models built again)."""
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the fields (what results files and logs record; the typed models
        follow from them).

        >>> EnvConfig("CollabQA-v0", max_turns=4).as_dict()["max_turns"]
        4
        """
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.init}
        out["model_options"] = list(self.model_options)
        return out

    def changed(self, *, leave: tuple[str, ...] = ()) -> dict[str, Any]:
        """The fields (of :meth:`as_dict`) that differ from the defaults, but those in ``leave``.

        >>> EnvConfig("CollabQA-v0", max_turns=4).changed(leave=("env_id",))
        {'max_turns': 4}
        """
        default = EnvConfig().as_dict()
        return {k: v for k, v in self.as_dict().items() if k not in leave and v != default[k]}

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> EnvConfig:
        """The config that :meth:`as_dict` recorded.

        Raises:
            ConfigError: for a field that ``EnvConfig`` does not have.
        """
        names = {f.name for f in dataclasses.fields(cls) if f.init}
        unknown = sorted(set(record) - names)
        if unknown:
            raise ConfigError(
                f"an EnvConfig has no field {', '.join(unknown)}; its fields are {sorted(names)}"
            )
        return cls(**record)

    @property
    def nondeterministic(self) -> bool:
        """Whether a model plays the user or judges (episodes then depend on the endpoint)."""
        return self.user is not None or self.judge_model not in (None, "heuristic")


__all__ = ["MODEL_FIELDS", "ROLES", "ROLE_DEFAULTS", "EnvConfig", "ModelConfig", "parse_model_options"]
