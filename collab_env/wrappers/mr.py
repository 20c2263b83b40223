"""The multiturn-aware reward (MR): the value of a response is the R* of the conversations it leads to.

As the source paper defines it, the MR of the assistant's response at turn j is the mean R* of
``samples`` simulated futures that branch right after the response, *before* the user's reply:
each future samples its own user reply with its own user generator, then alternates
``policy`` and user turns up to its ``window``-th policy turn (u, a, …, u, a: ``window=w`` is
the reference's ``max_new_turns = 2w``), stops early when the user ends the chat, and is
scored with R* of its final state (:func:`final_state_reward`). The real episode keeps its real reply and is never touched: every future runs in
:meth:`CollabEnv.branch`, an independent copy.

Futures run free on the async core (:func:`collab_env.rollout.play_future`): every future is
its own chain of calls that advances as soon as its last call returns, all of them at once, bounded
only by each endpoint's concurrency limit; a local model coalesces the calls that arrive together
into one forward pass. Each future is scored as soon as it ends.
"""

from __future__ import annotations

import copy
import hashlib
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np

from collab_env.aio import gather, in_thread, is_model_backed, reset_async, run_sync, step_async
from collab_env.config import EnvConfig
from collab_env.env import CollabEnv, EnvState
from collab_env.errors import ConfigError
from collab_env.rewards import conversation_reward
from collab_env.rollout import Future, play_future
from collab_env.task import check_policy_family
from collab_env.types import Agent, ChatMessage
from collab_env.users import LLMUser

#: Counters of a user simulator's per-episode state that measure model usage.
USAGE_FIELDS = ("calls", "tokens", "prompt_tokens", "completion_tokens", "cost")


