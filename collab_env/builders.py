"""How an env's parts are built from names and from an :class:`~collab_env.config.EnvConfig`.

:class:`~collab_env.env.CollabEnv` takes its parts as arguments (a task, a user simulator, a
judge...) or as names and configs; this module turns the names into parts, and an env's
arguments back into the ``EnvConfig`` that describes it.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from collab_env.config import EnvConfig
from collab_env.errors import ConfigError
from collab_env.registration import FAMILIES, REWARD_WEIGHTS
from collab_env.rewards import EngagementJudge, RewardConfig
from collab_env.task import Task, resolve
from collab_env.users import ScriptedUser, UserSimulator

logger = logging.getLogger(__name__)


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
    family = collab_env_family(config.env_id)
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
    return family, {"reward": RewardConfig(**{**REWARD_WEIGHTS.get(family, {}), **weights})}


def collab_env_family(env_id: str) -> str:
    """The task family of a registered id."""
    from collab_env.registration import ENV_IDS, check_env_id

    return ENV_IDS[check_env_id(env_id)]


def role_options(config: EnvConfig | None, role: str) -> dict[str, Any]:
    """The model options of ``role``: the config's, or the role's defaults without one."""
    from collab_env.config import ROLE_DEFAULTS

    return config.options(role) if config is not None else dict(ROLE_DEFAULTS[role])


def describe(task, user, judge, extractor, task_kwargs, split, dataset, max_turns, user_model, judge_model,
              base_url, reward, reward_mode) -> EnvConfig | None:  # fmt: skip
    """The :class:`EnvConfig` of an env built from describable parts, else ``None``."""
    from collab_env.registration import ENV_IDS

    ids = [env_id for env_id, family in ENV_IDS.items() if family == task]
    if not ids or user != "scripted" or judge is not None or extractor is not None or task_kwargs:
        return None
    reward = reward or RewardConfig(**REWARD_WEIGHTS.get(task, {}))
    return EnvConfig(
        ids[0], split=split, dataset=dataset, max_turns=max_turns, user_model=user_model,
        judge_model=judge_model, base_url=base_url, w_ext=reward.w_ext, w_eng=reward.w_eng,
        token_penalty=reward.token_penalty, reward_mode=reward_mode,
    )  # fmt: skip


def chat_model(model: str, base_url: str | None, options: dict[str, Any]) -> Any:
    """An :class:`~collab_env.llm.OpenAIChat` for ``model`` with one role's options."""
    from collab_env.llm import OpenAIChat

    return OpenAIChat(
        model, base_url=base_url, concurrency=options["concurrency"], max_retries=options["max_retries"],
        timeout_s=options["timeout_s"], max_tokens=options["max_tokens"], temperature=options["temperature"],
    )  # fmt: skip


#: ``judge_model`` value that names the offline heuristic judge (an explicit choice with an LLM user).
HEURISTIC_JUDGE = "heuristic"


def make_judge(
    judge: EngagementJudge | None, judge_model: str | None, base_url: str | None, options: dict[str, Any]
) -> EngagementJudge | None:
    """The engagement judge: ``judge``, an LLM judge on ``judge_model``, or the heuristic by name (not both)."""
    if judge_model is None:
        return judge
    if judge is not None:
        raise ConfigError("pass either engagement_judge=... or judge_model=..., not both")
    if judge_model == HEURISTIC_JUDGE:
        from collab_env.rewards import HeuristicEngagement

        return HeuristicEngagement()
    from collab_env.rewards.judges import LLMInteractivityJudge

    return LLMInteractivityJudge(chat_model(judge_model, base_url, options))


def default_judge(
    judge: EngagementJudge | None,
    user: UserSimulator,
    user_model: str | None,
    base_url: str | None,
    options: dict[str, Any],
) -> EngagementJudge | None:
    """The judge when none was given: with a user played by ``user_model``, the LLM judge on it.

    The heuristic reads words, so with a model writing the user's replies it judges text it was
    not measured on (docs/reward.md gives their agreement). With ``user_model`` and no judge, the
    LLM interactivity judge runs on the user's model and endpoint (with the judge role's
    options); the heuristic stays available by name (``judge_model="heuristic"``), which results
    files then record. An env given a user object keeps the judge it is given (the heuristic when
    none is), with a warning when that user is an LLM user.
    """
    if judge is not None:
        return judge
    if user_model is not None:
        from collab_env.rewards.judges import LLMInteractivityJudge

        return LLMInteractivityJudge(chat_model(user_model, base_url, options))
    from collab_env.users import LLMUser

    if isinstance(user, LLMUser):
        logger.warning(
            "an LLM user is judged by the word heuristic; pass engagement_judge=LLMInteractivityJudge(...) "
            "or judge_model=%r to say so",
            HEURISTIC_JUDGE,
        )
    return None


def make_user(
    user: UserSimulator | str,
    user_model: str | None,
    base_url: str | None,
    judge_model: str | None,
    options: dict[str, Any],
) -> UserSimulator:
    """The user simulator: ``user``, the scripted one, or an LLM user on ``user_model``."""
    if user_model is not None:
        if user != "scripted":
            raise ConfigError("pass either user=... or user_model=..., not both")
        from collab_env.users import LLMUser

        json_mode = bool(options["json_mode"]) if "json_mode" in options else None
        return LLMUser(chat_model(user_model, base_url, options), json_mode=json_mode)
    if base_url is not None and judge_model is None:
        raise ConfigError("base_url is the endpoint of user_model or judge_model; pass one of them too")
    if isinstance(user, UserSimulator):
        return user
    if user == "scripted":
        return ScriptedUser()
    raise ConfigError(f"user must be 'scripted' or a UserSimulator, got {user!r}")
