"""Rank an agent's candidate responses by the multiturn-aware reward, turn by turn.

This is how the paper builds its training data: at each assistant turn, sample K responses,
score each by MR (the R* of simulated futures that follow it, played by the same agent), and
continue the conversation with the best. ``collab-env rank`` shows it; ``collab-env synth``
writes it as SFT and preference data.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import gymnasium as gym

from collab_env.errors import ConfigError, ModelCallError
from collab_env.rollout import act_batch
from collab_env.types import Agent, ChatMessage
from collab_env.wrappers import MRResult, multiturn_aware_reward


@dataclass
class RankedTurn:
    """One assistant turn of a ranked episode.

    Attributes:
        turn: Index of the assistant turn (0 first).
        conversation: The conversation before the turn (ends with a user message).
        candidates: The distinct candidate responses, in sampling order.
        scores: The MR result of each candidate.
        best: Index of the highest-MR candidate (ties: the first), the one the episode continues with.
        worst: Index of the lowest-MR candidate.
    """

    turn: int
    conversation: list[ChatMessage]
    candidates: list[str]
    scores: list[MRResult]
    best: int
    worst: int

    @property
    def gap(self) -> float:
        """MR of the best candidate minus MR of the worst."""
        return self.scores[self.best].mean - self.scores[self.worst].mean

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (futures' transcripts included when they were kept)."""
        return {
            "turn": self.turn,
            "conversation": self.conversation,
            "candidates": [
                {"text": text, **score.as_dict(), "futures": score.futures}
                for text, score in zip(self.candidates, self.scores, strict=True)
            ],
            "best": self.best,
            "worst": self.worst,
            "gap": self.gap,
        }


def sample_candidates(agent: Agent, messages: Sequence[ChatMessage], k: int, seed: int = 0) -> list[str]:
    """``k`` responses of ``agent`` to ``messages``, deduplicated.

    Candidate i is the agent's sample ``i`` (``sample_index=i``, so a response cache keeps the
    k samples apart, and a seed derived from ``seed`` and i): one batch when the agent has
    ``act_batch``, else k calls (in the agent's ``concurrency`` threads).
    """
    if k < 1:
        raise ConfigError(f"candidates must be >= 1, got {k}")
    params = [{"sample_index": i, "seed": (seed * 1_000_003 + i) % 2**31} for i in range(k)]
    texts = act_batch([agent] * k, [messages] * k, params)
    return list(dict.fromkeys(texts))


def rank_episode(
    env: gym.Env,
    agent: Agent,
    candidates: int = 4,
    window: int = 2,
    samples: int = 2,
    *,
    seed: int | None = None,
    task_id: str | None = None,
    keep_futures: bool = False,
) -> Iterator[RankedTurn]:
    """Play one episode, ranking ``candidates`` responses of ``agent`` by MR at every turn.

    The agent also plays the simulated futures. Candidates share their futures' user seeds
    (common random numbers), so their differences are not simulator noise.

    Args:
        env: A collaboration environment (its base ``CollabEnv`` is stepped).
        agent: Samples the candidates; it should sample (temperature > 0) to give distinct ones.
        candidates: Responses sampled per turn (duplicates are scored once).
        window: MR's simulated assistant turns after each candidate.
        samples: MR's futures per candidate.
        seed: Seed of the episode.
        task_id: Play this task instance.
        keep_futures: Keep the simulated conversations in the scores.

    Yields:
        One :class:`RankedTurn` per assistant turn, after the best candidate was played.
    """
    base = env.unwrapped
    obs, _ = base.reset(seed=seed, options={"task_id": task_id} if task_id else None)
    for turn in range(base.max_turns):
        texts = sample_candidates(agent, obs, candidates, seed=(seed or 0) * 100 + turn)
        scores = multiturn_aware_reward(
            base, obs, texts, agent, window, samples, seed=seed or 0, keep_futures=keep_futures
        )
        means = [s.mean for s in scores]
        best, worst = means.index(max(means)), means.index(min(means))
        ranked = RankedTurn(turn, list(obs), texts, scores, best, worst)
        obs, _, terminated, truncated, info = base.step(texts[best])
        yield ranked
        if "error" in info:
            raise ModelCallError(f"the episode failed at turn {turn}: {info['error']}")
        if terminated or truncated:
            return