@dataclass(frozen=True)
class MRResult:
    """MR of one response.

    Attributes:
        mean: The multiturn-aware reward: mean R* over the futures that were not lost; ``None``
            when every future was lost (the step is then lost: never pay it as 0).
        std: Standard deviation of the samples' R* (0 with one sample).
        scores: R* of each simulated future that was not lost.
        lengths: Messages in each simulated conversation (the real part included).
        user_seeds: The user simulator seed of each future (for reproduction; a retried future's
            seed is the retry's).
        window: Policy turns of each future after the response and the sampled reply.
        breakdowns: Each future's R* with every part (``RewardBreakdown.as_dict``).
        usage: Model usage of the futures' user simulators: calls, tokens, cost.
        futures: The simulated conversations, when kept.
        lost: Futures lost (a model call failed after its retries, twice: the future is played
            once more with a fresh user seed before it is left out).
        errors: Why each lost future failed.
        kept: The sample index of each entry of ``scores`` (lost samples are missing), so two
            candidates' futures pair up by their shared user seeds.
    """

    mean: float | None
    std: float
    scores: list[float]
    lengths: list[int]
    user_seeds: list[int]
    window: int
    breakdowns: list[dict[str, Any]] = field(default_factory=list)
    usage: dict[str, float] = field(default_factory=dict)
    futures: list[list[ChatMessage]] = field(default_factory=list)
    lost: int = 0
    errors: list[str] = field(default_factory=list)
    kept: list[int] = field(default_factory=list)

    @property
    def is_lost(self) -> bool:
        """Whether every future was lost (no MR: a learner must leave this step out)."""
        return self.mean is None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (without the futures' transcripts)."""
        out = asdict(self)
        out.pop("futures")
        return out


class MultiturnAwareReward(gym.Wrapper):
    """Pays the multiturn-aware reward (MR) of each assistant turn.

    Args:
        env: A collaboration environment (``CollabEnv``, possibly wrapped).
        policy: The agent that plays the simulated future turns; pass the agent being trained
            or evaluated, so that MR values a response under the behaviour that will follow it.
            A policy with a ``reset`` method is treated as stateful and deep-copied per future.
            A policy is called by :func:`collab_env.aio.act`: ``act_async`` when it has it, else
            ``act_batch`` with the calls that arrive together, else in place (scripted).
        window: Policy turns simulated after the response and its sampled user reply, the
            last one unanswered (0: the mean R* right after a sampled reply, the myopic reward).
        samples: Futures per turn; their mean R* is paid.
        seed: Extra entropy for the futures' user seeds.
        keep_futures: Put the simulated conversations in ``info["mr_futures"]``.

    ``info["mr"]`` holds the mean, the per-sample R* and each future's R* breakdown, their
    standard deviation, the simulated conversations' lengths, the user seeds and the futures'
    model usage (also added to the episode's user usage in ``info["user"]``). A future lost to
    a model call that failed after its retries is played once more with a fresh user seed; if
    it fails again it is left out of the mean and counted in ``info["mr"]["lost"]`` (with
    ``errors``). Only a step whose futures are all lost is lost: it ends the episode with
    ``truncated=True`` and ``info["error"]``, as the base env does for the real user, and a
    learner must leave it out (the 0.0 returned beside ``info["error"]`` is not a reward).

    A future's final state is scored with :func:`final_state_reward`: a future that its window
    cut before a proposal is scored as if the assistant delivered then what the conversation
    revealed (the family's public drafter writes it, its tokens not charged), so a needed
    question is not paid less than a premature guess merely because the window ended first.
    """

    def __init__(
        self,
        env: gym.Env,
        policy: Agent,
        window: int = 2,
        samples: int = 3,
        seed: int = 0,
        keep_futures: bool = False,
    ) -> None:
        super().__init__(env)
        _check(policy, window, samples, env)
        if not isinstance(env.unwrapped, CollabEnv):
            raise ConfigError(f"MultiturnAwareReward wraps a CollabEnv, got {type(env.unwrapped).__name__}")
        self.policy, self.window, self.samples, self.seed = policy, window, samples, seed
        self.keep_futures = keep_futures

    def step(self, action: str) -> tuple[list, float, bool, bool, dict]:
        """Take the real step, then pay the MR of ``action`` (futures branch before the reply)."""
        base = self.env.unwrapped
        before = base.snapshot() if base.in_progress else None
        return run_sync(self._pay(before, action, self.env.step(action)))

    async def step_async(self, action: str) -> tuple[list, float, bool, bool, dict]:
        """:meth:`step`, awaited: the real step and the futures run on the caller's event loop.

        The same result as ``step``; a served session (or a benchmark running many episodes on
        one loop) calls this, so that the futures of many steps advance together.
        """
        base = self.env.unwrapped
        before = base.snapshot() if base.in_progress else None
        return await self._pay(before, action, await step_async(self.env, action))

    async def reset_async(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple:
        """``reset``, awaited (the user simulator's opening may be a model call)."""
        return await reset_async(self.env, seed=seed, options=options)

    async def _pay(self, before: EnvState | None, action: str, stepped: tuple) -> tuple:
        """The real step's result with the MR of ``action`` as its reward (``before``: the state it left)."""
        obs, reward, terminated, truncated, info = stepped
        if "error" in info or before is None:
            return obs, reward, terminated, truncated, info
        base = self.env.unwrapped
        entropy = _state_entropy(before, self.seed, action)
        seeds = [_derive(entropy, k) for k in range(self.samples)]
        result = (
            await _estimate(base, before, [action], self.policy, self.window, [seeds], self.keep_futures)
        )[0]
        _add_usage(base.state.user_state, result.usage, info.get("user"))
        info["mr"] = result.as_dict()
        if result.is_lost:  # every future lost: the step is lost, never paid as 0
            info["error"] = f"MR: all {self.samples} futures lost: {result.errors[0]}"
            base.state.done = True
            return obs, 0.0, terminated, True, info
        if self.keep_futures:
            info["mr_futures"] = result.futures
        return obs, result.mean, terminated, truncated, info


def multiturn_aware_reward(
    env_id_or_env: str | EnvConfig | gym.Env,
    conversation: Sequence[ChatMessage],
    candidates: Sequence[str],
    policy: Agent,
    window: int = 2,
    samples: int = 3,
    *,
    task_id: str | None = None,
    env_seed: int | None = None,
    common_random_numbers: bool = True,
    seed: int = 0,
    keep_futures: bool = False,
) -> list[MRResult]:
    """Score candidate responses to one conversation by MR (how the paper ranks responses).

    Args:
        env_id_or_env: An env whose current episode is at ``conversation``, or an
            :class:`~collab_env.config.EnvConfig` (or an env id, for its defaults) to rebuild
            it: ``task_id`` (and the ``env_seed`` the conversation was played with) say which
            episode, and the conversation's assistant turns are replayed to reach its state.
        conversation: The conversation so far, ending with a user message.
        candidates: Assistant responses to compare.
        policy: The agent that plays the future turns.
        window: Assistant turns simulated after each candidate and its sampled user reply.
        samples: Futures per candidate; all ``len(candidates) * samples`` futures run at once.
        task_id: With an env id, the task instance of the conversation.
        env_seed: With an env id, the seed of the episode.
        common_random_numbers: Give every candidate's sample k the same user seed, so that
            differences between candidates are not drowned by simulator noise.
        seed: Extra entropy for the user seeds.
        keep_futures: Keep the simulated conversations in each result.

    Returns:
        One :class:`MRResult` per candidate, in order.

    Raises:
        ConfigError: for bad arguments, or a conversation that the env does not reproduce.

    A candidate whose futures were all lost has ``mean=None`` (:attr:`MRResult.is_lost`).
    """
    return run_sync(
        multiturn_aware_reward_async(
            env_id_or_env, conversation, candidates, policy, window, samples, task_id=task_id,
            env_seed=env_seed, common_random_numbers=common_random_numbers, seed=seed, keep_futures=keep_futures,
        )
    )  # fmt: skip


async def multiturn_aware_reward_async(
    env_id_or_env: str | EnvConfig | gym.Env,
    conversation: Sequence[ChatMessage],
    candidates: Sequence[str],
    policy: Agent,
    window: int = 2,
    samples: int = 3,
    *,
    task_id: str | None = None,
    env_seed: int | None = None,
    common_random_numbers: bool = True,
    seed: int = 0,
    keep_futures: bool = False,
) -> list[MRResult]:
    """:func:`multiturn_aware_reward`, awaited: the same results, its futures on the caller's loop.

    Many calls gathered on one loop (the groups of a GRPO batch) run all their futures at once,
    bounded only by the endpoints' concurrency.
    """
    _check(policy, window, samples, env_id_or_env if isinstance(env_id_or_env, gym.Env) else None)
    if not candidates or not all(isinstance(c, str) for c in candidates):
        raise ConfigError("candidates must be a non-empty list of strings")
    base = await _at_conversation(env_id_or_env, conversation, task_id, env_seed)
    _check(policy, window, samples, base)
    state = base.snapshot()
    if state.done:
        raise ConfigError("the episode has ended: there is no next response to score")
    entropy = _state_entropy(state, seed)
    seeds = [
        [_derive(entropy, k) if common_random_numbers else _derive(entropy, k, c) for k in range(samples)]
        for c in range(len(candidates))
    ]
    return await _estimate(base, state, list(candidates), policy, window, seeds, keep_futures)


# -- helpers ------------------------------------------------------------------------------------


def _check(policy: Any, window: int, samples: int, env: gym.Env | None = None) -> None:
    if not callable(policy):
        raise ConfigError(f"policy must be callable as policy(messages) -> str, got {type(policy).__name__}")
    if isinstance(getattr(env, "unwrapped", None), CollabEnv):
        check_policy_family(policy, env)
    if not isinstance(window, int) or window < 0:
        raise ConfigError(f"window must be an int >= 0, got {window!r}")
    if not isinstance(samples, int) or samples < 1:
        raise ConfigError(f"samples must be an int >= 1, got {samples!r}")


async def _estimate(
    base: CollabEnv,
    state: EnvState,
    candidates: list[str],
    policy: Agent,
    window: int,
    seeds: list[list[int]],
    keep: bool,
) -> list[MRResult]:
    """MR of each candidate: its futures from ``state`` (before the user's reply), all at once.

    Each future runs free (:func:`collab_env.rollout.play_future`) and is scored as soon as it
    ends. A lost future is played once more with a fresh user seed; one lost twice is left out.
    """
    stateful = callable(getattr(policy, "reset", None))

    def future(user_seed: int, k: int) -> Future:
        agent = copy.deepcopy(policy) if stateful else policy
        return Future(base.branch(user_seed=user_seed, state=state), agent, sample_index=k,
                      seed=_derive(user_seed, 1) % 2**31)  # fmt: skip

    used = [list(candidate_seeds) for candidate_seeds in seeds]

    async def chain(c: int, k: int) -> tuple[Future, dict[str, Any] | None]:
        played = future(used[c][k], k)
        await play_future(played, candidates[c], window)
        if played.error:  # played once more with a fresh user seed
            retry_seed = _derive(used[c][k], 2)
            again = future(retry_seed, k)
            await play_future(again, candidates[c], window)
            again.error = f"{played.error}; retried: {again.error}" if again.error else None
            played, used[c][k] = again, retry_seed
        return played, None if played.error else await _score(played, window)

    chains = await gather([chain(c, k) for c in range(len(seeds)) for k in range(len(seeds[c]))])
    per = len(seeds[0]) if seeds else 0
    results = []
    for c in range(len(seeds)):
        mine = chains[c * per : (c + 1) * per]
        kept = [k for k, (_, score) in enumerate(mine) if score is not None]
        scores = [mine[k][1]["total"] for k in kept]  # type: ignore[index]
        errors = [f.error for f, _ in mine if f.error]
        results.append(
            MRResult(
                mean=statistics.fmean(scores) if scores else None,
                std=statistics.pstdev(scores) if len(scores) > 1 else 0.0,
                scores=scores,
                lengths=[len(mine[k][0].env.state.messages) for k in kept],
                user_seeds=used[c],
                window=window,
                breakdowns=[mine[k][1] for k in kept],  # type: ignore[misc]
                usage=_usage_delta(state.user_state, [f.env.state.user_state for f, _ in mine]),
                futures=[mine[k][0].env.messages for k in kept] if keep else [],
                lost=len(errors),
                errors=errors,  # type: ignore[arg-type]
                kept=kept,
            )
        )
    return results


def final_state_reward(future: Future, window: int = 1) -> dict[str, Any]:
    """R* of a future's final state, with every part (``RewardBreakdown.as_dict``).

    A future that ended (the user ended the chat, or ``max_turns``) is scored as the episode
    would be. One that its window cut is scored as if the assistant delivered then: when its
    last assistant turn proposes nothing, the family's public drafter (which reads the
    conversation only) writes the solution from what the conversation revealed, and R* is that
    of the conversation with it appended; its tokens are not charged. So a question whose answer
    the window leaves no turn to use is worth what the answer makes possible, and a policy that
    never proposes earns no more than its questions make the drafter's solution worth, less
    the questions that revealed nothing (``breakdown["final_state"]`` says which was done).
    At ``window=0``, the myopic reward, the response is scored as it stands after the reply:
    nothing is drafted.
    """
    branch = future.env
    state = branch.state
    completion = None
    if not future.done and window >= 1:
        last = next((m["content"] for m in reversed(state.messages) if m["role"] == "assistant"), "")
        if branch.task.extract_solution(last) is None:
            completion = branch.task.drafter.draft(state.messages)
    breakdown = conversation_reward(
        branch.task, state.instance, state.messages, branch.reward_config, branch.engagement_judge,
        branch.extractor, completion=completion,
    ).as_dict()  # fmt: skip
    breakdown["final_state"] = "ended" if future.done else ("drafted" if completion else "proposed")
    return breakdown


async def _score(future: Future, window: int) -> dict[str, Any]:
    """R* breakdown of a future's final state; a model-backed judge or extractor is asked in a thread."""
    branch = future.env
    judged_by_model = is_model_backed(branch.engagement_judge) or is_model_backed(branch.extractor)
    if judged_by_model:
        owner = branch.engagement_judge if is_model_backed(branch.engagement_judge) else branch.extractor
        return await in_thread(owner, final_state_reward, future, window)
    return final_state_reward(future, window)


def _usage_delta(before: Any, after: list[Any]) -> dict[str, float]:
    """Model usage the futures' user simulators added, from their per-episode counters."""
    totals: dict[str, float] = {}
    for state in after:
        for name in USAGE_FIELDS:
            if isinstance(getattr(state, name, None), int | float):
                totals[name] = totals.get(name, 0) + getattr(state, name) - getattr(before, name, 0)
    return totals


def _add_usage(user_state: Any, usage: dict[str, float], user_info: dict[str, Any] | None) -> None:
    """Count the futures' usage in the real episode's user counters (and in this step's info)."""
    for name, value in usage.items():
        if isinstance(getattr(user_state, name, None), int | float):
            setattr(user_state, name, getattr(user_state, name) + value)
            if user_info is not None and name in user_info:
                user_info[name] = getattr(user_state, name)


async def _at_conversation(env_id_or_env, conversation, task_id, env_seed) -> CollabEnv:
    if isinstance(env_id_or_env, gym.Env):
        base = env_id_or_env.unwrapped
        if base.messages != list(conversation):
            raise ConfigError(
                "the env's current conversation differs from `conversation`; pass the env at that state"
            )
        return base
    if task_id is None:
        raise ConfigError(
            "with an env id, pass task_id (and env_seed) to say which episode the conversation is"
        )
    config = env_id_or_env if isinstance(env_id_or_env, EnvConfig) else EnvConfig(env_id_or_env)
    base = config.make().unwrapped
    obs, _ = await base.reset_async(seed=env_seed, options={"task_id": task_id})
    if isinstance(base.user, LLMUser):
        # A model-backed user keeps no hidden state beyond the messages: adopt the conversation
        # instead of replaying it (which would cost a call per turn and give other replies).
        return _adopt(base, conversation)
    for message in conversation[1:]:
        if message["role"] == "assistant":
            obs, *_ = await base.step_async(message["content"])
    if obs != list(conversation):
        raise ConfigError(
            f"replaying the conversation on {config.env_id} ({task_id}, seed {env_seed}) gives different user "
            "replies; pass the env itself at that state"
        )
    return base


def _adopt(base: CollabEnv, conversation: Sequence[ChatMessage]) -> CollabEnv:
    state = base.state
    if not conversation or conversation[0]["content"] != state.messages[0]["content"]:
        raise ConfigError(f"the conversation does not open with {state.instance.task_id}'s opening request")
    state.messages = [dict(m) for m in conversation]  # type: ignore[misc]
    state.turn = sum(m["role"] == "assistant" for m in conversation)
    return base


def _state_entropy(state: EnvState, seed: int, action: str | None = None) -> int:
    """Entropy from the episode (task, conversation, generator states): same state, same seeds."""
    messages = state.messages + ([{"role": "assistant", "content": action}] if action is not None else [])
    text = repr((seed, state.instance.task_id, messages, state.np_random_state))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")


def _derive(*words: int) -> int:
    return int(np.random.SeedSequence(list(words)).generate_state(1, np.uint64)[0])
