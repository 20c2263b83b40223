"""Running an agent through an episode: the loop every command, test and benchmark shares."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym

from collab_env.errors import ModelCallError
from collab_env.executors import concurrency_of, make_executor
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


# -- lockstep rollouts --------------------------------------------------------------------------
#
# Simulated futures (MR's samples, ranking's candidates) advance together, one round per turn:
# every live future's next policy message in one batch, then every user reply in one batch, so an
# endpoint sees every request of a round at once and a local model runs one forward pass per
# round instead of one per future. Scripted policies and users keep a plain serial loop: their
# "batch" is a list comprehension.


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


def step_batch(envs: Sequence[Any], actions: Sequence[str]) -> list[tuple[list, float, bool, bool, dict]]:
    """Step several episodes of :class:`~collab_env.env.CollabEnv` at once.

    The assistant messages are appended, then each user simulator answers all of its episodes
    with one :meth:`~collab_env.users.UserSimulator.reply_batch`. A model failure ends the
    episodes of that batch as lost (``truncated``, ``info["error"]``), as :meth:`step` does.

    Returns:
        ``(observation, reward, terminated, truncated, info)`` per env, in order.
    """
    from collab_env.errors import SandboxError
    from collab_env.users.base import ReplyRequest

    states = [env._act(action) for env, action in zip(envs, actions, strict=True)]
    groups: dict[int, list[int]] = {}
    for i, env in enumerate(envs):
        groups.setdefault(id(env.user), []).append(i)
    out: list[Any] = [None] * len(envs)
    for members in groups.values():
        user = envs[members[0]].user
        requests = [
            ReplyRequest(
                envs[i].task, states[i].instance, states[i].messages, states[i].user_state, states[i].user_rng
            )
            for i in members
        ]
        try:
            replies = user.reply_batch(requests)
        except (ModelCallError, SandboxError) as exc:
            for i in members:
                out[i] = envs[i]._lost(exc, envs[i]._user_counts(states[i]))
            continue
        for i, reply in zip(members, replies, strict=True):
            out[i] = envs[i]._answer(reply)
    return out


def act_batch(
    policies: Sequence[Agent],
    conversations: Sequence[Sequence[ChatMessage]],
    per_call: Sequence[dict[str, Any]],
    keep_failures: bool = False,
) -> list[str]:
    """The next assistant message of each conversation, played by its policy: one batch per policy.

    A policy with ``act_batch(conversations, per_call=...)`` gets all its conversations at once,
    each with its own parameters (``seed``, ``sample_index``); one that declares
    ``concurrency`` > 1 is called from that many threads; any other policy is called once per
    conversation, in order. With ``keep_failures``, a :class:`ModelCallError` of one
    conversation's call is returned in its place instead of raised (a batch's fails its group).
    """
    texts: list[str | None] = [None] * len(policies)
    groups: dict[int, list[int]] = {}
    for i, policy in enumerate(policies):
        groups.setdefault(id(policy), []).append(i)
    for members in groups.values():
        policy = policies[members[0]]
        mine = [list(conversations[i]) for i in members]
        batch = getattr(policy, "act_batch", None)
        if callable(batch):
            answers = _call_act_batch(batch, mine, [per_call[i] for i in members])
        else:
            answers = make_executor(None, concurrency_of(policy)).map(_caught(policy), mine)
            failed = next((a for a in answers if isinstance(a, ModelCallError)), None)
            if failed is not None and not keep_failures:
                raise failed
        if len(answers) != len(members):
            raise TypeError(
                f"policy {policy!r} returned {len(answers)} messages for {len(members)} conversations"
            )
        for i, text in zip(members, answers, strict=True):
            texts[i] = text
    return texts  # type: ignore[return-value]


def play_futures(futures: Sequence[Future], first: Sequence[str | None], window: int) -> None:
    """Advance ``futures`` in lockstep, in the paper's shape: (u, a) × ``window`` after the first action.

    Each future's first action (a response being scored) gets the user's reply; then the policy
    plays ``window`` turns, each but the last answered by the user: a future ends with its
    ``window``-th policy turn (u, a, …, u, a: the reference's ``max_new_turns = 2 · window``),
    so a window-``w`` future makes ``max(w, 1)`` user calls. ``window=0`` stops at the reply to
    the first action (the myopic next-turn reward).

    Args:
        futures: The futures, at the state they start from.
        first: Each future's first assistant message (a response being scored), or ``None`` to
            start with the policy's turns.
        window: Policy turns after the first action and its reply; a future whose episode ends
            drops out.
    """
    for future in futures:
        future.done = future.env._require_state().done
    _advance([f for f, a in zip(futures, first, strict=True) if a is not None and not f.done],
             [a for f, a in zip(futures, first, strict=True) if a is not None and not f.done])  # fmt: skip
    for turn in range(window):
        live = [f for f in futures if not f.done]
        if not live:
            return
        params = [{"sample_index": f.sample_index, "seed": f.seed} for f in live]
        try:
            actions = act_batch([f.policy for f in live], [f.env.messages for f in live], params, True)
        except ModelCallError as exc:  # a batch policy's model failed after its retries
            actions = [exc] * len(live)
        failed = [(f, a) for f, a in zip(live, actions, strict=True) if isinstance(a, ModelCallError)]
        for future, exc in failed:  # the policy's model failed after its retries: that future is lost
            future.done, future.error = True, f"policy: {type(exc).__name__}: {exc}"
        kept = [(f, a) for f, a in zip(live, actions, strict=True) if f.error is None]
        live, actions = [f for f, _ in kept], [a for _, a in kept]
        if turn == window - 1:  # the future's last turn is the policy's: no user reply to it
            for future, action in zip(live, actions, strict=True):
                future.env._act(action)
        else:
            _advance(live, actions)


def _advance(futures: Sequence[Future], actions: Sequence[str]) -> None:
    if not futures:
        return
    for future, (_, _, terminated, truncated, info) in zip(
        futures, step_batch([f.env for f in futures], actions), strict=True
    ):
        future.done = terminated or truncated
        if "error" in info:
            future.error = info["error"]


def _caught(policy: Agent) -> Callable[[list], Any]:
    """``policy``, returning a :class:`ModelCallError` instead of raising it."""

    def call(conversation: list) -> Any:
        try:
            return policy(conversation)
        except ModelCallError as exc:
            return exc

    return call


def _call_act_batch(batch: Callable, conversations: list, per_call: list[dict]) -> list[str]:
    import inspect

    try:
        takes_per_call = "per_call" in inspect.signature(batch).parameters
    except (TypeError, ValueError):
        takes_per_call = False
    return list(batch(conversations, per_call=per_call) if takes_per_call else batch(conversations))
