"""The multiturn-aware reward (MR): the value of a response is the R* of the conversations it leads to.

After the real step at turn j, :class:`MultiturnAwareReward` branches ``samples`` simulated
futures from the environment's state. Each runs at most ``window`` further assistant turns with
``policy`` against a copy of the user simulator with its own generator, stops when the user
ends the chat, and is scored with R*. The step pays the mean. The real episode is never
touched: every future runs in :meth:`CollabEnv.branch`, an independent copy.
"""

from __future__ import annotations

import copy
import hashlib
import statistics
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np

from collab_env.env import CollabEnv
from collab_env.errors import ConfigError, ModelCallError
from collab_env.executors import Executor, make_executor
from collab_env.types import ChatMessage

Policy = Callable[[Sequence[ChatMessage]], str]


@dataclass(frozen=True)
class MRResult:
    """MR of one response.

    Attributes:
        mean: The multiturn-aware reward: mean R* over the samples.
        std: Standard deviation of the samples' R* (0 with one sample).
        scores: R* of each simulated future.
        lengths: Messages in each simulated conversation (the real part included).
        user_seeds: The user simulator seed of each future (for reproduction).
        window: Assistant turns simulated at most, after the response.
        futures: The simulated conversations, when kept.
    """

    mean: float
    std: float
    scores: list[float]
    lengths: list[int]
    user_seeds: list[int]
    window: int
    futures: list[list[ChatMessage]] = field(default_factory=list)

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
        window: Assistant turns simulated after the response (0: myopic reward, the R* of the
            conversation as it stands after the user's reply).
        samples: Futures per turn; their mean R* is paid.
        executor: Where futures run (see :func:`collab_env.executors.make_executor`); by
            default serially, or in ``policy.concurrency`` threads when the policy declares it.
        seed: Extra entropy for the futures' user seeds.
        keep_futures: Put the simulated conversations in ``info["mr_futures"]``.

    ``info["mr"]`` holds the mean, the per-sample R*, their standard deviation, the simulated
    conversations' lengths and the user seeds. If a model call inside a future fails after its
    retries, the step ends the episode with ``truncated=True`` and ``info["error"]`` (lost, not
    scored), as the base env does for the real user.
    """

    def __init__(
        self,
        env: gym.Env,
        policy: Policy,
        window: int = 2,
        samples: int = 3,
        executor: Executor | str | None = None,
        seed: int = 0,
        keep_futures: bool = False,
    ) -> None:
        super().__init__(env)
        _check(policy, window, samples)
        if not isinstance(env.unwrapped, CollabEnv):
            raise ConfigError(f"MultiturnAwareReward wraps a CollabEnv, got {type(env.unwrapped).__name__}")
        self.policy, self.window, self.samples, self.seed = policy, window, samples, seed
        self.executor = make_executor(executor, getattr(policy, "concurrency", 1))
        self.keep_futures = keep_futures

    def step(self, action: str) -> tuple[list, float, bool, bool, dict]:
        """Take the real step, then pay the MR of ``action``."""
        obs, reward, terminated, truncated, info = self.env.step(action)
        if "error" in info:
            return obs, reward, terminated, truncated, info
        base = self.env.unwrapped
        try:
            result = _estimate(
                base, None, self.policy, self.window, self.samples, self.executor, self._seeds(base)
            )
        except ModelCallError as exc:
            info["error"] = f"MR future failed: {exc}"
            return obs, 0.0, terminated, True, info
        info["mr"] = result.as_dict()
        if self.keep_futures:
            info["mr_futures"] = result.futures
        return obs, result.mean, terminated, truncated, info

    def _seeds(self, base: CollabEnv) -> list[int]:
        entropy = _state_entropy(base, self.seed)
        return [_derive(entropy, k) for k in range(self.samples)]


def multiturn_aware_reward(
    env_id_or_env: str | gym.Env,
    conversation: Sequence[ChatMessage],
    candidates: Sequence[str],
    policy: Policy,
    window: int = 2,
    samples: int = 3,
    *,
    task_id: str | None = None,
    env_seed: int | None = None,
    executor: Executor | str | None = None,
    common_random_numbers: bool = True,
    seed: int = 0,
    keep_futures: bool = False,
) -> list[MRResult]:
    """Score candidate responses to one conversation by MR (how the paper ranks responses).

    Args:
        env_id_or_env: An env whose current episode is at ``conversation``, or an env id; with an
            id, ``task_id`` (and the ``env_seed`` the conversation was played with) say which
            episode, and the conversation's assistant turns are replayed to reach its state.
        conversation: The conversation so far, ending with a user message.
        candidates: Assistant responses to compare.
        policy: The agent that plays the future turns.
        window: Assistant turns simulated after each candidate.
        samples: Futures per candidate.
        task_id: With an env id, the task instance of the conversation.
        env_seed: With an env id, the seed of the episode.
        executor: Where the ``len(candidates) * samples`` futures run, all at once.
        common_random_numbers: Give every candidate's sample k the same user seed, so that
            differences between candidates are not drowned by simulator noise.
        seed: Extra entropy for the user seeds.
        keep_futures: Keep the simulated conversations in each result.

    Returns:
        One :class:`MRResult` per candidate, in order.

    Raises:
        ConfigError: for bad arguments, or a conversation that the env does not reproduce.
        ModelCallError: if a model call in a future fails after its retries.
    """
    _check(policy, window, samples)
    if not candidates or not all(isinstance(c, str) for c in candidates):
        raise ConfigError("candidates must be a non-empty list of strings")
    base = _at_conversation(env_id_or_env, conversation, task_id, env_seed)
    executor = make_executor(executor, getattr(policy, "concurrency", 1))
    entropy = _state_entropy(base, seed)
    jobs = [
        (c, _derive(entropy, k) if common_random_numbers else _derive(entropy, k, c))
        for c in range(len(candidates))
        for k in range(samples)
    ]
    runs = executor.map(
        lambda job: _future(base, candidates[job[0]], policy, window, job[1], keep_futures), jobs
    )
    results = []
    for c in range(len(candidates)):
        mine = [(run, seed) for (cand, seed), run in zip(jobs, runs, strict=True) if cand == c]
        results.append(_summarise([r for r, _ in mine], [s for _, s in mine], window))
    return results


# -- helpers ------------------------------------------------------------------------------------


def _check(policy: Any, window: int, samples: int) -> None:
    if not callable(policy):
        raise ConfigError(f"policy must be callable as policy(messages) -> str, got {type(policy).__name__}")
    if not isinstance(window, int) or window < 0:
        raise ConfigError(f"window must be an int >= 0, got {window!r}")
    if not isinstance(samples, int) or samples < 1:
        raise ConfigError(f"samples must be an int >= 1, got {samples!r}")


def _estimate(base, candidate, policy, window, samples, executor, seeds) -> MRResult:
    state = base._require_state()
    if window == 0 or state.done:
        # Nothing to simulate: the myopic reward, R* of the conversation as it stands.
        total = base.conversation_reward().total
        return MRResult(total, 0.0, [total], [len(state.messages)], [], window, [base.messages])
    runs = executor.map(lambda s: _future(base, candidate, policy, window, s, True), seeds)
    return _summarise(runs, seeds, window)


def _future(base: CollabEnv, candidate: str | None, policy: Policy, window: int, user_seed: int, keep: bool):
    """One simulated future: (R*, length, transcript or None)."""
    branch = base.branch(user_seed=user_seed, score_every_step=False)
    agent = copy.deepcopy(policy) if callable(getattr(policy, "reset", None)) else policy
    done = branch._require_state().done
    if candidate is not None and not done:
        done = _advance(branch, candidate)
    for _ in range(window if not done else 0):
        if _advance(branch, agent(branch.messages)):
            break
    messages = branch.messages
    return branch.conversation_reward().total, len(messages), messages if keep else None


def _advance(branch: CollabEnv, action: str) -> bool:
    _, _, terminated, truncated, info = branch.step(action)
    if "error" in info:
        raise ModelCallError(info["error"])
    return terminated or truncated


def _summarise(runs, seeds: list[int], window: int) -> MRResult:
    scores = [float(r[0]) for r in runs]
    std = statistics.pstdev(scores) if len(scores) > 1 else 0.0
    futures = [r[2] for r in runs if r[2] is not None]
    return MRResult(statistics.fmean(scores), std, scores, [r[1] for r in runs], list(seeds), window, futures)


def _at_conversation(env_id_or_env, conversation, task_id, env_seed) -> CollabEnv:
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
    base = gym.make(env_id_or_env).unwrapped
    obs, _ = base.reset(seed=env_seed, options={"task_id": task_id})
    for message in conversation[1:]:
        if message["role"] == "assistant":
            obs, *_ = base.step(message["content"])
    if obs != list(conversation):
        raise ConfigError(
            f"replaying the conversation on {env_id_or_env} ({task_id}, seed {env_seed}) gives different user "
            "replies; pass the env itself at that state"
        )
    return base


def _state_entropy(base: CollabEnv, seed: int) -> int:
    """Entropy from the episode (task, conversation, generator states): same state, same seeds."""
    state = base._require_state()
    text = repr((seed, state.instance.task_id, state.messages, base.np_random.bit_generator.state))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")


def _derive(*words: int) -> int:
    return int(np.random.SeedSequence(list(words)).generate_state(1, np.uint64)[0])
