"""The conversation-level reward R* and its parts.

``R* = w_ext · R_ext − min(λ · k, cap) + w_eng · R_eng``, where R_ext is the task metric of the
final solution, k the assistant's tokens in thousands (cl100k_base, exact) and R_eng an
interactivity score in [0, 1]. λ defaults to 0.1 per thousand tokens: the token weight of verl's
CollabLLM recipe (−0.0001 per token), the one public setting we could trace.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from collab_env.errors import ConfigError
from collab_env.facets import MAX_CREDITED_QUESTIONS
from collab_env.rewards.engagement import (
    GENERIC_STEMS,
    IGNORED_COST,
    EngagementTally,
    HeuristicEngagement,
    content_stems,
    facts,
    informative_sentences,
)
from collab_env.task import Task
from collab_env.tokens import ENCODING, count_tokens
from collab_env.types import ChatMessage, TaskInstance

#: Names that moved to :mod:`collab_env.rewards.engagement`, importable from here as before.
__all__ = [
    "GENERIC_STEMS",
    "IGNORED_COST",
    "MAX_CREDITED_QUESTIONS",
    "ConversationTally",
    "EngagementJudge",
    "HeuristicEngagement",
    "RewardBreakdown",
    "RewardConfig",
    "assistant_tokens",
    "content_stems",
    "conversation_reward",
    "facts",
    "informative_sentences",
]


@dataclass(frozen=True)
class RewardConfig:
    """Weights of R*.

    Attributes:
        w_ext: Weight of the task metric R_ext.
        w_eng: Weight of the engagement score R_eng.
        token_penalty: λ, the penalty per thousand assistant tokens.
        penalty_cap: Largest token penalty (the paper caps it at 1).
    """

    w_ext: float = 1.0
    w_eng: float = 1.0
    token_penalty: float = 0.1
    penalty_cap: float = 1.0

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                raise ConfigError(f"RewardConfig.{name} must be a finite number >= 0, got {value!r}")


@dataclass(frozen=True)
class RewardBreakdown:
    """R* and every part it was computed from (what ``info["reward"]`` carries).

    Attributes:
        total: R*.
        task_metric: R_ext, in [0, 1] (0 when no solution was proposed).
        token_penalty: min(λ · k, cap), subtracted.
        engagement: R_eng, in [−IGNORED_COST, 1]; ``None`` while a model-backed judge has not judged yet
            (steps before the last of an episode with an LLM judge).
        assistant_tokens: Assistant tokens counted (cl100k_base); user tokens are not counted.
        engagement_judge: Which judge produced R_eng (``"heuristic"`` offline).
        engagement_details: The judge's evidence (questions credited, redundant...).
        solution_found: Whether a solution was found in the conversation.
        config: The weights used.
    """

    total: float
    task_metric: float
    token_penalty: float
    engagement: float | None
    assistant_tokens: int
    engagement_judge: str
    engagement_details: dict[str, Any] = field(default_factory=dict)
    solution_found: bool = False
    config: RewardConfig = field(default_factory=RewardConfig)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, with the token encoding named."""
        out = asdict(self)
        out["token_encoding"] = ENCODING
        out["engagement_judged"] = self.engagement is not None
        return out


class EngagementJudge(Protocol):
    """Scores the assistant's engagement in a conversation, in [−IGNORED_COST, 1]."""

    name: str

    def __call__(
        self, task: Task, instance: TaskInstance, messages: Sequence[ChatMessage]
    ) -> tuple[float, dict[str, Any]]:
        """Return the score and the evidence behind it."""


class ConversationTally:
    """What R* reads from one conversation, read one message at a time.

    It keeps the assistant's tokens, the last solution proposed and the heuristic's
    :class:`~collab_env.rewards.engagement.EngagementTally`, so that each step of an episode
    reads only the messages added since the previous step (R* then costs the same at turn 20
    as at turn 1) and reports exactly what a full read of the conversation reports. A tally
    belongs to one conversation (the list it was made for) and one task: an episode keeps its
    own and never shares it. When messages it has read are no longer there (the list was cut, a
    message replaced), it reads the conversation again from the start.

    Args:
        task: The task family (solution extraction).
        messages: The conversation: a list that grows by appending.
    """

    def __init__(self, task: Task, messages: Sequence[ChatMessage]) -> None:
        self.task, self.messages = task, messages
        self._restart()

    def _restart(self) -> None:
        self._read: list[str] = []  # the contents read, to check that they are still there
        self.tokens = 0
        self.engagement = EngagementTally()
        self._solution: str | None = None

    def reads(self, task: Task, messages: Sequence[ChatMessage]) -> bool:
        """Whether this is the tally of ``messages`` (this very list) under ``task``."""
        return task is self.task and messages is self.messages

    def update(self) -> None:
        """Read the messages added since the last update (all of them when read ones changed)."""
        read = len(self._read)
        contents = (m["content"] for m in self.messages[:read])
        if len(self.messages) < read or not all(map(operator.is_, contents, self._read)):
            self._restart()
        for message in self.messages[len(self._read) :]:
            text, proposes = message["content"], False
            if message["role"] == "assistant":
                self.tokens += count_tokens(text)
                solution = self.task.extract_solution(text)
                proposes = solution is not None
                self._solution = solution if proposes else self._solution
            self.engagement.read(message, proposes)
            self._read.append(text)

    def final_solution(self) -> str | None:
        """The last solution the assistant proposed (``task.final_solution`` of the conversation)."""
        if type(self.task).final_solution is not Task.final_solution:  # the family's own rule
            return self.task.final_solution(self.messages)
        return self._solution


