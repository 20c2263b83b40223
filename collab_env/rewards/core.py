"""The conversation-level reward R* and its parts.

``R* = w_ext · R_ext − min(λ · k, cap) + w_eng · R_eng``, where R_ext is the task metric of the
final solution, k the assistant's tokens in thousands (cl100k_base, exact) and R_eng an
interactivity score in [0, 1]. λ defaults to 0.1 per thousand tokens: the token weight of verl's
CollabLLM recipe (−0.0001 per token), the one public setting we could trace.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from collab_env.errors import ConfigError
from collab_env.facets import MAX_CREDITED_QUESTIONS, questions, stems
from collab_env.tokens import ENCODING, count_tokens
from collab_env.types import TERMINATION_SIGNAL, ChatMessage, TaskInstance

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


#: What an answer the assistant ignored costs, in answered questions (R_eng's floor is its
#: negative). Asking and then proposing as if the answer had not been given is worse than not
#: asking: the user answered for nothing and had to say it again. Transcripts in which the
#: assistant's prior happened to match the answer read exactly like honest ones, so the cost
#: of the transcripts where it did not must outweigh their credit: with cost c, asking and then
#: ignoring gains engagement only when its prior is right more than c times in c + 1 (3 in 4
#: here), when the question was hardly needed. CollabQA's first reading is the intended one
#: in 3 of 4 test episodes.
IGNORED_COST = 3.0


class HeuristicEngagement:
    """Offline interactivity score, read from the conversation alone (never the hidden goal).

    A question earns credit only when it asks for something and the user's answer brings
    something the user had not stated. Each assistant message is read with the user's next
    reply:

    - a message that proposes a solution earns nothing for its questions ("Is this what you
      had in mind?"), and a reply to it that brings new information is a question the assistant
      *missed*: the user had to volunteer, as a correction, what it should have asked;
    - in a message without a solution, each question sentence (the first
      ``MAX_CREDITED_QUESTIONS``; more are *excess*) is *generic* when it names nothing beyond
      the words of any feedback question (:data:`GENERIC_WORDS`: "Anything else?", "Does this
      look right?"), else *answered* if the reply has a sentence of new information for it, else
      *unanswered*; a question whose content an earlier question of the same message had ("What
      colour? What colour should it be?") is *repeated*: judged, never credited, as a question
      asked again on a later turn earns nothing when the answer repeats itself.

    New information is a content word (a number, or a word outside the general English
    function and conversation words of :data:`FUNCTION_WORDS`) that no earlier user message,
    and no earlier sentence of the same reply, contained: "No clue honestly." and "Sounds good,
    thanks!" carry none, "It's for new employees." does, and a reply that says it twice ("It's
    red. As I said: it's red.") informs once. Nothing here depends on how a particular user simulator words its
    replies. An answer the user has to repeat after a solution ("That's not quite it. I mean
    Hana.", when it had said so) was *ignored*: its credit is withdrawn and it costs
    :data:`IGNORED_COST` answered questions, since asking and then ignoring the answer is worse
    than not asking.
    ``R_eng = (answered − IGNORED_COST · ignored) / (answered + unanswered + generic + excess +
    repeated + missed + ignored)``, in [−IGNORED_COST, 1]; a conversation with no question judged, and one
    in which the assistant never proposed a solution, score 0: asking every turn and never
    delivering earns nothing.
    """

    name = "heuristic"
    #: Cheap enough to score every step (an LLM judge scores once, at the end).
    per_step = True

    def __call__(
        self, task: Task, instance: TaskInstance, messages: Sequence[ChatMessage]
    ) -> tuple[float, dict[str, Any]]:
        """Score ``messages``; see the class docstring. ``instance`` is not read."""
        counts = dict.fromkeys(
            ("answered", "unanswered", "generic", "excess", "repeated", "missed", "ignored"), 0
        )
        said: set = set()
        answers: list[set] = []  # what each credited answer told (its credit is voided if repeated)
        asked: list[str] = []
        proposal = False
        for message in messages:
            if message["role"] == "assistant":
                proposal = task.extract_solution(message["content"]) is not None
                asked = [] if proposal else questions(message["content"])
                counts["excess"] += max(0, len(asked) - MAX_CREDITED_QUESTIONS)
                distinct = distinct_questions(asked[:MAX_CREDITED_QUESTIONS])
                counts["repeated"] += min(len(asked), MAX_CREDITED_QUESTIONS) - len(distinct)
                asked = distinct
                continue
            text = message["content"]
            specific = [q for q in asked if content_stems(q) - GENERIC_STEMS]
            informative = informative_sentences(text, said, specific)
            counts["generic"] += len(asked) - len(specific)
            counts["answered"] += min(len(specific), informative)
            counts["unanswered"] += max(0, len(specific) - informative)
            counts["missed"] += int(proposal and informative > 0)
            if proposal:  # the user repeats an answer after a solution: the assistant ignored it
                repeated = [a for a in answers if a & facts(text)]
                counts["answered"] -= len(repeated)
                counts["ignored"] += len(repeated)
                answers = [a for a in answers if not a & facts(text)]
            elif specific and informative:
                answers.append(_told(text, said, specific))
            said |= facts(text)
            asked, proposal = [], False
        proposed = task.final_solution(messages) is not None
        judged = sum(counts.values())
        earned = counts["answered"] - IGNORED_COST * counts["ignored"]
        score = earned / judged if judged and proposed else 0.0
        return score, {**counts, "solution_proposed": proposed}


_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")
#: General English function words and the words of small talk (greetings, thanks, hedges, "no
#: idea", "up to you"): they carry no information about any task. Written from general English,
#: not from any simulator's phrases.
FUNCTION_WORDS = (
    "a about above after again against all also am an and any anyone anything are aren't as at be because "
    "been before being below between both but by can can't cannot could couldn't did didn't do does doesn't "
    "doing don't down during each either else even ever every few for from further get gets got had hadn't "
    "has hasn't have haven't having he he's her here here's hers herself him himself his how how's i i'd "
    "i'll i'm i've if in into is isn't it it's its itself just let let's like may maybe me might mine more "
    "most much must my myself neither no nor not now of off on once one only or other ought our ours "
    "ourselves out over own per perhaps quite rather really same shall she should shouldn't so some "
    "something somewhat still such than that that's the their theirs them themselves then there there's "
    "these they they're this those though through thus to too under until up upon us very via was wasn't "
    "we we're we've were weren't what what's whatever when where which while who whoever whom whose why "
    "will with won't would wouldn't yet you you'd you'll you're you've your yours yourself yourselves "
    "yes yeah yep yup nope nah ok okay alright sure fine good great nice cool awesome perfect lovely "
    "thanks thank cheers please sorry hi hello hey bye goodbye hmm hm um uh oh ah wow lol haha tbh btw "
    "honestly actually basically literally probably definitely certainly totally absolutely exactly "
    "clue idea know knew sure unsure certain think thought guess suppose believe feel mean meant say "
    "said tell told ask asked answer question questions point thing things stuff way lot bit kind sort "
    "decide decided choose pick prefer preference preferences care matter matters whichever works work "
    "sounds sound seems seem looks look right wrong correct fine well better best worse worst want wanted "
    "need needed help helps helpful make made go going come done do try again figure mind forget forgot "
    "remember sounds see seen glad happy appreciate appreciated welcome sense check checking anywhere "
    "anyway anyhow somewhere everywhere everything nothing someone anybody stop never always once twice "
    "couple enough already start begin continue soon later today moment quick quickly fast keep use "
    "hope hoping wait"
)
#: Words of a feedback or catch-all question that ask for nothing in particular.
GENERIC_WORDS = (
    "anything else more other additional further detail details specific specifics requirement "
    "requirements constraint constraints need needs preference preferences change changes adjust "
    "adjustment adjustments tweak tweaks modify modification edit edits revise revision update "
    "improve improvement add mind had have in what this that look looks right good okay ok correct "
    "want like would you me let know should could can is are does do it any there wish expect "
    "expected satisfied happy fine work works help clarify clear question questions feedback "
    "thoughts thought idea ideas"
)
_STOP = frozenset(stems(FUNCTION_WORDS) + stems(TERMINATION_SIGNAL))  # the signal is protocol, not content
GENERIC_STEMS = frozenset(stems(GENERIC_WORDS))


def content_stems(text: str) -> set[str]:
    """The stems of ``text`` that can carry information (numbers and non-function words)."""
    return set(_content_sequence(text))


def _content_sequence(text: str) -> list[str]:
    return [s for s in stems(text.replace("\u2019", "'")) if s not in _STOP and (len(s) >= 3 or s.isdigit())]


def facts(text: str) -> set:
    """What ``text`` states, as word-level pieces: its content stems and each pair of neighbours.

    Pairs make "Each pen costs $2." new after "Each notebook costs $3. I bought 2 notebooks.",
    although each of its words was said before; they are unordered, so "a formal tone" restates
    "the tone should be formal".
    """
    out: set = set()
    for sentence in _SENTENCE.split(text):
        sequence = _content_sequence(sentence)
        out |= set(sequence) | {frozenset(pair) for pair in itertools.pairwise(sequence)}
    return out


def _told(text: str, said: set, asked: Sequence[str]) -> set:
    """What an answer told: its facts not said before, and the options of a choice question it picked."""
    named = content_stems(text)
    picked = {
        stem for q in asked for stem in (content_stems(q) - GENERIC_STEMS) & named if re.search(r"\bor\b", q)
    }
    return (facts(text) - said) | picked


def informative_sentences(text: str, said: set, asked: Sequence[str] = ()) -> int:
    """Sentences of a user reply that bring information: a fact (:func:`facts`) absent from ``said``
    and from the reply's earlier sentences.

    A sentence that picks some, not all, of the options a choice question offered ("Clara or
    Hana?": "I mean Hana.") informs too, although the options were named before, unless an
    earlier sentence of the reply made the same pick.

    >>> informative_sentences("No clue honestly. Sounds good, thanks!", set())
    0
    >>> informative_sentences("It's for new employees. Make it formal.", facts("Make it formal."))
    1
    >>> informative_sentences("I mean Hana.", facts("Clara met Hana."), ["Do you mean Clara or Hana?"])
    1
    >>> informative_sentences("It is red. As I said: it is red.", set())
    1
    """
    options = [content_stems(q) - GENERIC_STEMS for q in asked if re.search(r"\bor\b", q, re.I)]
    count, stated, picked = 0, set(), set()  # what the reply said and picked so far
    for sentence in _SENTENCE.split(text):
        named, sentence_facts = content_stems(sentence), facts(sentence)
        picks = {frozenset(named & choice) for choice in options if named & choice and not choice <= named}
        count += bool(sentence_facts - said - stated or picks - picked)
        stated |= sentence_facts
        picked |= picks
    return count


def distinct_questions(asked: Sequence[str]) -> list[str]:
    """The questions of one message, each asked once: a specific question whose content stems
    (beyond :data:`GENERIC_WORDS`) an earlier one had is dropped; generic questions are kept.

    >>> distinct_questions(["What colour?", "What colour should it be?", "Anything else?", "Anything else?"])
    ['What colour?', 'Anything else?', 'Anything else?']
    """
    seen: set[frozenset] = set()
    out = []
    for question in asked:
        key = frozenset(content_stems(question) - GENERIC_STEMS)
        if not key or key not in seen:
            out.append(question)
        seen.add(key)
    return out


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
    completion: str | None = None,
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

    Returns:
        The breakdown; ``total`` is R*.
    """
    config = config or RewardConfig()
    judge = judge or HeuristicEngagement()
    tokens = assistant_tokens(messages)
    if completion is not None:
        messages = [*messages, {"role": "assistant", "content": completion}]
    if extractor is not None and not pending:
        solution = extractor(task, messages)
    else:
        solution = task.final_solution(messages)
    metric = task.score(instance, solution) if solution is not None else 0.0
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
