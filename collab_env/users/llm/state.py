"""The LLM user's per-episode state and one reply in the making (its attempts, the best one)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from collab_env.llm.base import ChatResult
from collab_env.types import ChatMessage, TaskInstance
from collab_env.users.base import ReplyRequest
from collab_env.users.llm import guards
from collab_env.users.llm.profiles import Profile
from collab_env.users.llm.protocol import partial_message

#: Rules after which the reply is used as it is (a dump or a long message is still the user's).
MILD = (None, "goal_dump", "long", "early_end")
#: Problems whose text words what the env did not allow (an act not open at the turn, an opening
#: that lost the request): such a text is never used, however the other attempts fared.
UNUSABLE = ("act_refused", "request_lost")
#: What the user says when no attempt gave a usable message and nothing was asked of the goal.
GO_ON = "Okay, go on."


@dataclass
class LLMUserState:
    """Per-episode state of an LLM user.

    Attributes:
        profile: The episode's person (:mod:`~collab_env.users.llm.profiles`), or ``None``.
        opening: ``"model"`` (written by the model) or ``"template"`` (the task's sentence).
        turn: Replies written so far.
        drifts: Replies rejected by a guard (:mod:`collab_env.users.llm.guards`), all rules.
        drift_kinds: The same, per rule (``assistant_voice``, ``solving``...).
        accepted_drifts: Replies used although every attempt drifted, per rule (then repaired:
            their drifting sentences dropped).
        fallbacks: Replies for which no attempt had a usable sentence: the goal answered what
            was asked in its own words (``GO_ON`` when nothing was asked).
        parse_failures: Replies rejected for not being the JSON asked for.
        cutoffs: Replies cut off at ``max_tokens`` (before the JSON was complete).
        retries: Model calls beyond the first of each reply.
        calls: Requests made to the model, failed attempts included.
        tokens: Their tokens, read and written, as the endpoint reports them (failed attempts of
            a call included, see :class:`~collab_env.llm.OpenAIChat`).
        cost: Their cost.
        revealed: Facet ids the model said its replies reveal (grounded protocol), in order.
        acts: The act of each reply (the acts protocol), in order.
        thoughts: The user's private thoughts, one per reply (for audits).
    """

    profile: Profile | None = None
    opening: str = "template"
    turn: int = 0
    drifts: int = 0
    drift_kinds: dict[str, int] = field(default_factory=dict)
    accepted_drifts: dict[str, int] = field(default_factory=dict)
    fallbacks: int = 0
    parse_failures: int = 0
    cutoffs: int = 0
    retries: int = 0
    calls: int = 0
    tokens: int = 0
    cost: float = 0.0
    revealed: list[str] = field(default_factory=list)
    thoughts: list[str] = field(default_factory=list)
    acts: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, Any]:
        """The counters, for ``info["user"]`` (and so for the benchmark's log)."""
        names = (
            "drifts",
            "parse_failures",
            "cutoffs",
            "retries",
            "calls",
            "tokens",
            "cost",
            "fallbacks",
            "opening",
        )
        out: dict[str, Any] = {name: getattr(self, name) for name in names}
        out.update(drift_kinds=dict(self.drift_kinds), accepted_drifts=dict(self.accepted_drifts))
        out["profile"] = self.profile.id if self.profile else None
        return out

    def record(self, p: Pending, accepted_drift: str | None, fallback: bool) -> None:
        """Account for the reply ``p`` gave."""
        self.turn += 1
        self.thoughts.append(str(p.parsed.get("thought", "")))
        if accepted_drift:
            self.accepted_drifts[accepted_drift] = self.accepted_drifts.get(accepted_drift, 0) + 1
        self.fallbacks += fallback
        hidden = {f.name for f in p.request.instance.hidden_facets}
        self.revealed += [i for i in p.parsed.get("reveal", []) if i in hidden]
        if p.plan is not None:
            self.acts.append(str(p.parsed.get("act") or p.plan.acts[0]))


@dataclass
class Pending:
    """One reply in the making: the request, its prompt, and every attempt's outcome."""

    request: ReplyRequest
    prompt: list[dict[str, str]]
    opening: bool = False
    #: The hidden details the assistant's last answer lacks, ``None`` when it proposed none (read
    #: once per reply: Code's are its tests, see :func:`~.protocol.unmet_by_answer`).
    unmet: list[str] | None = None
    #: The acts open at this turn and what each gives (the ``acts`` protocol; else ``None``).
    plan: Any = None
    problem: str | None = "start"
    raw: str = ""
    seed: int = 0
    parsed: dict[str, Any] = field(default_factory=dict)
    attempts: list[tuple[str | None, dict[str, Any] | None, str]] = field(default_factory=list)

    def attempt(self, reminders: dict[str, str]) -> list[dict[str, str]]:
        """The messages of the next attempt: the prompt, with why the last output was rejected.

        The rejected output is not quoted back: a small model shown its own output repeats it.
        """
        if self.problem == "start":
            return self.prompt
        last = self.prompt[-1]
        return [*self.prompt[:-1], {**last, "content": f"{last['content']}\n\n{reminders[self.problem]}"}]

    def judge(self, result: ChatResult, read: Callable, rule: Callable) -> None:
        """Account for one attempt and set ``problem`` (``None`` when the reply is usable)."""
        state: LLMUserState = self.request.state
        state.retries += self.problem != "start"
        state.calls, state.cost, self.raw = (
            state.calls + result.attempts,
            state.cost + result.cost,
            result.text,
        )
        state.tokens += result.prompt_tokens + result.completion_tokens
        parsed = read(result.text)
        if parsed is None:
            self.problem = "length" if result.finish_reason == "length" else "parse"
            state.cutoffs += self.problem == "length"
            state.parse_failures += self.problem == "parse"
        else:
            self.parsed = parsed
            self.problem = rule(self)
            if self.problem:
                state.drifts += 1
                state.drift_kinds[self.problem] = state.drift_kinds.get(self.problem, 0) + 1
        self.attempts.append((self.problem, parsed, result.text))

    def best(
        self, repair: Callable[[str], str], check: Callable[[str], str | None]
    ) -> tuple[str, bool, str | None]:
        """The reply's message, whether it ends the chat, and the drift accepted (``None``: none).

        With every attempt rejected, the mildest is used: as it is after a dump or a long
        message, else without its drifting sentences. ``""`` when none is left (the caller
        answers from the goal).
        """
        if not self.problem:
            return self.parsed["text"], self.parsed["done"], None
        order = guards.SEVERITY
        parsed = [(problem, p) for problem, p, _ in self.attempts if p is not None]
        if parsed:
            problem, self.parsed = max(
                parsed,
                key=lambda a: -1 if a[0] in UNUSABLE else order.index(a[0]) if a[0] in order else len(order),
            )
            text, done = self.parsed["text"], self.parsed["done"]
        else:
            problem, done = self.problem, False
            text = next(
                (partial_message(raw) for _, _, raw in reversed(self.attempts) if partial_message(raw)), ""
            )
        if problem == "early_end":  # an end asked about and never confirmed by a usable reply
            done = False
        if problem in UNUSABLE:
            text = ""
        elif problem not in MILD:
            text = repair(text)
            text = text if text and check(text) in MILD else ""
        return text, done, problem


def fallback_text(messages: Sequence[ChatMessage], instance: TaskInstance, kinds: Sequence) -> str:
    """The goal's own answer to the last assistant message: the statements of the (unstated)
    hidden facets it asked about, two at most, else :data:`GO_ON`."""
    said = " ".join(m["content"] for m in messages if m["role"] == "user")
    asked = set(guards.asked_facets(messages, instance, kinds))
    answers = [
        f.statement
        for f in instance.hidden_facets
        if f.name in asked and not guards.states(said, f, instance)
    ]
    return " ".join(answers[:2]) or GO_ON
