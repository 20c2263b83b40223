"""The one factory of environments: :func:`make_env`, the registered entry point.

:class:`~collab_env.env.CollabEnv` takes only its parts (a task, a user simulator, a reward, a
judge...). ``make_env`` builds those parts from names, an id's preset or an
:class:`~collab_env.config.EnvConfig`, and records the ``EnvConfig`` that describes the env
(``env.unwrapped.config``), so that every replay rebuilds exactly that env.

>>> env = make_env("math", split="test", max_turns=3)
>>> env.config.env_id, env.config.max_turns, type(env).__name__
('CollabMath-v0', 3, 'CollabEnv')
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from collab_env.config import EnvConfig, ModelConfig
from collab_env.env import CollabEnv
from collab_env.errors import ConfigError
from collab_env.registration import (
    DATASET_LOADER,
    ENTRY_POINT,
    ENV_IDS,
    FAMILIES,
    REWARD_WEIGHTS,
    env_task,
    family_of,
)
from collab_env.rewards import EngagementJudge, RewardConfig
from collab_env.task import Task, resolve
from collab_env.users import ScriptedUser, UserSimulator

logger = logging.getLogger(__name__)


def make_env(
    task: Task | str,
    user: UserSimulator | str = "scripted",
    reward: RewardConfig | None = None,
    reward_mode: str = "final",
    max_turns: int = 10,
    split: str = "train",
    engagement_judge: EngagementJudge | None = None,
    max_message_chars: int = 20_000,
    render_mode: str | None = None,
    task_kwargs: dict[str, Any] | None = None,
    user_model: str | None = None,
    base_url: str | None = None,
    judge_model: str | None = None,
    extractor: Callable[[Task, list], str | None] | None = None,
    dataset: str | None = None,
    config: EnvConfig | None = None,
) -> CollabEnv:
    """A :class:`~collab_env.env.CollabEnv` from parts, names or a config (what ``gym.make`` calls).

    Args:
        task: A :class:`~collab_env.task.Task`, a family name (``"doc"``) or ``"module:Class"``.
        user: ``"scripted"`` or a :class:`~collab_env.users.UserSimulator`.
        reward: Weights of R*.
        reward_mode: ``"final"`` or ``"turn"``.
        max_turns: Assistant turns before truncation.
        split: ``"train"`` (unlimited) or ``"test"`` (fixed) instances.
        engagement_judge: Judge of R_eng; the offline heuristic by default.
        max_message_chars: Longest accepted message.
        render_mode: ``"ansi"`` or ``"human"``.
        task_kwargs: Keyword arguments for the task class when ``task`` is a name.
        user_model: Shortcut for ``user=LLMUser(OpenAIChat(user_model, base_url))``: the user is
            played by that model (episodes are then not deterministic).
        base_url: The OpenAI-compatible endpoint of ``user_model`` (and ``judge_model``).
        judge_model: Shortcut for ``engagement_judge=LLMInteractivityJudge(OpenAIChat(judge_model,
            base_url))``: R_eng from an LLM judge, asked once per episode, at its end.
        extractor: Pulls the final solution out of the conversation; default: the family's.
        dataset: A public data set instead of the built-in instances, as ``NAME:PATH`` (e.g.
            ``"math:/data/MATH/test"``; see :mod:`collab_env.tasks.datasets`).
        config: An :class:`~collab_env.config.EnvConfig` describing the whole env; the other
            arguments must then keep their defaults.

    Returns:
        The env; its ``config`` is ``config``, or the ``EnvConfig`` of describable parts, else ``None``.

    Raises:
        ConfigError: for a bad argument, naming it.
    """
    if config is not None:
        task, kwargs = from_config(config, task, locals())
        reward, reward_mode, max_turns, split = (
            kwargs["reward"],
            config.reward_mode,
            config.max_turns,
            config.split,
        )
        user_model, base_url, judge_model, dataset = (
            config.user_model, config.base_url, config.judge_model, config.dataset
        )  # fmt: skip
    if reward is not None and not isinstance(reward, RewardConfig):
        raise ConfigError(f"reward must be a RewardConfig, got {type(reward).__name__}")
    built = make_task(task, **(task_kwargs or {}))
    if dataset is not None:
        built = resolve(DATASET_LOADER)(dataset, family=built.name)
    if base_url is not None and user_model is None and judge_model is None:
        raise ConfigError("base_url is the endpoint of user_model or judge_model; pass one of them too")
    models = _models(config, user_model, judge_model, base_url)
    simulator = make_user(user, models["user"])
    judge = default_judge(make_judge(engagement_judge, models["judge"]), simulator, models["judge of user"])
    env = CollabEnv(
        built,
        user=simulator,
        reward=reward, judge=judge, extractor=extractor, reward_mode=reward_mode, max_turns=max_turns,
        split=split, max_message_chars=max_message_chars, render_mode=render_mode,
    )  # fmt: skip
    env.config = config or describe(
        task, user, engagement_judge if judge_model is None else None, extractor, task_kwargs, split,
        dataset, max_turns, user_model, judge_model, base_url, reward, reward_mode,
    )  # fmt: skip
    return env


def _models(
    config: EnvConfig | None, user_model: str | None, judge_model: str | None, base_url: str | None
) -> dict[str, ModelConfig | None]:
    """The typed configs of the user's and the judge's models, and of a judge on the user's model."""
    given = config.given_options("judge") if config is not None else {}
    return {
        "user": config.model_config("user") if config else user_model and ModelConfig.for_role("user", user_model, base_url),
        "judge": config.model_config("judge") if config else judge_model and ModelConfig.for_role("judge", judge_model, base_url),
        "judge of user": user_model and ModelConfig.for_role("judge", user_model, base_url, **given),
    }  # fmt: skip


