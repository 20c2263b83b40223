"""R_eng offline: :class:`HeuristicEngagement`, and the running reading it is computed from.

A conversation is read one message at a time (:class:`EngagementTally`): an episode keeps its
tally and each step reads only the new messages, so a step costs the same at turn 20 as at
turn 1. What a message says (its question sentences, its facts) is a pure function of its text,
kept in bounded caches shared by every episode; what the conversation has said so far lives in
the tally, one per conversation, never shared.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from collab_env.facets import FUNCTION_WORDS, GENERIC_WORDS, MAX_CREDITED_QUESTIONS, questions, stems
from collab_env.types import TERMINATION_SIGNAL, ChatMessage, TaskInstance

if TYPE_CHECKING:
    from collab_env.task import Task

#: What an answer the assistant ignored costs, in answered questions (R_eng's floor is its
#: negative). Asking and then proposing as if the answer had not been given is worse than not
#: asking: the user answered for nothing and had to say it again. Transcripts in which the
#: assistant's prior happened to match the answer read exactly like honest ones, so the cost
#: of the transcripts where it did not must outweigh their credit: with cost c, asking and then
#: ignoring gains engagement only when its prior is right more than c times in c + 1 (3 in 4
#: here), when the question was hardly needed. CollabQA's first reading is the intended one
#: in 3 of 4 test episodes.
IGNORED_COST = 3.0
#: The counts R_eng is computed from (``engagement_details``, beside ``solution_proposed``).
COUNTS = ("answered", "unanswered", "generic", "excess", "repeated", "missed", "ignored")
#: Readings of message texts kept, and the longest text kept: a reading is a pure function of
#: the text, shared safely by every episode, in bounded memory (about 20 MB at worst, for texts
#: of distinct words written to fill it). They spare full reads (MR's futures) the shared prefix.
CACHED_TEXTS, CACHED_CHARS = 128, 2_000

_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")
_CHOICE = re.compile(r"\bor\b", re.I)
_CHOICE_LOWER = re.compile(r"\bor\b")
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
        out |= _read_sentence(sentence)[0]
    return out


def _read_sentence(sentence: str) -> tuple[frozenset, frozenset]:
    """(facts, content stems) of one sentence."""
    sequence = _content_sequence(sentence)
    named = frozenset(sequence)
    return named.union(map(frozenset, itertools.pairwise(sequence))), named


def _cached(read: Callable[[str], Any]) -> Callable[[str], Any]:
    """``read`` with its results kept for texts up to :data:`CACHED_CHARS` characters."""
    kept = functools.lru_cache(maxsize=CACHED_TEXTS)(read)

    @functools.wraps(read)
    def reading(text: str) -> Any:
        return kept(text) if len(text) <= CACHED_CHARS else read(text)

    return reading


@dataclass(frozen=True)
class _Reply:
    """A user message, read: each sentence's facts and content stems (those that name something,
    each once), and the message's."""

    sentences: tuple[tuple[frozenset, frozenset], ...]
    facts: frozenset
    named: frozenset


@_cached
def _read_reply(text: str) -> _Reply:
    # A sentence that names nothing, or repeats an earlier one, can bring nothing new: left out.
    sentences = tuple(dict.fromkeys(r for r in map(_read_sentence, _SENTENCE.split(text)) if r[1]))
    return _Reply(sentences, frozenset().union(*(f for f, _ in sentences)), frozenset(content_stems(text)))


@dataclass(frozen=True)
class _Question:
    """A question sentence, read: what it names beyond :data:`GENERIC_WORDS` (empty: generic),
    and whether it offers a choice ("red or blue?"; ``picks_choice``: with a lower-case "or",
    the form an answer's picked options have always been read from)."""

    text: str
    specific: frozenset
    offers_choice: bool
    picks_choice: bool


@_cached
def _read_questions(text: str) -> tuple[_Question, ...]:
    return tuple(_read_question(q) for q in questions(text))


def _read_question(question: str) -> _Question:
    specific = frozenset(content_stems(question) - GENERIC_STEMS)
    return _Question(question, specific, bool(_CHOICE.search(question)), bool(_CHOICE_LOWER.search(question)))


