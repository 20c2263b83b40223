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

if TYPE_CHECKING:
    from collab_env.task import Task

#: What a chatty or plain persona says first, by what the assistant's message did: praise of a
#: question only after a question it answers, a word about the draft only after a draft.
_OPENERS = {
    "answer": ("Hmm, good question.", "Oh right, I forgot to say.", "Sure thing.", "Let me think... okay."),
    "asked": ("Hmm, let me think.", "Let me think..."),
    "draft": ("Thanks, I had a look.", "Okay, I see.", "Hmm, let me see."),
    "accept": ("Oh nice.", "Ah, lovely."),
    "other": ("Hmm, okay.",),
}
#: What a chatty persona adds last while the chat goes on: a person's words, never an assistant's
#: sign-off ("Hope that helps.", "Let me know if..."); an ending (accepting, giving up) is last itself.
_CLOSERS = {
    "answer": ("Does that make sense?", "That's all I can think of.", "Thanks for asking."),
    "asked": ("Sorry, I haven't thought about it much.",),
    "draft": ("Can you try again?", "Could you try that again?", "Does that make sense?"),
    "other": ("Thanks anyway.",),
}
_VAGUE = (
    "Hmm, I'm not sure. Whatever you think is best.",
    "I don't really know, just make it work.",
    "Not sure what you mean there.",
)
_ACCEPT = (
    "This is exactly what I needed, thank you!",
    "Perfect, that works. Thanks!",
    "Great, that's it. Thanks!",
)
_GIVE_UP = ("I don't think this is going anywhere. I'll stop here.", "Never mind, I'll figure it out myself.")
_EVASIVE = (
    "Hmm, I haven't decided that yet.",
    "Not sure, let me think about that one.",
    "Good question, I don't know yet.",
)
_NO_PREFERENCE = "I don't mind, you choose."
_CONFUSED = "I'm not sure how that helps. Can you help with what I asked?"
_TOO_MANY = "That's a lot of questions at once; I'll answer a couple."

#: Every phrase of the user's own that holds nothing of the goal (the only text typos touch).
_FILLER = frozenset(
    (
        *(p for ps in (*_OPENERS.values(), *_CLOSERS.values()) for p in ps),
        *_VAGUE,
        *_EVASIVE,
        _NO_PREFERENCE,
        _CONFUSED,
        _TOO_MANY,
    )
)


@dataclass(frozen=True)
class Persona:
    """How a scripted user talks, drawn from the episode's seed.

    Attributes:
        style: ``"terse"`` (only the facts), ``"plain"`` or ``"chatty"`` (filler around them).
        typo_rate: Probability that a filler word gets two letters swapped (facts never do).
        patience: Unhelpful turns (rejected solutions, vague or redundant questions) it takes.
        evasiveness: Probability that a good question gets "I haven't decided yet" instead of
            the facet (a low-effort user; the assistant may ask again, at no cost in patience).
    """

    style: Literal["terse", "plain", "chatty"]
    typo_rate: float
    patience: int
    evasiveness: float = 0.0


@dataclass
class ScriptedUserState:
    """Per-episode state of the scripted user (copied in env snapshots).

    Attributes:
        persona: The episode's persona.
        told: Names of the facets the assistant has been told (the opening's included).
        patience_left: Unhelpful turns left before the user gives up.
        best_score: Best R_ext among the solutions proposed so far (-1 before any).
        asked: Facet name -> how often the assistant asked about it.
    """

    persona: Persona
    told: set[str] = field(default_factory=set)
    patience_left: int = 0
    best_score: float = -1.0
    asked: dict[str, int] = field(default_factory=dict)


