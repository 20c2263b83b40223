"""The conversation-level reward R* and its parts.

``R* = w_ext · R_ext − min(λ · k, cap) + w_eng · R_eng``, where R_ext is the task metric of the
final solution, k the assistant's tokens in thousands (cl100k_base, exact) and R_eng an
interactivity score in [0, 1]. λ defaults to 0.1 per thousand tokens: the token weight of verl's
CollabLLM recipe (−0.0001 per token), the one public setting we could trace.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from collab_env.errors import ConfigError
from collab_env.facets import match_facets, questions
from collab_env.tokens import ENCODING, count_tokens
from collab_env.types import ChatMessage, TaskInstance

if TYPE_CHECKING:
    from collab_env.task import Task

#: Questions beyond this many in one message are not credited (and count as redundant).
MAX_CREDITED_QUESTIONS = 3


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
        engagement: R_eng, in [0, 1]; ``None`` while a model-backed judge has not judged yet
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
    """Scores the assistant's engagement in a conversation, in [0, 1]."""

    name: str

    def __call__(
        self, task: Task, instance: TaskInstance, messages: Sequence[ChatMessage]
    ) -> tuple[float, dict[str, Any]]:
        """Return the score and the evidence behind it."""


class HeuristicEngagement:
    """Offline interactivity score: the share of hidden facets the assistant asked about.

    Each question sentence of each assistant message is matched to the instance's facets (the
    same matching the scripted user does). A question that hits a facet not yet mentioned in
    the conversation is *useful*; one that hits an already known facet, or nothing, is
    *redundant*; only the first ``MAX_CREDITED_QUESTIONS`` questions of a message are credited.
    ``R_eng = min(1, useful / hidden) − 0.1 · redundant``, clipped to [0, 1]; with no hidden
    facet, 1 minus the same penalty. A conversation without assistant turns scores 0.
    Ten questions in one message thus score no more than the facets they uncover.
    """

    name = "heuristic"
    #: Cheap enough to score every step (an LLM judge scores once, at the end).
    per_step = True

    def __call__(
        self, task: Task, instance: TaskInstance, messages: Sequence[ChatMessage]
    ) -> tuple[float, dict[str, Any]]:
        """Score ``messages``; see the class docstring."""
        if not any(m["role"] == "assistant" for m in messages):
            return 0.0, {"useful": 0, "redundant": 0, "hidden": len(instance.hidden_facets)}
        known = {f.name for f in instance.facets if f.in_opening}
        useful: list[str] = []
        redundant = 0
        for message in messages:
            if message["role"] == "user":
                low = message["content"].lower()
                known |= {f.name for f in instance.facets if f.statement.lower() in low}
                continue
            asked = questions(message["content"])
            redundant += max(0, len(asked) - MAX_CREDITED_QUESTIONS)
            for question in asked[:MAX_CREDITED_QUESTIONS]:
                fresh = [
                    f
                    for f in match_facets(question, instance.facets, task.facet_kinds)
                    if f.name not in known
                ]
                if fresh:
                    useful.append(fresh[0].name)
                    known.add(fresh[0].name)
                else:
                    redundant += 1
        hidden = len(instance.hidden_facets)
        coverage = min(1.0, len(useful) / hidden) if hidden else 1.0
        score = min(1.0, max(0.0, coverage - 0.1 * redundant))
        return score, {"useful": useful, "redundant": redundant, "hidden": hidden}


def assistant_tokens(messages: Sequence[ChatMessage]) -> int:
    """Tokens the assistant wrote in ``messages`` (cl100k_base)."""
    return sum(count_tokens(m["content"]) for m in messages if m["role"] == "assistant")


def conversation_reward(
    task: Task,
    instance: TaskInstance,
    messages: Sequence[ChatMessage],
    config: RewardConfig | None = None,
    judge: EngagementJudge | None = None,
    extractor: Callable[[Task, Sequence[ChatMessage]], str | None] | None = None,
    pending: bool = False,
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

    Returns:
        The breakdown; ``total`` is R*.
    """
    config = config or RewardConfig()
    judge = judge or HeuristicEngagement()
    if extractor is not None and not pending:
        solution = extractor(task, messages)
    else:
        solution = task.final_solution(messages)
    metric = task.score(instance, solution) if solution is not None else 0.0
    tokens = assistant_tokens(messages)
    penalty = min(config.token_penalty * tokens / 1000, config.penalty_cap)
    if pending and not getattr(judge, "per_step", True):
        engagement, details = None, {"pending": "judged once, at the end of the episode"}
    else:
        engagement, details = judge(task, instance, messages)
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