def assistant_tokens(messages: Sequence[ChatMessage]) -> int:
    """Tokens the assistant wrote in ``messages`` (cl100k_base)."""
    return sum(count_tokens(m["content"]) for m in messages if m["role"] == "assistant")


def _tallied(
    task: Task, messages: Sequence[ChatMessage], completion: str | None, tally: ConversationTally | None
) -> tuple[Sequence[ChatMessage], ConversationTally, int]:
    """The conversation as scored, its tally brought up to date, and the assistant tokens charged.

    A ``completion`` is appended as the assistant's last turn, its tokens not charged, and the
    conversation is then read in full (``tally`` never read it).

    Raises:
        ValueError: if ``tally`` was made for another conversation or task.
    """
    if completion is not None:
        messages, tally = [*messages, {"role": "assistant", "content": completion}], None
    if tally is None:
        tally = ConversationTally(task, messages)
    elif not tally.reads(task, messages):
        raise ValueError("tally was made for another conversation or task; pass that conversation's own")
    tally.update()
    tokens = tally.tokens - (count_tokens(completion) if completion is not None else 0)
    return messages, tally, tokens


def _engagement(
    judge: EngagementJudge,
    task: Task,
    instance: TaskInstance,
    messages: Sequence[ChatMessage],
    tally: ConversationTally,
    pending: bool,
) -> tuple[float | None, dict[str, Any]]:
    """The judge's score and details; ``None`` while a judge that reads once, at the end, is pending."""
    if pending and not getattr(judge, "per_step", True):
        return None, {"pending": "judged once, at the end of the episode"}
    if type(judge) is HeuristicEngagement:  # the tally holds its reading (a subclass reads in full)
        return tally.engagement.score(tally.final_solution() is not None)
    return judge(task, instance, messages)


def conversation_reward(
    task: Task,
    instance: TaskInstance,
    messages: Sequence[ChatMessage],
    config: RewardConfig | None = None,
    judge: EngagementJudge | None = None,
    extractor: Callable[[Task, Sequence[ChatMessage]], str | None] | None = None,
    pending: bool = False,
    completion: str | None = None,
    tally: ConversationTally | None = None,
) -> RewardBreakdown:
    """R* of a conversation, with its parts.

    Args:
        task: The task family (solution extraction and metric).
        instance: The task instance (hidden goal) the conversation is about.
        messages: The conversation.
        config: Weights; defaults to :class:`RewardConfig()`.
        judge: Engagement judge; defaults to :class:`HeuristicEngagement`.
        extractor: Pulls the final solution out of the conversation (an LLM step); defaults to
            the family's heuristic ``task.final_solution``.
        pending: Leave out the parts that need a model call (a judge or an extractor without
            ``per_step``): they are marked not yet judged (``engagement=None``,
            ``engagement_judged=False``) and ``total`` is computed without them. Offline parts
            are always computed (the family's extractor stands in for a model extractor).
        completion: A solution appended as the assistant's last turn before scoring, its tokens
            not charged: how MR scores a future that its window cut before a proposal
            (:func:`collab_env.wrappers.mr.final_state_reward`).
        tally: The :class:`ConversationTally` of ``messages`` from the previous calls (an
            episode's steps), so that only the messages added since are read; without one (or
            with a ``completion``, which it never read) the conversation is read in full. The
            result is the same.

    Returns:
        The breakdown; ``total`` is R*.

    Raises:
        ValueError: if ``tally`` was made for another conversation or task.
    """
    config = config or RewardConfig()
    judge = judge or HeuristicEngagement()
    messages, tally, tokens = _tallied(task, messages, completion, tally)
    solution = extractor(task, messages) if extractor is not None and not pending else tally.final_solution()
    metric = task.score(instance, solution) if solution is not None else 0.0
    penalty = min(config.token_penalty * tokens / 1000, config.penalty_cap)
    engagement, details = _engagement(judge, task, instance, messages, tally, pending)
    total = config.w_ext * metric - penalty + config.w_eng * (engagement or 0.0)
    return RewardBreakdown(
        total=total,
        task_metric=metric,
        token_penalty=penalty,
        engagement=engagement,
        assistant_tokens=tokens,
        engagement_judge=judge.name,
        engagement_details=details,
        solution_found=solution is not None,
        config=config,
    )
