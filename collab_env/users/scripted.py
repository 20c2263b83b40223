"""The embedded default user simulator: deterministic, model-free, microseconds a turn."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from collab_env.facets import MAX_CREDITED_QUESTIONS, match_facets, questions
from collab_env.types import TERMINATION_SIGNAL, ChatMessage, Facet, TaskInstance, UserReply
from collab_env.users.base import UserSimulator

if TYPE_CHECKING:
    from collab_env.task import Task

_FILLER = {
    "before": ("Hmm, good question.", "Oh right, I forgot to say.", "Sure thing.", "Let me think... okay."),
    "after": (
        "Hope that helps.",
        "Does that make sense?",
        "Thanks for checking.",
        "That's all I can think of.",
    ),
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
_CONFUSED = "I'm not sure how that helps. Can you help with what I asked?"
_TOO_MANY = "That's a lot of questions at once; I'll answer a couple."


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
    by its statement; a question about a known facet is answered again and costs patience; a
    question about nothing in particular gets a vague answer. A proposed solution is scored
    with the task metric: at or above the task's ``accept_threshold`` the user thanks the
    assistant and ends the chat; below it, the user points at one unmet facet and loses
    patience. Turns that reveal nothing cost patience too; at zero the user gives up. Every
    chat ending carries ``TERMINATION_SIGNAL``.

    Args:
        patience: Choices for the persona's patience (drawn per episode).
        styles: Choices for the persona's style.
        typo_rates: Choices for the persona's typo rate.
        evasiveness: Choices for the persona's evasiveness.
    """

    name = "scripted"
    #: Bump when the scripted user's replies change for the same instance and seed.
    behaviour_version = "1"

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
        ('scripted-v1', True)
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
        helpful = any(e["type"] in ("reveal", "evasive") for e in events)
        if not accepted and (not helpful or solution is not None):
            state.patience_left -= 1
        if accepted:
            parts.append(str(rng.choice(_ACCEPT)))
        elif state.patience_left <= 0:
            parts.append(str(rng.choice(_GIVE_UP)))
        terminated = accepted or state.patience_left <= 0
        reply = self._style(parts, state.persona, rng, facts={f.statement for f in instance.facets})
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
            if fresh and _facet_draw(rng, fresh[0].name, state) < state.persona.evasiveness:
                parts.append(str(rng.choice(_EVASIVE)))
                events.append({"type": "evasive", "facet": fresh[0].name, "question": question})
            elif fresh:
                state.told.add(fresh[0].name)
                parts.append(fresh[0].statement)
                events.append({"type": "reveal", "facet": fresh[0].name, "question": question})
            elif matched:
                parts.append(f"As I said: {matched[0].statement}")
                events.append({"type": "redundant", "facet": matched[0].name, "question": question})
            else:
                parts.append(_VAGUE[len(events) % len(_VAGUE)])
                events.append({"type": "vague", "question": question})
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
            state.told.add(pointed.name)
            parts.append(f"That's not quite it. {pointed.statement}")
        events.append(
            {
                "type": "proposal",
                "score": score,
                "accepted": False,
                "feedback": pointed.name if pointed else None,
            }
        )
        return False

    def _style(self, parts: list[str], persona: Persona, rng: np.random.Generator, facts: set[str]) -> str:
        if persona.style == "chatty":
            parts = [str(rng.choice(_FILLER["before"])), *parts, str(rng.choice(_FILLER["after"]))]
        elif persona.style == "plain" and len(parts) == 1 and rng.random() < 0.5:
            parts = [str(rng.choice(_FILLER["before"])), *parts]
        out = []
        for part in parts:
            if persona.typo_rate and not any(fact in part for fact in facts):
                part = _typos(part, persona.typo_rate, rng)
            out.append(part)
        return " ".join(out)


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