class ScriptedUser(UserSimulator):
    """Deterministic user simulator that reveals facets when asked and checks solutions.

    For each question sentence of the assistant's message (at most ``MAX_CREDITED_QUESTIONS``
    are answered), the first facet it asks about that the assistant was not told is revealed
    with what the family says of it (:meth:`Task.mention`: the facet's statement, or one or two
    of its details where facets are long); a question about a known facet is answered again and
    costs patience, a facet already answered in the same reply is not said twice; a catch-all
    question gets a vague answer and costs patience, a specific question about something the goal
    does not hold gets "I don't mind, you choose." A proposed solution is scored with the task
    metric: at or above the task's ``accept_threshold`` the user thanks the assistant and ends the
    chat; below it, the user points at one unmet facet and loses patience. Turns that ask nothing
    it can answer cost patience too; at zero the user gives up. The persona's filler fits what the
    assistant's message did (praise of a question only after one, never an assistant's sign-off),
    and an ending is the reply's last sentence. Every chat ending carries ``TERMINATION_SIGNAL``.

    Args:
        patience: Choices for the persona's patience (drawn per episode).
        styles: Choices for the persona's style.
        typo_rates: Choices for the persona's typo rate.
        evasiveness: Choices for the persona's evasiveness.
    """

    name = "scripted"
    #: Bump when the scripted user's replies change for the same instance and seed.
    behaviour_version = "2"

    def __init__(
        self,
        patience: Sequence[int] = (1, 2, 3),
        styles: Sequence[str] = ("terse", "plain", "chatty"),
        typo_rates: Sequence[float] = (0.0, 0.0, 0.1),
        evasiveness: Sequence[float] = (0.0, 0.1, 0.25),
    ) -> None:
        if not patience or min(patience) < 1:
            raise ValueError(f"patience choices must be >= 1, got {list(patience)}")
        if not evasiveness or not all(0.0 <= e < 1.0 for e in evasiveness):
            raise ValueError(f"evasiveness choices must lie in [0, 1), got {list(evasiveness)}")
        self.patience, self.styles, self.typo_rates = tuple(patience), tuple(styles), tuple(typo_rates)
        self.evasiveness = tuple(evasiveness)

    @property
    def version(self) -> str:
        """``scripted-v<behaviour>``, plus a hash of the persona choices when they are not the defaults.

        >>> ScriptedUser().version, ScriptedUser(patience=(5,)).version != ScriptedUser().version
        ('scripted-v2', True)
        """
        choices = (self.patience, self.styles, self.typo_rates, self.evasiveness)
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
        )
        told = {f.name for f in instance.facets if f.in_opening}
        return instance.opening, ScriptedUserState(persona, told, persona.patience)

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
        parts = self._answer_questions(task, instance, text, state, events, rng)
        solution = task.extract_solution(text)
        accepted = False
        if solution is not None:
            accepted = self._check_solution(task, instance, solution, state, events, parts)
        elif not events:
            parts.append(_CONFUSED)
            events.append({"type": "no_request"})
        if _tries_patience(events, rejected=solution is not None and not accepted):
            state.patience_left -= 1
        ending = None
        if accepted:
            ending = str(rng.choice(_ACCEPT))
        elif state.patience_left <= 0:
            ending = str(rng.choice(_GIVE_UP))
        terminated = ending is not None
        reply = self._style(parts, ending, _context(events, accepted), state.persona, rng)
        if terminated:
            reply = f"{reply} {TERMINATION_SIGNAL}"
        info = {
            "simulator": self.name,
            "events": events,
            "patience_left": state.patience_left,
            "persona": asdict(state.persona),
            "raw": reply,
            "cost": 0.0,
        }
        return UserReply(reply, terminated, info)

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
    answers or dodges), ``draft`` (a rejected draft), ``asked`` (only questions about nothing new)
    or ``other``."""
    types = {e["type"] for e in events}
    if accepted:
        return "accept"
    if types & {"reveal", "evasive"}:
        return "answer"
    if "proposal" in types:
        return "draft"
    return "asked" if types & {"vague", "redundant", "too_many_questions"} else "other"


_DEFAULT_CHOICES = ((1, 2, 3), ("terse", "plain", "chatty"), (0.0, 0.0, 0.1), (0.0, 0.1, 0.25))


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