@functools.cache
def _cached_task(spec: str, kwargs: tuple) -> Task:
    # One Task object per spec and process: tasks are stateless apart from their caches of
    # generated instances and metric results, which then serve every env (vector envs too).
    cls = resolve(FAMILIES.get(spec, spec))
    return cls(**dict(kwargs))


def make_task(task: Task | str, **kwargs: Any) -> Task:
    """A task from a :class:`Task`, a family name (``"doc"``) or ``"module:Class"`` (one per spec and process)."""
    if isinstance(task, Task):
        return task
    if not isinstance(task, str) or (task not in FAMILIES and ":" not in task):
        raise ConfigError(f"task must be a Task, one of {sorted(FAMILIES)} or 'module:Class', got {task!r}")
    try:
        return _cached_task(task, tuple(sorted(kwargs.items())))
    except TypeError as exc:
        raise ConfigError(f"cannot build task {task!r} with {kwargs}: {exc}") from exc


def from_config(config: EnvConfig, task: Task | str, given: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The task family and reward of ``config``, after checking no other argument was changed."""
    if not isinstance(config, EnvConfig):
        raise ConfigError(f"config must be an EnvConfig, got {type(config).__name__}")
    family = env_task(config.env_id)
    if isinstance(task, str) and task != family:
        raise ConfigError(f"config is for {config.env_id} ({family}), but the env was made for task {task!r}")
    defaults = {
        "user": "scripted", "reward": None, "reward_mode": "final", "max_turns": 10, "split": "train",
        "engagement_judge": None, "task_kwargs": None, "user_model": None, "base_url": None,
        "judge_model": None, "extractor": None, "dataset": None,
    }  # fmt: skip
    changed = sorted(name for name, value in defaults.items() if given[name] != value)
    if changed:
        raise ConfigError(f"pass config=... alone, or these arguments without it: {', '.join(changed)}")
    weights = {
        k: getattr(config, k) for k in ("w_ext", "w_eng", "token_penalty") if getattr(config, k) is not None
    }
    defaults = REWARD_WEIGHTS.get(family_of(config.env_id), {})
    return family, {"reward": RewardConfig(**{**defaults, **weights})}


def describe(task, user, judge, extractor, task_kwargs, split, dataset, max_turns, user_model, judge_model,
              base_url, reward, reward_mode) -> EnvConfig | None:  # fmt: skip
    """The :class:`EnvConfig` of an env built from describable parts, else ``None``."""
    ids = [env_id for env_id, family in ENV_IDS.items() if family == task] or _user_ids(task)
    if not ids or user != "scripted" or judge is not None or extractor is not None or task_kwargs:
        return None
    reward = reward or RewardConfig(**REWARD_WEIGHTS.get(getattr(task, "name", task), {}))
    return EnvConfig(
        ids[0], split=split, dataset=dataset, max_turns=max_turns, user_model=user_model,
        judge_model=judge_model, base_url=base_url, w_ext=reward.w_ext, w_eng=reward.w_eng,
        token_penalty=reward.token_penalty, reward_mode=reward_mode,
    )  # fmt: skip


def _user_ids(task: Task | str) -> list[str]:
    """The ids of users' own families that preset ``task`` (registered with the factory)."""
    import gymnasium

    return [
        spec.id for spec in gymnasium.registry.values()
        if spec.entry_point == ENTRY_POINT and spec.id not in ENV_IDS and spec.kwargs.get("task") is task
    ]  # fmt: skip


def chat_model(config: ModelConfig) -> Any:
    """The chat model of a user or judge, built by the backend registry.

    ``config.model`` is a name in the one grammar (``hf:PATH``, ``openai:MODEL@URL``...) or, as
    ``--user-model`` takes it, the bare name of a model at the OpenAI-compatible ``base_url``.
    An endpoint's concurrency is one limit for every role on it (:mod:`collab_env.llm.limits`):
    the default leaves it as it is, a ``ROLE.concurrency`` setting sets it.
    """
    from collab_env.llm.backends import BACKENDS, build_backend, parse_model
    from collab_env.llm.limits import DEFAULT_CONCURRENCY

    parsed = parse_model(config.model) or ("openai", {"model": config.model, "url": config.base_url})
    taken = {k: v for k, v in config.options().items() if k in BACKENDS[parsed[0]].options}
    if parsed[0] == "openai" and taken.get("concurrency") == DEFAULT_CONCURRENCY:
        del taken["concurrency"]  # the default: the endpoint keeps the limit another role may have set
    return build_backend(parsed[0], parsed[1], taken)


#: ``judge_model`` value that names the offline heuristic judge (an explicit choice with an LLM user).
HEURISTIC_JUDGE = "heuristic"


def make_judge(judge: EngagementJudge | None, model: ModelConfig | None) -> EngagementJudge | None:
    """The engagement judge: ``judge``, an LLM judge on ``model``, or the heuristic by name (not both)."""
    if model is None:
        return judge
    if judge is not None:
        raise ConfigError("pass either engagement_judge=... or judge_model=..., not both")
    if model.model == HEURISTIC_JUDGE:
        from collab_env.rewards import HeuristicEngagement

        return HeuristicEngagement()
    from collab_env.rewards.judges import LLMInteractivityJudge

    return LLMInteractivityJudge(chat_model(model))


def default_judge(
    judge: EngagementJudge | None, user: UserSimulator, model: ModelConfig | None
) -> EngagementJudge | None:
    """The judge when none was given: with a user played by a model, the LLM judge on that model.

    The heuristic reads words, so with a model writing the user's replies it judges text it was
    not measured on (docs/reward.md gives their agreement). With a user model and no judge, the
    LLM interactivity judge runs on the user's model and endpoint (``model``: with the judge
    role's options); the heuristic stays available by name (``judge_model="heuristic"``), which
    results files then record. An env given a user object keeps the judge it is given (the
    heuristic when none is), with a warning when that user is an LLM user.
    """
    if judge is not None:
        return judge
    if model is not None:
        from collab_env.rewards.judges import LLMInteractivityJudge

        return LLMInteractivityJudge(chat_model(model))
    from collab_env.users import LLMUser

    if isinstance(user, LLMUser):
        logger.warning(
            "an LLM user is judged by the word heuristic; pass engagement_judge=LLMInteractivityJudge(...) "
            "or judge_model=%r to say so",
            HEURISTIC_JUDGE,
        )
    return None


def make_user(user: UserSimulator | str, model: ModelConfig | None) -> UserSimulator:
    """The user simulator: ``user``, the scripted one, or an LLM user on ``model``."""
    if model is not None:
        if user != "scripted":
            raise ConfigError("pass either user=... or user_model=..., not both")
        from collab_env.users import LLMUser

        return LLMUser(chat_model(model), json_mode=model.json_mode)
    if isinstance(user, UserSimulator):
        return user
    if user == "scripted":
        return ScriptedUser()
    raise ConfigError(f"user must be 'scripted' or a UserSimulator, got {user!r}")
