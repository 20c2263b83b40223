"""The embedded default user simulator: deterministic, model-free, microseconds a turn."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from collab_env.facets import MAX_CREDITED_QUESTIONS, is_catch_all, match_facets, questions
from collab_env.types import TERMINATION_SIGNAL, ChatMessage, Facet, TaskInstance, UserReply
from collab_env.users.base import UserSimulator
from collab_env.users.scripted_words import (
    _ACCEPT,
    _CLOSERS,
    _CONFUSED,
    _EVASIVE,
    _FOLLOW_UP,
    _GIVE_UP,
    _NO_PREFERENCE,
    _OPENERS,
    _SETTLED,
    _TOO_MANY,
    _VAGUE,
)
from collab_env.users.scripted_words import (
    FILLER as _FILLER,
)

if TYPE_CHECKING:
    from collab_env.task import Task


@dataclass(frozen=True)
class Persona:
    """How a scripted user talks, drawn from the episode's seed.

    Attributes:
        style: ``"terse"`` (only the facts), ``"plain"`` or ``"chatty"`` (filler around them).
        typo_rate: Probability that a filler word gets two letters swapped (facts never do).
        patience: Unhelpful turns (rejected solutions, vague or redundant questions) it takes.
        evasiveness: Probability that a good question gets "I haven't decided yet" instead of
            the facet (a low-effort user; the assistant may ask again, at no cost in patience).
        follow_ups: Turns of checks or tweaks the user asks for once a draft meets the goal,
            before it ends the chat (people rarely end at the first draft that has everything).
    """

    style: Literal["terse", "plain", "chatty"]
    typo_rate: float
    patience: int
    evasiveness: float = 0.0
    follow_ups: int = 0


@dataclass
class ScriptedUserState:
    """Per-episode state of the scripted user (copied in env snapshots).

    Attributes:
        persona: The episode's persona.
        told: Names of the facets the assistant has been told (the opening's included).
        patience_left: Unhelpful turns left before the user gives up.
        best_score: Best R_ext among the solutions proposed so far (-1 before any).
        asked: Facet name -> how often the assistant asked about it.
        follow_ups_left: Checks or tweaks left to ask for before accepting a draft that meets the goal.
        follow_up_from: Where in the follow-up phrases this user starts (it goes through them in turn).
        met: Whether the last draft proposed met the goal (the one on the table).
    """

    persona: Persona
    told: set[str] = field(default_factory=set)
    patience_left: int = 0
    best_score: float = -1.0
    asked: dict[str, int] = field(default_factory=dict)
    follow_ups_left: int = 0
    met: bool = False
    follow_up_from: int = 0


class ScriptedUser(UserSimulator):
    """Deterministic user simulator that reveals facets when asked and checks solutions.

    For each question sentence of the assistant's message (at most ``MAX_CREDITED_QUESTIONS``
    are answered), the first facet it asks about that the assistant was not told is revealed
    with what the family says of it (:meth:`Task.mention`: the facet's statement, or one or two
    of its details where facets are long); a question about a known facet is answered again and
    costs patience, a facet already answered in the same reply is not said twice; a catch-all
    question gets a vague answer and costs patience, a specific question about something the goal
    does not hold gets "I don't mind, you choose." A proposed solution is scored with the task
    metric: at or above the task's ``accept_threshold`` the user first looks it over as people do
    (the persona's ``follow_ups``, 2 to 5 turns of "Is that everything?", never the same words
    twice, nothing new said, and a
    question asked then is told "No need, it's fine as it is."), then thanks the assistant and
    ends the chat; the grader scores the draft on the table, so these turns earn nothing. Below
    it, the user points at one unmet facet and loses patience. Turns that ask nothing
    it can answer cost patience too; at zero (3 to 5 unhelpful turns) the user gives up.

    The defaults follow SimulatorArena's people (``benchmarks/user_fidelity.py``): 29 of 30
    document writers stopped because they were satisfied, 1 because the assistant was not
    helpful, and they went on for 2 to 7 turns (3.7 on average) after the first draft that
    covered their whole brief. The persona's filler fits what the
    assistant's message did (praise of a question only after one, never an assistant's sign-off),
    and an ending is the reply's last sentence. Every chat ending carries ``TERMINATION_SIGNAL``.

    Args:
        patience: Choices for the persona's patience (drawn per episode).
        styles: Choices for the persona's style.
        typo_rates: Choices for the persona's typo rate.
        evasiveness: Choices for the persona's evasiveness.
        follow_ups: Choices for the persona's follow-ups (checks before accepting a draft).
    """

    name = "scripted"
    #: Bump when the scripted user's replies change for the same instance and seed.
    behaviour_version = "4"

    def __init__(
        self,
        patience: Sequence[int] = (3, 4, 5),
        styles: Sequence[str] = ("terse", "plain", "chatty"),
        typo_rates: Sequence[float] = (0.0, 0.0, 0.1),
        evasiveness: Sequence[float] = (0.0, 0.1, 0.25),
        follow_ups: Sequence[int] = (2, 3, 4, 5),
    ) -> None:
        if not patience or min(patience) < 1:
            raise ValueError(f"patience choices must be >= 1, got {list(patience)}")
        if not evasiveness or not all(0.0 <= e < 1.0 for e in evasiveness):
            raise ValueError(f"evasiveness choices must lie in [0, 1), got {list(evasiveness)}")
        self.patience, self.styles, self.typo_rates = tuple(patience), tuple(styles), tuple(typo_rates)
        if not follow_ups or min(follow_ups) < 0:
            raise ValueError(f"follow_ups choices must be >= 0, got {list(follow_ups)}")
        self.evasiveness, self.follow_ups = tuple(evasiveness), tuple(follow_ups)

    @property
    def version(self) -> str:
        """``scripted-v<behaviour>``, plus a hash of the persona choices when they are not the defaults.

        >>> ScriptedUser().version, ScriptedUser(patience=(5,)).version != ScriptedUser().version
        ('scripted-v4', True)
        """
        choices = (self.patience, self.styles, self.typo_rates, self.evasiveness, self.follow_ups)
        if choices == _DEFAULT_CHOICES:
            return f"scripted-v{self.behaviour_version}"
        digest = hashlib.sha256(repr(choices).encode()).hexdigest()[:8]
        return f"scripted-v{self.behaviour_version}+{digest}"

    def start(
        self, task: Task, instance: TaskInstance, rng: np.random.Generator
    ) -> tuple[str, ScriptedUserState]:
        """Draw the persona and return the opening request with a fresh state."""
        persona = Persona(
            style=str(rng.choice(self.styles)),
            typo_rate=float(rng.choice(self.typo_rates)),
            patience=int(rng.choice(self.patience)),
            evasiveness=float(rng.choice(self.evasiveness)),
            follow_ups=int(rng.choice(self.follow_ups)),
        )
        told = {f.name for f in instance.facets if f.in_opening}
        state = ScriptedUserState(persona, told, persona.patience, follow_ups_left=persona.follow_ups)
        state.follow_up_from = int(rng.integers(len(_FOLLOW_UP)))
        return instance.opening, state

    def reply(
        self,
        task: Task,
        instance: TaskInstance,
        messages: Sequence[ChatMessage],
        state: ScriptedUserState,
        rng: np.random.Generator,
    ) -> UserReply:
        """Answer the last assistant message; see the class docstring."""
        text = messages[-1]["content"]
        events: list[dict[str, Any]] = []
        solution = task.extract_solution(text)
        checking = state.met and solution is None  # the assistant answered a check or a tweak in words
        if checking:  # the draft on the table has everything: a question now brings nothing new
            parts = _settled(text, events)
        else:
            parts = self._answer_questions(task, instance, text, state, events, rng)
        if solution is not None:
            state.met = self._check_solution(task, instance, solution, state, events, parts)
        elif not events and not checking:
            parts.append(_CONFUSED)
            events.append({"type": "no_request"})
        if not checking and _tries_patience(events, rejected=solution is not None and not state.met):
            state.patience_left -= 1
        ending, last = self._ending(state, events, rng)
        reply = self._style(parts, last, _context(events, state.met), state.persona, rng)
        if ending:
            reply = f"{reply} {TERMINATION_SIGNAL}"
        info = {
            "simulator": self.name,
            "events": events,
            "patience_left": state.patience_left,
            "persona": asdict(state.persona),
            "raw": reply,
            "cost": 0.0,
        }
        return UserReply(reply, ending, info)

    def _ending(
        self, state: ScriptedUserState, events: list[dict[str, Any]], rng: np.random.Generator
    ) -> tuple[bool, str | None]:
        """Whether the reply ends the chat, and its last sentence (an ending or a follow-up).

        The draft on the table meets the goal (by the task's grader): the user asks for a check or
        a tweak while it has follow-ups left (a bounded number per episode, so more turns never
        earn more), then accepts. Out of patience, it gives up.
        """
        if state.met and state.follow_ups_left > 0:
            state.follow_ups_left -= 1
            events.append({"type": "follow_up"})
            said = state.persona.follow_ups - state.follow_ups_left - 1  # checks said before this one
            return False, _FOLLOW_UP[(state.follow_up_from + said) % len(_FOLLOW_UP)]
        if state.met:
            return True, str(rng.choice(_ACCEPT))
        if state.patience_left <= 0:
            return True, str(rng.choice(_GIVE_UP))
        return False, None

    def _answer_questions(
        self,
        task: Task,
        instance: TaskInstance,
        text: str,
        state: ScriptedUserState,
        events: list[dict],
        rng: np.random.Generator,
    ) -> list[str]:
        asked = questions(text)
        parts = [_TOO_MANY] if len(asked) > MAX_CREDITED_QUESTIONS else []
        if len(asked) > MAX_CREDITED_QUESTIONS:
            events.append({"type": "too_many_questions", "count": len(asked)})
        for question in asked[:MAX_CREDITED_QUESTIONS]:
            matched = match_facets(question, instance.facets, task.facet_kinds)
            fresh = [f for f in matched if f.name not in state.told]
            if matched and matched[0].name in _dodged(events):  # dodged a moment ago: no second chance
                events.append(
                    {"type": "evasive", "facet": matched[0].name, "question": question, "again": True}
                )
                continue
            if matched and matched[0].name in _stated(events):  # answered a moment ago, in this reply
                events.append({"type": "redundant", "facet": matched[0].name, "question": question})
                continue
            if fresh and _facet_draw(rng, fresh[0].name, state) < state.persona.evasiveness:
                parts.append(str(rng.choice(_EVASIVE)))
                events.append({"type": "evasive", "facet": fresh[0].name, "question": question})
            elif fresh:
                state.told.add(fresh[0].name)
                parts.append(task.mention(instance, fresh[0]))
                events.append({"type": "reveal", "facet": fresh[0].name, "question": question})
            elif matched:
                parts.append(f"As I said: {task.mention(instance, matched[0])}")
                events.append({"type": "redundant", "facet": matched[0].name, "question": question})
            else:  # nothing of the goal: a catch-all question tries patience, a specific one does not
                generic = is_catch_all(question)
                answer = _VAGUE[len(events) % len(_VAGUE)] if generic else _NO_PREFERENCE
                parts += [answer] if answer not in parts else []
                events.append({"type": "vague", "question": question, "generic": generic})
        return parts

    def _check_solution(
        self,
        task: Task,
        instance: TaskInstance,
        solution: str,
        state: ScriptedUserState,
        events: list[dict],
        parts: list[str],
    ) -> bool:
        score = task.score(instance, solution)
        state.best_score = max(state.best_score, score)
        if score >= task.accept_threshold:
            events.append({"type": "proposal", "score": score, "accepted": True})
            return True
        unmet: list[Facet] = task.unmet_facets(instance, solution)
        untold = [f for f in unmet if f.name not in state.told]
        pointed = (untold or unmet or [None])[0]
        if pointed is None:
            parts.append("That's not quite what I want yet.")
        else:
            again = pointed.name in state.told  # the assistant left out what it was told
            state.told.add(pointed.name)
            said = "" if pointed.name in _stated(events) else " " + task.mention(instance, pointed, solution)
            parts.append(f"Still not quite.{said}" if again else f"That's not quite it.{said}")
        events.append(
            {
                "type": "proposal",
                "score": score,
                "accepted": False,
                "feedback": pointed.name if pointed else None,
            }
        )
        return False

    def _style(
        self,
        parts: list[str],
        ending: str | None,
        context: str,
        persona: Persona,
        rng: np.random.Generator,
    ) -> str:
        """The reply: the parts, the persona's filler fitting ``context``, and the ending last."""
        if persona.style == "chatty":
            parts = [str(rng.choice(_OPENERS[context])), *parts]
            if ending is None:
                parts.append(str(rng.choice(_CLOSERS[context])))
        elif persona.style == "plain" and len(parts) == 1 and rng.random() < 0.5:
            parts = [str(rng.choice(_OPENERS[context])), *parts]
        out = []
        for part in parts:
            if persona.typo_rate and part in _FILLER:  # never in what it says about the goal
                part = _typos(part, persona.typo_rate, rng)
            out.append(part)
        if ending is not None:
            out.append(_typos(ending, persona.typo_rate, rng) if persona.typo_rate else ending)
        return " ".join(out)


def _settled(text: str, events: list[dict[str, Any]]) -> list[str]:
    """The answer to questions asked once the draft on the table meets the goal: nothing new.

    A person whose draft already has everything does not start on details now, and a question
    asked after a lucky guess must not earn what the same question earns before the answer (the
    engagement judge credits only answers that bring something new).
    """
    asked = questions(text)
    if not asked:
        return []
    events.append({"type": "settled", "questions": len(asked)})
    return [_SETTLED]


def _stated(events: list[dict[str, Any]]) -> set[str]:
    """The facets this reply has stated so far (a person does not say a thing twice in a message)."""
    return {e["facet"] for e in events if e["type"] in ("reveal", "redundant")}


def _dodged(events: list[dict[str, Any]]) -> set[str]:
    """The facets this reply has dodged so far: the same question again in the same message gets
    no second chance at an answer (else asking twice in one message would double the odds against
    an evasive user, a farm the red team found); asked again on a later turn, it does."""
    return {e["facet"] for e in events if e["type"] == "evasive"}


def _tries_patience(events: list[dict[str, Any]], rejected: bool) -> bool:
    """Whether a turn costs patience: a rejected solution, or a turn that asked the user nothing
    it could answer (only catch-all or repeated questions, or no request at all). A specific
    question about something outside the goal costs nothing: a person without a preference there
    says so and is not annoyed."""
    if rejected:
        return True
    if any(e["type"] == "proposal" for e in events):  # accepted
        return False
    return not any(e["type"] in ("reveal", "evasive") or e.get("generic") is False for e in events)


def _context(events: list[dict[str, Any]], accepted: bool) -> str:
    """What the assistant's message did, for the filler: ``accept``, ``answer`` (a question the user
    answers), ``dodge`` (one it only puts off), ``draft`` (a rejected draft), ``asked`` (only
    questions about nothing new) or ``other``."""
    types = {e["type"] for e in events}
    if accepted:
        return "accept"
    if "reveal" in types:
        return "answer"
    if "evasive" in types:  # put off, not answered: no "Oh right, I forgot to say."
        return "dodge"
    if "proposal" in types:
        return "draft"
    return "asked" if types & {"vague", "redundant", "too_many_questions"} else "other"


_DEFAULT_CHOICES = ((3, 4, 5), ("terse", "plain", "chatty"), (0.0, 0.0, 0.1), (0.0, 0.1, 0.25), (2, 3, 4, 5))


def _typos(text: str, rate: float, rng: np.random.Generator) -> str:
    """Swap two inner letters of some words (a typing slip), leaving short words alone."""
    words = text.split(" ")
    for i, word in enumerate(words):
        if len(word) > 4 and word.isalpha() and rng.random() < rate:
            j = int(rng.integers(1, len(word) - 2))
            words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
    return " ".join(words)


def _facet_draw(rng: np.random.Generator, facet: str, state: ScriptedUserState) -> float:
    """A uniform draw for the n-th question about ``facet``, synchronised across futures.

    It depends on the generator's seed, the facet and how often it was asked, not on how many
    draws happened before, so two futures with the same user seed (common random numbers)
    decide alike about the same question even after different responses.
    """
    n = state.asked[facet] = state.asked.get(facet, 0) + 1
    seed_seq = getattr(rng.bit_generator, "seed_seq", None)
    base = (
        seed_seq.entropy
        if seed_seq is not None and seed_seq.entropy is not None
        else int(rng.integers(2**63))
    )
    word = int.from_bytes(hashlib.sha256(facet.encode()).digest()[:8], "little")
    return float(np.random.default_rng([base, word, n]).random())