def _informative(reply: _Reply, said: set, asked: Sequence[_Question]) -> int:
    """Sentences of ``reply`` with a fact absent from ``said`` and from its earlier sentences, or
    a pick of a choice question's options that no earlier sentence made."""
    options = [q.specific for q in asked if q.offers_choice]
    count, stated, picked = 0, set(), set()
    for sentence_facts, named in reply.sentences:
        picks = {named & choice for choice in options if named & choice and not choice <= named}
        count += bool(sentence_facts - said - stated or picks - picked)
        stated |= sentence_facts
        picked |= picks
    return count


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
    return _informative(_read_reply(text), said, [_read_question(q) for q in asked])


def _distinct(asked: Sequence[_Question]) -> list[_Question]:
    """The questions of one message, each asked once: a specific question whose content stems
    an earlier one had is dropped; generic questions are kept."""
    seen: set[frozenset] = set()
    out = []
    for question in asked:
        if not question.specific or question.specific not in seen:
            out.append(question)
        seen.add(question.specific)
    return out


@dataclass
class EngagementTally:
    """The heuristic's running reading of one conversation: feed it every message, in order.

    One tally reads one conversation (an episode keeps its own; it is never shared): what the
    user has said so far, what each credited answer told, the questions of the last assistant
    message awaiting their reply, and the counts of :data:`COUNTS`.

    Attributes:
        counts: The counts so far (see :class:`HeuristicEngagement`).
    """

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    _said: set = field(default_factory=set, init=False, repr=False)
    #: What each credited answer told (its credit is withdrawn if the user must say it again).
    _answers: list[frozenset] = field(default_factory=list, init=False, repr=False)
    _asked: list[_Question] = field(default_factory=list, init=False, repr=False)
    _proposal: bool = field(default=False, init=False, repr=False)

    def read(self, message: ChatMessage, proposes: bool = False) -> None:
        """Read the next message; ``proposes``: an assistant message that proposes a solution."""
        if message["role"] == "assistant":
            self._read_assistant(message["content"], proposes)
        else:
            self._read_user(message["content"])

    def _read_assistant(self, text: str, proposes: bool) -> None:
        self._proposal = proposes
        asked = () if proposes else _read_questions(text)
        credited = asked[:MAX_CREDITED_QUESTIONS]
        self._asked = _distinct(credited)
        self.counts["excess"] += len(asked) - len(credited)
        self.counts["repeated"] += len(credited) - len(self._asked)

    def _read_user(self, text: str) -> None:
        reply, counts = _read_reply(text), self.counts
        specific = [q for q in self._asked if q.specific]
        informative = _informative(reply, self._said, specific) if specific or self._proposal else 0
        counts["generic"] += len(self._asked) - len(specific)
        counts["answered"] += min(len(specific), informative)
        counts["unanswered"] += max(0, len(specific) - informative)
        counts["missed"] += int(self._proposal and informative > 0)
        if self._proposal:  # the user repeats an answer after a solution: the assistant ignored it
            kept = [a for a in self._answers if a.isdisjoint(reply.facts)]
            counts["answered"] -= len(self._answers) - len(kept)
            counts["ignored"] += len(self._answers) - len(kept)
            self._answers = kept
        elif specific and informative:
            picked = {stem for q in specific if q.picks_choice for stem in q.specific & reply.named}
            self._answers.append((reply.facts - self._said) | picked)
        self._said |= reply.facts
        self._asked, self._proposal = [], False

    def score(self, proposed: bool) -> tuple[float, dict[str, Any]]:
        """R_eng and its evidence; ``proposed``: whether the conversation has a solution."""
        judged = sum(self.counts.values())
        earned = self.counts["answered"] - IGNORED_COST * self.counts["ignored"]
        score = earned / judged if judged and proposed else 0.0
        return score, {**self.counts, "solution_proposed": proposed}


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
        """Score ``messages``, read from the first; see the class docstring. ``instance`` is not read.

        An episode's steps read only their new messages through an :class:`EngagementTally`
        (:func:`~collab_env.rewards.conversation_reward`'s ``tally``), with the same result.
        """
        tally = EngagementTally()
        for message in messages:
            proposes = (
                message["role"] == "assistant" and task.extract_solution(message["content"]) is not None
            )
            tally.read(message, proposes)
        return tally.score(task.final_solution(messages) is not None)
