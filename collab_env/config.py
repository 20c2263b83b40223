"""One description of an environment: :class:`EnvConfig`.

An ``EnvConfig`` names everything that makes an environment what it is: the id, the split, the
data set, who plays the user, who judges engagement, the reward weights and the turn limit. Its
fields are the keyword arguments of ``gym.make``, so ``env.spec`` records them:
``gym.make(env_id, **fields)``, :meth:`EnvConfig.make` and ``gym.make(env.spec)`` build the
same env, whose ``env.unwrapped.config`` is this description. Every command builds it from the
same flags, and every replay (MR by env id, GRPO's MR reward, the verl adapter) rebuilds exactly
that environment from it.

The user and the judge are parts (:mod:`collab_env.parts`): a kind, the model it calls and its
options. A model is described only inside the part that calls it:

>>> cfg = EnvConfig("CollabMath-v0", user=UserSpec("llm", "openai:qwen@http://localhost:8000/v1",
...                                                 {"max_tokens": 256, "protocol": "roleplay"}))
>>> cfg.user.model_config().max_tokens, cfg.judge.kind, cfg.judge.model
(256, 'llm', 'openai:qwen@http://localhost:8000/v1')

Yesterday's fields are read as aliases (:func:`aliased_parts`): ``user_model``, ``judge_model``,
``base_url`` and ``model_options`` (``ROLE.KEY=VALUE``, role ``user`` or ``judge``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from collab_env.errors import ConfigError
from collab_env.model_config import MODEL_OPTIONS, ROLE_DEFAULTS, ROLES, ModelConfig, parse_model_options
from collab_env.parts import JudgeSpec, UserSpec

if TYPE_CHECKING:
    import gymnasium as gym

#: The aliases of yesterday's fields (what :func:`aliased_parts` reads).
ALIASES = ("user_model", "judge_model", "base_url", "model_options")
#: ``judge_model`` value that names the offline heuristic judge.
HEURISTIC_JUDGE = "heuristic"


@dataclass(frozen=True)
class EnvConfig:
    """Everything that makes a collaboration environment what it is (the kwargs of ``gym.make``).

    The help of each field is written once, here: the command line shows it (each field is the
    option of its name, ``env_id`` is ``--env``; ``user`` and ``judge`` are ``--user KIND``
    with ``--user.model M`` and ``--user.KEY VALUE``, and the same for ``--judge``).

    Attributes:
        env_id: Environment id (see `collab-env list`).
        split: Task split: train (unlimited instances) or test (the fixed split).
        dataset: A public data set instead of the built-in instances, NAME:PATH with NAME one of
            math, bigcodebench, abgcoqa, medium, simarena (e.g. math:data/MATH/test).
        max_turns: Assistant turns before truncation.
        user: Who plays the user: scripted (offline) or llm (a model: --user.model), with the
            kind's options (--user.protocol roleplay, --user.max_tokens 256...).
        judge: Who scores engagement: heuristic (offline) or llm (a model: --judge.model);
            default: the heuristic with an offline user, the user's model with a model user.
        w_ext: Weight of the task metric in R* (default: the task's).
        w_eng: Weight of engagement in R* (default: the task's).
        token_penalty: λ, penalty per thousand assistant tokens (default: the task's).
        reward_mode: final: R* once, at the end; turn: its change each turn.
    """

    env_id: str = "CollabDoc-v0"
    split: str = field(default="train", metadata={"choices": ("train", "test")})
    dataset: str | None = None
    max_turns: int = 10
    user: UserSpec = field(default_factory=UserSpec, metadata={"part": True})
    judge: JudgeSpec | None = field(default=None, metadata={"part": True})
    w_ext: float | None = None
    w_eng: float | None = None
    token_penalty: float | None = None
    reward_mode: str = field(default="final", metadata={"choices": ("final", "turn")})
    #: The command line's options for yesterday's fields (read by :meth:`from_kwargs`).
    CLI_ALIASES: ClassVar[dict[str, str]] = {
        "user_model": "the same as --user llm --user.model MODEL",
        "judge_model": "the same as --judge llm --judge.model MODEL (heuristic: --judge heuristic)",
        "base_url": "the endpoint of a bare --user-model / --judge-model name",
        "model_options": "ROLE.KEY=VALUE (repeatable): the same as --ROLE.KEY VALUE, ROLE user, judge or agent",
    }

    def __post_init__(self) -> None:
        from collab_env.registration import check_env_id

        check_env_id(self.env_id)
        if self.split not in ("train", "test"):
            raise ConfigError(f"split must be 'train' or 'test', got {self.split!r}")
        if not isinstance(self.max_turns, int) or self.max_turns < 1:
            raise ConfigError(f"max_turns must be an int >= 1, got {self.max_turns!r}")
        if self.reward_mode not in ("final", "turn"):
            raise ConfigError(f"reward_mode must be 'final' or 'turn', got {self.reward_mode!r}")
        user = UserSpec.of(self.user)
        object.__setattr__(self, "user", user)
        object.__setattr__(
            self, "judge", default_judge(user) if self.judge is None else JudgeSpec.of(self.judge)
        )

    @classmethod
    def from_kwargs(cls, **fields: Any) -> EnvConfig:
        """The config of ``gym.make``'s keyword arguments, yesterday's aliases read
        (:func:`aliased_parts`).

        >>> EnvConfig.from_kwargs(env_id="CollabQA-v0", user_model="m", base_url="http://h:1/v1").user.model
        'openai:m@http://h:1/v1'

        Raises:
            ConfigError: for an unknown field, or an alias given with the part it describes.
        """
        aliases = {k: fields.pop(k) for k in ALIASES if fields.get(k) not in (None, (), [])}
        fields = {k: v for k, v in fields.items() if k not in ALIASES}
        if set(aliases) == {"base_url"} and any(fields.get(k) is not None for k in ("user", "judge")):
            fields.update(moved_parts(fields.get("user"), fields.get("judge"), aliases["base_url"]))
        elif aliases:  # a default part (a template's, a record's) gives way to the alias
            for name, spec in (("user", UserSpec), ("judge", JudgeSpec)):
                if fields.get(name) is not None and spec.of(fields[name]) == spec():
                    del fields[name]
            fields.update(aliased_parts(fields.get("user"), fields.get("judge"), **aliases))
        names = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(fields) - set(names))
        if unknown:
            raise ConfigError(f"an EnvConfig has no field {', '.join(unknown)}; its fields are {names}")
        return cls(**fields)

    def make(self, **overrides: Any) -> gym.Env:
        """``gym.make(self.env_id, **fields)``; ``overrides`` replace fields first."""
        import gymnasium as gym

        config = self.replace(**overrides) if overrides else self
        return gym.make(config.env_id, **config.kwargs())

    def kwargs(self) -> dict[str, Any]:
        """The keyword arguments of ``gym.make`` that describe this env: every field but
        ``env_id``, which the id gives, unless it names the module that registers it
        (``"module:Id"``, which a replay in another process must import)."""
        keep = ":" in self.env_id
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if keep or f.name != "env_id"}

    def replace(self, **changes: Any) -> EnvConfig:
        """A copy with ``changes`` applied (checked again; aliases read, as :meth:`of` does)."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        if "judge" not in changes and self.judge == default_judge(self.user):
            fields["judge"] = None  # a default judge follows the user
        if set(changes) & set(ALIASES):
            fields.update(dict.fromkeys(("user", "judge")) if "user_model" in changes else {"judge": None})
        return EnvConfig.from_kwargs(**{**fields, **changes})

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the fields (what results files and logs record).

        >>> EnvConfig("CollabQA-v0", max_turns=4).as_dict()["user"]
        {'kind': 'scripted', 'model': None, 'options': {}}
        """
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out.update(user=self.user.as_dict(), judge=self.judge.as_dict())
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
        """The config that :meth:`as_dict` recorded (an older record's aliases read too).

        Raises:
            ConfigError: for a field that ``EnvConfig`` does not have.
        """
        return cls.from_kwargs(**record)

    @property
    def nondeterministic(self) -> bool:
        """Whether a model plays the user or judges (episodes then depend on the endpoint)."""
        return self.user.model is not None or self.judge.model is not None


def default_judge(user: UserSpec) -> JudgeSpec:
    """The judge of an env that names none: the heuristic with an offline user; with a user
    played by a model, the LLM judge on that model (the heuristic reads words, and was not
    measured on a model's replies: docs/reward.md)."""
    if user.model is None:
        return JudgeSpec()
    return JudgeSpec("llm", user.model)


def aliased_parts(
    user: Any = None,
    judge: Any = None,
    *,
    user_model: str | None = None,
    judge_model: str | None = None,
    base_url: str | None = None,
    model_options: tuple[str, ...] | list[str] = (),
) -> dict[str, Any]:
    """The ``user`` and ``judge`` parts that yesterday's fields describe.

    ``user_model`` is an LLM user on that model, ``judge_model`` an LLM judge (``"heuristic"``:
    the offline one), ``base_url`` the endpoint of a bare model name, ``model_options`` the
    ``user.*`` and ``judge.*`` options of those models.

    >>> aliased_parts(user_model="m", base_url="http://h:1/v1", model_options=["judge.max_tokens=9"])["judge"]
    JudgeSpec(kind='llm', model='openai:m@http://h:1/v1', options=(('max_tokens', 9),))

    Raises:
        ConfigError: for an alias given with the part it describes, ``base_url`` without a
            model, or an ``agent.*`` option (the agent's options are the command's).
    """
    given = parse_model_options(model_options)
    if "agent" in given:
        raise ConfigError(
            "agent model options are the command's, not the env's: give them to the command "
            "(--model-option agent.KEY=VALUE) or to build_agent(..., options=...)"
        )
    if base_url is not None and user_model is None and judge_model is None:
        raise ConfigError("base_url is the endpoint of user_model or judge_model; pass one of them too")
    out: dict[str, Any] = {}
    if user_model is not None or "user" in given:
        if user is not None:
            raise ConfigError("pass user=... or user_model / user.* model options, not both")
        if user_model is None:
            raise ConfigError("user.* model options set the user's model: pass user_model too")
        out["user"] = UserSpec("llm", _with_url(user_model, base_url), given.get("user", {}))
    if judge_model is not None or "judge" in given:
        if judge is not None:
            raise ConfigError("pass judge=... or judge_model / judge.* model options, not both")
        model = judge_model or (out["user"].model if "user" in out else None)
        if model == HEURISTIC_JUDGE or model is None:
            if "judge" in given:
                raise ConfigError(
                    "judge.* model options set the judge's model: pass judge_model or user_model"
                )
            out["judge"] = JudgeSpec()
        else:
            out["judge"] = JudgeSpec("llm", _with_url(model, base_url), given.get("judge", {}))
    return out


def moved_parts(user: Any, judge: Any, base_url: str) -> dict[str, Any]:
    """The parts whose endpoint model is served at ``base_url`` instead (a resume's new address).

    >>> moved_parts(UserSpec("llm", "openai:m@http://a:1/v1"), JudgeSpec(), "http://b:2/v1")
    {'user': UserSpec(kind='llm', model='openai:m@http://b:2/v1', options=())}

    Raises:
        ConfigError: if no part calls an endpoint model.
    """
    from collab_env.llm.backends import parse_model
    from collab_env.parts import replace

    out = {}
    for name, cls, part in (("user", UserSpec, user), ("judge", JudgeSpec, judge)):
        spec = cls.of(part) if part is not None else None
        parsed = parse_model(spec.model) if spec is not None and spec.model else None
        if parsed is not None and parsed[0] == "openai":
            out[name] = replace(spec, model=_with_url(parsed[1]["model"], base_url))
    if not out:
        raise ConfigError("base_url is the endpoint of user_model or judge_model; pass one of them too")
    return out


def _with_url(model: str, base_url: str | None) -> str:
    """A bare model name at ``base_url`` as the grammar writes it (``openai:NAME@URL``)."""
    from collab_env.llm.backends import parse_model

    parsed = parse_model(model)
    if base_url is None or (parsed is not None and (parsed[0] != "openai" or parsed[1]["url"])):
        return model  # no endpoint given, or the model names where it is
    if parsed is not None:  # 'openai:NAME' without its address: the one given
        model = parsed[1]["model"]
    if not base_url.startswith(("http://", "https://")):
        raise ConfigError(
            f"endpoint {base_url!r} has no http:// or https:// scheme; write http://{base_url.split('://')[-1]}"
        )
    return f"openai:{model}@{base_url}"


__all__ = [
    "ALIASES",
    "HEURISTIC_JUDGE",
    "MODEL_OPTIONS",
    "ROLES",
    "ROLE_DEFAULTS",
    "EnvConfig",
    "JudgeSpec",
    "ModelConfig",
    "UserSpec",
    "aliased_parts",
    "default_judge",
    "moved_parts",
    "parse_model_options",
]
