"""One benchmark episode: play it and build its record (identity, status, reward parts, usage).

An agent that raises or returns an invalid action fails its episode (status ``agent_error``,
R_ext 0 and R* 0, averaged in like any scored episode); a model endpoint or any other crash
loses it (status ``lost``, with the reason).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

import gymnasium as gym

from collab_env.agents.specs import build_agent
from collab_env.aio import act
from collab_env.errors import ModelCallError
from collab_env.facets import questions
from collab_env.harness.log import EpisodeRecord, Key
from collab_env.rollout import run_episode, run_episode_async
from collab_env.tokens import count_tokens

#: Counters of a model-backed user simulator recorded per episode as ``user_<name>`` (0 for the
#: scripted user): rejected replies (unparseable, cut off at max_tokens, broken guards) and retries.
USER_COUNTS = ("parse_failures", "cutoffs", "drifts", "retries", "fallbacks")
#: Seeds of repeat r of an episode are ``REPEAT_STRIDE * r`` apart from its first: a fixed
#: split's instance is pinned by its id, so only the user's (and env's) generators change.
REPEAT_STRIDE = 1_000_003


def play(job: Key, config: Any) -> EpisodeRecord:
    """Play one episode and return its record (never raises: a crash of the agent is a failed episode, any other crash is lost).

    Args:
        job: (env id, agent spec, episode index k, repeat r, reveal); the episode plays instance
            ``config.seed + k`` (modulo a fixed split's size) with seed ``config.seed + k + r *
            REPEAT_STRIDE``, fully specified when reveal is ``"all"``.
        config: The run.

    Returns:
        The episode's record: identity, status (``"ok"``, ``"agent_error"`` or ``"lost"``), every
        reward part, the judge, tokens, turns, questions, user simulator calls and counts
        (:data:`USER_COUNTS`), model usage, cost and transcript.
    """
    record, env, agent = _setup(job, config)
    if env is None:
        return record
    try:
        result = run_episode(env, agent, seed=record["seed"], task_id=record["task_id"], reveal=job[4])
    except AgentError as exc:
        return {**record, **_agent_error(env, str(exc))}
    except Exception:
        return {**record, "status": "lost", "error": traceback.format_exc()}
    return _finish(record, env, agent, result)


async def play_async(job: Key, config: Any) -> EpisodeRecord:
    """:func:`play` on the async core: the same record, its model calls awaited.

    A benchmark worker keeps many episodes in flight this way on one event loop (each advances
    as soon as its own call returns), bounded by the endpoints' concurrency limits.
    """
    record, env, agent = _setup(job, config)
    if env is None:
        return record
    try:
        result = await run_episode_async(
            env, agent, seed=record["seed"], task_id=record["task_id"], reveal=job[4]
        )
    except AgentError as exc:
        return {**record, **_agent_error(env, str(exc))}
    except Exception:
        return {**record, "status": "lost", "error": traceback.format_exc()}
    return _finish(record, env, agent, result)


def _setup(job: Key, config: Any) -> tuple[EpisodeRecord, Any, Any]:
    """The episode's record so far, its env and its checked agent (``None, None`` and the lost record on a crash)."""
    env_id, spec, k, _, _ = job
    record = _base(job, config)
    try:
        env = config.env_config(env_id).make()
        task = env.unwrapped.task
        record["metric"] = task.metric_name
        size = task.size(config.env.split)  # seed s plays instance s (mod the size), as env.reset does
        record["task_id"] = task.task_id(config.env.split, (config.seed + k) % size) if size else None
        if size is None and config.repeats > 1:  # repeats replay one instance: pin it
            record["task_id"] = task.task_id(config.env.split, config.seed + k)
        agent = CheckedAgent(build_agent(spec, env, config.agent_options), env)
    except Exception:
        return {**record, "status": "lost", "error": traceback.format_exc()}, None, None
    return record, env, agent


def _finish(record: EpisodeRecord, env: Any, checked: CheckedAgent, result: Any) -> EpisodeRecord:
    """The record of a played episode."""
    agent, task = checked.agent, env.unwrapped.task
    error = next((i["error"] for i in result.infos if "error" in i), None)
    # The user's counters are cumulative; a turn lost to a failed call reports none, so take the last.
    user = next((i["user"] for i in reversed(result.infos) if "user" in i), {})
    usage = {
        "agent": _usage(agent),
        "user": {
            "simulator": user.get("simulator", "scripted"),
            "calls": user.get("calls", len(result.infos)),
            "tokens": user.get("tokens", 0),
            "cost": user.get("cost", 0.0),
        },
        "judge": _usage(getattr(env.unwrapped, "engagement_judge", None)),
    }
    record.update(
        status="lost" if error else "ok",
        error=error,
        task_id=result.task_id,
        reward=result.reward,
        success=result.reward["task_metric"] >= task.accept_threshold
        if "task_metric" in result.reward
        else None,
        judge=result.reward.get("engagement_judge"),
        turns=result.turns,
        terminated=result.terminated,
        questions=result.questions_asked,
        assistant_tokens=_tokens(result.messages, "assistant"),
        user_tokens=_tokens(result.messages, "user"),
        user_calls=usage["user"]["calls"],
        **{f"user_{k}": user.get(k, 0) for k in USER_COUNTS},
        user_accepted_drifts=sum(user.get("accepted_drifts", {}).values()),  # used after the retries
        user_profile=user.get("profile"),
        agent_usage=usage["agent"],
        usage=usage,
        cost=sum(u.get("cost", 0.0) or 0.0 for u in usage.values()),  # agent, user simulator, judge
        messages=result.messages,
    )
    return record


class AgentError(Exception):
    """The agent under test failed: it raised, or returned an invalid action (its fault, scored)."""


class CheckedAgent:
    """Wraps an agent so that its own failures end the episode as :class:`AgentError`.

    A model endpoint failing inside the agent (``ModelCallError``) is infrastructure and passes
    through (the episode is lost); anything else the agent raises, and an action the env's
    action space refuses (not a ``str``, too long), is the agent's failure.

    Args:
        agent: The agent under test.
        env: Its env (for the action space).
    """

    def __init__(self, agent: Callable[[list[dict[str, str]]], Any], env: gym.Env) -> None:
        self.agent, self.space = agent, env.unwrapped.action_space

    def reset(self) -> None:
        """Reset the wrapped agent, if it has a ``reset``."""
        if callable(getattr(self.agent, "reset", None)):
            self.agent.reset()

    def __call__(self, messages: list[dict[str, str]]) -> str:
        """The agent's action, checked."""
        try:
            action = self.agent(messages)
        except ModelCallError:
            raise
        except Exception as exc:
            raise AgentError(f"the agent raised {type(exc).__name__}: {exc}") from exc
        return self._checked(action)

    async def act_async(self, messages: list[dict[str, str]], **per_call: Any) -> str:
        """The agent's action, awaited (:func:`collab_env.aio.act`), checked."""
        try:
            action = await act(self.agent, messages, per_call)
        except ModelCallError:
            raise
        except Exception as exc:
            raise AgentError(f"the agent raised {type(exc).__name__}: {exc}") from exc
        return self._checked(action)

    def _checked(self, action: Any) -> str:
        if not isinstance(action, str):
            raise AgentError(f"the agent returned a {type(action).__name__}, not a str")
        if not self.space.contains(action):
            raise AgentError(
                f"the agent's message is {len(action)} characters long; the limit is {self.space.max_chars}"
            )
        return action


def _agent_error(env: gym.Env, error: str) -> EpisodeRecord:
    """A failed episode, scored: R_ext 0 and R* 0, the transcript up to the failure."""
    messages = env.unwrapped.messages
    zero = {
        "total": 0.0,
        "task_metric": 0.0,
        "token_penalty": 0.0,
        "engagement": 0.0,
        "engagement_judge": None,
    }
    return {
        "status": "agent_error", "error": error, "reward": zero, "judge": None,
        "turns": sum(m["role"] == "assistant" for m in messages), "terminated": False,
        "questions": sum(len(questions(m["content"])) for m in messages if m["role"] == "assistant"),
        "assistant_tokens": _tokens(messages, "assistant"), "user_tokens": _tokens(messages, "user"),
        "cost": 0.0, "messages": messages,
    }  # fmt: skip


def _base(job: Key, config: Any) -> EpisodeRecord:
    env_id, spec, k, r, reveal = job
    record = {"type": "episode", "env_id": env_id, "agent": spec, "episode": k, "seed": config.seed + k}
    if r or config.repeats > 1:
        record.update(repeat=r, seed=config.seed + k + r * REPEAT_STRIDE)
    if reveal != "default" or config.reveal != ["default"]:
        record["reveal"] = reveal
    return record


def _tokens(messages: list[dict[str, str]], role: str) -> int:
    return sum(count_tokens(m["content"]) for m in messages if m["role"] == role)


def _usage(owner: Any) -> dict[str, Any]:
    """Calls, tokens and cost of a model-backed agent or judge (empty for scripted ones)."""
    usage = getattr(getattr(owner, "model", None), "usage", None)
    return usage.as_dict() if usage is not None else {}


__all__ = ["USER_COUNTS", "AgentError", "CheckedAgent", "play", "play_async"]
