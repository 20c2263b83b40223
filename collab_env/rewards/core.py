"""The conversation-level reward R* and its parts.

``R* = w_ext · R_ext − min(λ · k, cap) + w_eng · R_eng``, where R_ext is the task metric of the
final solution, k the assistant's tokens in thousands (cl100k_base, exact) and R_eng an
interactivity score in [0, 1]. λ defaults to 0.1 per thousand tokens: the token weight of verl's
CollabLLM recipe (−0.0001 per token), the one public setting we could trace.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from collab_env.errors import ConfigError
from collab_env.facets import MAX_CREDITED_QUESTIONS, questions, stems
from collab_env.tokens import ENCODING, count_tokens
from collab_env.types import ChatMessage, TaskInstance

if TYPE_CHECKING:
    from collab_env.task import Task


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
    """Offline interactivity score, read from the conversation alone (never the hidden goal).

    It scores what the user could observe: each question sentence of an assistant message (the
    first ``MAX_CREDITED_QUESTIONS`` of it) is judged by the user's next reply. A reply sentence
    that brings content words the user had not said before *answers* a question with new
    information; one that says the question was already answered ("as I said") marks it
    *redundant*; one that says it was unclear or unanswerable ("not sure what you mean",
    "whatever you think") marks it *vague*; a pending reply ("I haven't decided yet") and
    pleasantries count for nothing. Questions past the cap are *excess*. A reply to a proposed
    solution that brings new information (a correction: "That's not quite it. It's for new
    employees.") is a question the assistant *missed*: the user had to volunteer what it should
    have asked. ``R_eng = answered / (answered + redundant + vague + excess + missed)``, in
    [0, 1]: the share of what the assistant learned that it learned by asking well. A
    conversation with no question, and one in which the assistant never proposed a solution,
    score 0: asking every turn and never delivering earns nothing, one easy question before a
    guess earns no more than the corrections that follow allow, and ten questions in one message
    score no more than the three the user answers.
    """

    name = "heuristic"
    #: Cheap enough to score every step (an LLM judge scores once, at the end).
    per_step = True

    def __call__(
        self, task: Task, instance: TaskInstance, messages: Sequence[ChatMessage]
    ) -> tuple[float, dict[str, Any]]:
        """Score ``messages``; see the class docstring. ``instance`` is not read."""
        counts = dict.fromkeys(("answered", "redundant", "vague", "excess", "missed"), 0)
        said: set[str] = set()
        asked: list[str] = []
        proposal = False
        for message in messages:
            if message["role"] == "assistant":
                asked = questions(message["content"])
                counts["excess"] += max(0, len(asked) - MAX_CREDITED_QUESTIONS)
                asked = asked[:MAX_CREDITED_QUESTIONS]
                proposal = task.extract_solution(message["content"]) is not None
                continue
            reaction = _user_reaction(message["content"], said)
            answered = min(len(asked), reaction["answered"])
            redundant = min(len(asked) - answered, reaction["redundant"])
            vague = min(len(asked) - answered - redundant, reaction["vague"])
            missed = int(proposal and reaction["answered"] > answered)
            for key, value in (
                ("answered", answered),
                ("redundant", redundant),
                ("vague", vague),
                ("missed", missed),
            ):
                counts[key] += value
            said |= _content_stems(message["content"])
            asked, proposal = [], False
        proposed = task.final_solution(messages) is not None
        judged = sum(counts.values())
        score = counts["answered"] / judged if judged and proposed else 0.0
        return score, {**counts, "solution_proposed": proposed}


#: What a user says of a question that repeats what it was told.
_REDUNDANT = re.compile(r"\b(as i (said|mentioned)|i (already|just) (said|told|mentioned)|i told you)\b")
#: What a user says of a question it cannot make sense of or answer.
_VAGUE = re.compile(
    r"\b(not sure what you mean|what do you mean|whatever you think|"
    r"(don't|do not) (really )?know|just make it work)\b"
)
#: A reply that defers the answer: neither credit nor blame for the question.
_PENDING = re.compile(
    r"\b(haven't decided|have not decided|let me think|(don't|do not) know yet|not sure yet|"
    r"a lot of questions)\b"
)
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")
#: Function words and pleasantries that carry no information about the task.
_STOP = frozenset(
    stems(
        "the a an and or but if of to in on at by for with from into about as is are was were be been "
        "it its it's this that that's these those there here they them their then than so too very "
        "i i'm i've me my we our you you're your he she his her what which who whom how when where "
        "why yes no not do does did done have has had will would should could can may might must "
        "just also only some any all one more most much many well okay ok sure thing hmm oh hi "
        "hello good great fine nice question thank thanks hope help make sense check forgot say "
        "said right let think know want need like please really quite exactly yet perfect work going "
        "anywhere stop i'll don't never mind figure out myself terminate chat"
    )
)


def _content_stems(text: str) -> set[str]:
    """The stems of ``text`` that can carry information (numbers and non-function words)."""
    return {s for s in stems(text) if s not in _STOP and (len(s) >= 3 or s.isdigit())}


def _user_reaction(text: str, said: set[str]) -> dict[str, int]:
    """Count the sentences of a user reply that inform, call a question redundant, or vague.

    Args:
        text: The user's reply.
        said: Content stems of the user's earlier messages (what is not new information).

    Returns:
        Sentences per reaction: ``answered`` (new content), ``redundant`` and ``vague``.
    """
    counts = {"answered": 0, "redundant": 0, "vague": 0}
    for sentence in _SENTENCE.split(text.replace("\u2019", "'")):
        low = sentence.lower()
        if _PENDING.search(low):
            continue
        if _REDUNDANT.search(low):
            counts["redundant"] += 1
        elif _VAGUE.search(low):
            counts["vague"] += 1
        elif _content_stems(sentence) - said:
            counts["answered"] += 1
    return counts


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
