"""Structured data shared by the core, the tasks and the agents.

The words follow DESIGN.md: a *task instance* holds a *hidden goal*, split into *facets*; the
*opening* request reveals only some of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol, TypedDict, runtime_checkable

import numpy as np

#: Written by a user simulator to end the conversation (the source paper's signal). The canonical
#: form: :func:`ends_chat` recognises it as models write it, :func:`canonical_ending` restores it.
TERMINATION_SIGNAL = "[[TERMINATE CHAT]]"

# One or more brackets of either kind around TERMINATE CHAT, in any case, spaces, _ or - between.
_SIGNAL = re.compile(r"[\[(<{]+\s*terminate[\s_-]*chat\s*[\])>}]+", re.I)
# A message that is only the words, bracketless (``TERMINATE CHAT.``), ends the chat too.
_ONLY_SIGNAL = re.compile(r"^\W*terminate[\s_-]*chat\W*$", re.I)


def ends_chat(text: str) -> bool:
    """Whether a user message ends the chat: the termination signal as models write it.

    Models write the paper's ``[[TERMINATE CHAT]]`` with one bracket or two, in any case, or as
    a message of the bare words; a bracketless mention inside a sentence does not count.

    >>> [ends_chat(t) for t in ("Thanks! [TERMINATE CHAT]", "[[terminate chat]]", "TERMINATE CHAT.")]
    [True, True, True]
    >>> ends_chat("Should I terminate chat sessions after 5 minutes?")
    False
    """
    return bool(_SIGNAL.search(text) or _ONLY_SIGNAL.match(text))


def canonical_ending(text: str) -> str:
    """``text`` with the termination signal, as the model wrote it, in its canonical form.

    >>> canonical_ending("Great, thanks [terminate chat]")
    'Great, thanks [[TERMINATE CHAT]]'
    >>> canonical_ending("TERMINATE CHAT")
    '[[TERMINATE CHAT]]'
    """
    if _ONLY_SIGNAL.match(text):
        return TERMINATION_SIGNAL
    return _SIGNAL.sub(TERMINATION_SIGNAL, text)


class ChatMessage(TypedDict):
    """One turn of a conversation, in the chat format of the openai client."""

    role: Literal["user", "assistant"]
    content: str


Conversation = list[ChatMessage]


@runtime_checkable
class Agent(Protocol):
    """An agent: anything callable as ``agent(messages) -> str`` (the assistant's next message).

    Optional capabilities, each probed where it is used; an agent without them still plays:

    - ``reset()``: called before every episode (a stateful agent forgets the last one);
    - ``act_batch(conversations) -> list[str]``: the next message of many conversations in one
      call (MR futures and ranking use it);
    - ``concurrency: int``: calls worth keeping in flight at once (a model's endpoint bound);
    - ``model``: the chat model behind it, whose ``usage`` meters its calls, tokens and cost;
    - ``sampling: dict``: the sampling parameters it sends (recorded with what it wrote);
    - ``family: str``: the task family it was written for (checked against the env's);
    - ``agent_factory = True``: on a ``module:function`` agent spec, marks a function called
      with the env to build the agent.
    """

    def __call__(self, messages: Sequence[ChatMessage]) -> str:
        """The assistant's next message for the conversation ``messages``."""
        ...


@dataclass(frozen=True)
class FacetKind:
    """A public kind of facet of a task family (what an assistant may ask about).

    Attributes:
        name: Identifier of the kind, e.g. ``"audience"``.
        question: A natural question an assistant could ask about it.
        keywords: Words or short phrases that, in a question, point at this kind. Matching is
            case-insensitive and tolerant to plural and verb endings.
    """

    name: str
    question: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class Facet:
    """One piece of a task instance's hidden goal.

    Attributes:
        name: Unique within the instance, e.g. ``"audience"`` or ``"fact_2"``.
        kind: The public :class:`FacetKind` name it belongs to.
        value: The value as a short phrase, e.g. ``"new employees"``.
        statement: What the user says to reveal it, e.g. ``"It is for new employees."``.
        keywords: Words that, in a question, point at this facet in particular (in addition
            to its kind's keywords).
        in_opening: Whether the opening request already reveals it.
    """

    name: str
    kind: str
    value: str
    statement: str
    keywords: tuple[str, ...] = ()
    in_opening: bool = False


@dataclass(frozen=True)
class TaskInstance:
    """One task: the opening request, the hidden goal and what the metric compares against.

    Attributes:
        task_id: Stable identifier, e.g. ``"doc-test-00042"``.
        family: The task family, e.g. ``"doc"``.
        opening: The user's first (vague) message.
        facets: Every piece of the hidden goal, those in the opening included.
        reference: What the metric compares a solution with; its type is the family's (a
            target document, hidden unit tests, an answer).
        request: The complete request as one text (the hidden goal of an LLM user).
        metadata: Family-specific extras (template name, source record...).
    """

    task_id: str
    family: str
    opening: str
    facets: tuple[Facet, ...]
    reference: Any
    request: str
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __deepcopy__(self, memo: dict) -> TaskInstance:
        # Instances are immutable by contract; episode snapshots share them instead of copying.
        return self

    @property
    def hidden_facets(self) -> tuple[Facet, ...]:
        """Facets the opening does not reveal."""
        return tuple(f for f in self.facets if not f.in_opening)

    def fully_specified(self) -> TaskInstance:
        """The same task asked with nothing held back (the control of ``reset(options={"reveal": "all"})``).

        The opening states every hidden facet after the original opening, and every facet is
        marked as in the opening, so a scripted user has nothing left to reveal. The metric,
        the reference and the hidden goal are unchanged; ``metadata["reveal"]`` is ``"all"``.
        """
        if not self.hidden_facets:
            return replace(self, metadata={**self.metadata, "reveal": "all"})
        opening = " ".join([self.opening.rstrip(), *(f.statement for f in self.hidden_facets)])
        return replace(
            self, opening=opening, facets=tuple(replace(f, in_opening=True) for f in self.facets),
            metadata={**self.metadata, "reveal": "all"},
        )  # fmt: skip

    def facet(self, name: str) -> Facet:
        """Return the facet called ``name``.

        Raises:
            KeyError: if the instance has no such facet.
        """
        for f in self.facets:
            if f.name == name:
                return f
        raise KeyError(f"task {self.task_id} has no facet {name!r}")


@dataclass(frozen=True)
class UserReply:
    """What a user simulator returns for one turn.

    Attributes:
        text: The user's message (with the termination signal when it ends the chat).
        terminated: Whether the user ended the conversation.
        info: Metadata for ``info["user"]``: the raw reply, events, cost.
    """

    text: str
    terminated: bool
    info: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class EnvState:
    """Everything an episode is: what :meth:`CollabEnv.snapshot` returns.

    Attributes:
        instance: The task instance (hidden goal).
        messages: The conversation so far.
        user_state: The user simulator's per-episode state.
        user_rng: The user simulator's generator.
        turn: Assistant turns taken.
        done: Whether the episode ended.
        last_total: R* after the previous turn (for ``reward_mode="turn"``).
        np_random_state: The env generator's state.
    """

    instance: TaskInstance
    messages: list[ChatMessage]
    user_state: Any
    user_rng: np.random.Generator
    turn: int = 0
    done: bool = False
    last_total: float = 0.0
    np_random_state: dict[str, Any] = field(default_factory=dict)
