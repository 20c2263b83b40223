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

from collab_env.aio import act, gather, run_sync
from collab_env.errors import ConfigError, ModelCallError
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
        best: Index of the highest-MR candidate (ties: the first), the one the episode continues
            with; ``None`` when every candidate's futures were lost (the turn is lost: the episode
            continues with the first candidate, and no example comes from it).
        worst: Index of the lowest-MR candidate among those not lost (``None`` when all were).
    """

    turn: int
    conversation: list[ChatMessage]
    candidates: list[str]
    scores: list[MRResult]
    best: int | None
    worst: int | None

    @property
    def lost(self) -> bool:
        """Whether every candidate's futures were lost (no MR to rank by)."""
        return self.best is None

    @property
    def gap(self) -> float:
        """MR of the best candidate minus MR of the worst (0 for a lost turn)."""
        if self.best is None or self.worst is None:
            return 0.0
        return self.scores[self.best].mean - self.scores[self.worst].mean  # type: ignore[operator]

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
            "lost": self.lost,
        }


def sample_candidates(agent: Agent, messages: Sequence[ChatMessage], k: int, seed: int = 0) -> list[str]:
    """``k`` responses of ``agent`` to ``messages``, deduplicated.

    Candidate i is the agent's sample ``i`` (``sample_index=i``, so a response cache keeps the
    k samples apart, and a seed derived from ``seed`` and i), all k asked at once on the async
    core (:func:`collab_env.aio.act`: the agent's ``act_async``, or one ``act_batch``, or k
    calls in place for a scripted agent).
    """
    if k < 1:
        raise ConfigError(f"candidates must be >= 1, got {k}")
    params = [{"sample_index": i, "seed": (seed * 1_000_003 + i) % 2**31} for i in range(k)]
    texts = run_sync(gather([act(agent, messages, p) for p in params]))
    return list(dict.fromkeys(texts))


def identical_candidates(turns: Sequence[RankedTurn], asked: int) -> str:
    """A warning when turns had nothing to rank: all ``asked`` candidates the same response.

    Returns:
        One line, or ``""`` when every turn had distinct candidates (or one was asked for).

    >>> t = RankedTurn(0, [], ["same"], [], 0, 0)
    >>> identical_candidates([t, t], asked=4)
    '2 of 2 turns had identical candidates: the 4 samples were one response, so there was nothing to rank (the agent is deterministic: raise --temperature, or use a model agent)'
    """
    same = sum(len(t.candidates) == 1 for t in turns) if asked > 1 else 0
    if not same:
        return ""
    return (
        f"{same} of {len(turns)} turns had identical candidates: the {asked} samples were one "
        "response, so there was nothing to rank (the agent is deterministic: raise --temperature, "
        "or use a model agent)"
    )


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
        One :class:`RankedTurn` per assistant turn, after the best candidate was played. A
        candidate whose futures were all lost is not ranked; a turn whose candidates all were
        is yielded as lost (:attr:`RankedTurn.lost`), and the episode goes on.
    """
    base = env.unwrapped
    obs, _ = base.reset(seed=seed, options={"task_id": task_id} if task_id else None)
    for turn in range(base.max_turns):
        texts = sample_candidates(agent, obs, candidates, seed=(seed or 0) * 100 + turn)
        scores = multiturn_aware_reward(
            base, obs, texts, agent, window, samples, seed=seed or 0, keep_futures=keep_futures
        )
        scored = [i for i, s in enumerate(scores) if not s.is_lost]  # a lost candidate is not ranked
        best = max(scored, key=lambda i: scores[i].mean, default=None)  # first of ties
        worst = min(scored, key=lambda i: scores[i].mean, default=None)
        ranked = RankedTurn(turn, list(obs), texts, scores, best, worst)
        obs, _, terminated, truncated, info = base.step(texts[best if best is not None else 0])
        yield ranked
        if "error" in info:
            raise ModelCallError(f"the episode failed at turn {turn}: {info['error']}")
        if terminated or truncated:
            return
