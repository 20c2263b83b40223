"""Running an agent through an episode: the loop every command, test and benchmark shares."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym

from collab_env.aio import act, gather, reset_async, run_sync, step_async
from collab_env.errors import ModelCallError
from collab_env.facets import questions
from collab_env.types import Agent, ChatMessage


@dataclass
class EpisodeResult:
    """The outcome of one episode.

    Attributes:
        task_id: The task instance played.
        messages: The full transcript.
        rewards: Reward paid at each step.
        infos: ``info`` of each step.
        terminated: Whether the user ended the chat.
        truncated: Whether the turn limit (or a failed model call) ended it.
    """

    task_id: str
    messages: list[ChatMessage]
    rewards: list[float] = field(default_factory=list)
    infos: list[dict[str, Any]] = field(default_factory=list)
    terminated: bool = False
    truncated: bool = False

    @property
    def turns(self) -> int:
        """Assistant turns taken."""
        return len(self.rewards)

    @property
    def reward(self) -> dict[str, Any]:
        """The reward breakdown after the last turn (``{}`` if no turn was taken)."""
        return self.infos[-1].get("reward", {}) if self.infos else {}

    @property
    def questions_asked(self) -> int:
        """Question sentences the assistant wrote."""
        return sum(len(questions(m["content"])) for m in self.messages if m["role"] == "assistant")


def run_episode(
    env: gym.Env,
    agent: Agent,
    seed: int | None = None,
    task_id: str | None = None,
    reveal: str | None = None,
) -> EpisodeResult:
    """Play one episode of ``env`` with ``agent``.

    Args:
        env: A collaboration environment (wrapped or not).
        agent: Any ``agent(messages) -> str``; its ``reset()`` is called first when it has one.
        seed: Seed for ``env.reset``.
        task_id: Play this task instance instead of drawing one.
        reveal: ``"all"`` plays the instance fully specified (the reset option ``reveal``).

    Returns:
        The transcript, the rewards and every step's ``info``.
    """
    if callable(getattr(agent, "reset", None)):
        agent.reset()
    options = {k: v for k, v in (("task_id", task_id), ("reveal", reveal)) if v}
    obs, info = env.reset(seed=seed, options=options or None)
    result = EpisodeResult(task_id=info["task_id"], messages=obs)
    done = False
    while not done:
        obs, reward, terminated, truncated, info = env.step(agent(obs))
        result.rewards.append(reward)
        result.infos.append(info)
        result.messages, result.terminated, result.truncated = obs, terminated, truncated
        done = terminated or truncated
    return result


async def run_episode_async(
    env: gym.Env,
    agent: Agent,
    seed: int | None = None,
    task_id: str | None = None,
    reveal: str | None = None,
) -> EpisodeResult:
    """:func:`run_episode` on the async core: the same episode, its model calls awaited.

    Many episodes run this way on one event loop advance together, each as soon as its own
    last call returns (a benchmark worker's episodes; sessions). The agent plays through
    :func:`collab_env.aio.act`: ``act_async`` when it has it, in place when scripted.
    """
    if callable(getattr(agent, "reset", None)):
        agent.reset()
    options = {k: v for k, v in (("task_id", task_id), ("reveal", reveal)) if v}
    obs, info = await reset_async(env, seed=seed, options=options or None)
    result = EpisodeResult(task_id=info["task_id"], messages=obs)
    done = False
    while not done:
        obs, reward, terminated, truncated, info = await step_async(env, await act(agent, obs))
        result.rewards.append(reward)
        result.infos.append(info)
        result.messages, result.terminated, result.truncated = obs, terminated, truncated
        done = terminated or truncated
    return result


# -- simulated futures ---------------------------------------------------------------------------
#
# Simulated futures (MR's samples, ranking's candidates) run free on the async core: each is one
# coroutine that plays its chain of turns and awaits only its own model calls, so none waits for
# the slowest future of a "round". Batching is the models' business (an endpoint batches by
# itself; a local model coalesces the requests that arrive together). Scripted policies and users
# are called in place: their futures run one after another without a thread or a suspension.


@dataclass
class Future:
    """One simulated continuation of an episode.

    Attributes:
        env: Its own branch of the episode (:meth:`CollabEnv.branch`).
        policy: The agent that plays its assistant turns (its own copy when stateful).
        sample_index: Which sample of the policy it draws (keys a response cache).
        seed: Seed passed to a model-backed policy.
        done: Whether its episode ended.
        error: Why a model call failed, if one did.
    """

    env: Any
    policy: Agent
    sample_index: int = 0
    seed: int | None = None
    done: bool = False
    error: str | None = None


async def play_future(future: Future, first: str | None, window: int) -> None:
    """Play one future in the paper's shape: (u, a) × ``window`` after its first action.

    The first action (a response being scored) gets the user's reply; then the policy plays
    ``window`` turns, each but the last answered by the user: the future ends with its
    ``window``-th policy turn (u, a, …, u, a: the reference's ``max_new_turns = 2 · window``),
    so a window-``w`` future makes ``max(w, 1)`` user calls. ``window=0`` stops at the reply to
    the first action (the myopic next-turn reward). A future whose episode ends stops there; one
    whose policy's or user's model failed after its retries is marked with ``error``.

    Args:
        future: The future, at the state it starts from.
        first: Its first assistant message, or ``None`` to start with the policy's turns.
        window: Policy turns after the first action and its reply.
    """
    future.done = future.env.done
    if first is not None and not future.done:
        await _step(future, first)
    for turn in range(window):
        if future.done:
            return
        params = {"sample_index": future.sample_index, "seed": future.seed}
        try:
            action = await act(future.policy, future.env.messages, params)
        except ModelCallError as exc:  # the policy's model failed after its retries: the future is lost
            future.done, future.error = True, f"policy: {type(exc).__name__}: {exc}"
            return
        if turn == window - 1:  # the future's last turn is the policy's: no user reply to it
            future.env.append_action(action)
        else:
            await _step(future, action)


async def _step(future: Future, action: str) -> None:
    _, _, terminated, truncated, info = await future.env.step_async(action)
    future.done = terminated or truncated
    if "error" in info:
        future.error = info["error"]


def play_futures(futures: Sequence[Future], first: Sequence[str | None], window: int) -> None:
    """Play every future at once (:func:`play_future`), from synchronous code."""
    run_sync(gather([play_future(f, a, window) for f, a in zip(futures, first, strict=True)]))
