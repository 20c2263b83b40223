"""LLM judges: interactivity (R_eng), final-solution extraction, and QA accuracy.

Each asks a chat model for a JSON verdict, reads its own schema leniently (``true``/``false`` in any
case or as strings, numbers as strings), retries output it cannot use, and raises
``ModelCallError`` after the last attempt (the episode is then lost, never scored 0).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from collab_env.errors import ConfigError, ModelCallError
from collab_env.llm.base import ChatModel
from collab_env.rewards.core import IGNORED_COST
from collab_env.types import ChatMessage, TaskInstance

if TYPE_CHECKING:
    from collab_env.task import Task

INTERACTIVITY_RUBRIC = """You judge how well an AI assistant engaged with a user in a conversation.
Score the assistant's interactivity from -3 to 1:
- 1: it asked the clarifying questions that mattered when the request was unclear, followed up
  specifically on what the user said, and showed it understood what the user needs;
- 0.5: some useful engagement, but it missed important questions, asked needless ones, or assumed;
- 0: no engagement: it answered without asking when it should have;
- -3: it asked, then ignored the answer: it proposed a solution that went against what the user
  had told it in answer (often the user has to say it again). That is worse than not asking.
A clarifying question asks for something the user had not said, before a solution is given. A
request for feedback ("Is this what you had in mind?", "Let me know if you want changes") and a
question asked together with a proposed solution are not clarifying questions; a detail the user
had to give as a correction after a solution is a question the assistant missed. An assistant
that never proposed a solution scores 0, whatever it asked: asking without delivering is not
collaboration.
Do not judge the quality of the final solution, only the engagement.
Answer with one JSON object: {"thought": "<your reasoning>", "score": <number from -3 to 1>}"""
EXTRACTION_PROMPT = """Below is a conversation between a user and an AI assistant about a {family} task.
Copy out the final {what} the assistant proposed, exactly as written, with nothing added; if the
assistant never proposed one, use null.
Answer with one JSON object: {{"thought": "<where you found it>", "solution": <the {what} as a string, or null>}}"""
ACCURACY_PROMPT = """Decide whether an answer to a question is correct, given the reference answer.
Question and passage context: {context}
Reference answer: {reference}
Answer to judge: {answer}
Answer with one JSON object: {{"thought": "<your reasoning>", "correct": true or false}}"""
_WHAT = {"doc": "document", "code": "code", "math": "answer", "qa": "answer"}


def _transcript(messages: Sequence[ChatMessage]) -> str:
    return "\n\n".join(f"{m['role'].upper()}: {m['content']}" for m in messages)


def as_bool(value: Any) -> bool:
    """A judge's yes/no in any spelling: ``true``/``false`` as JSON, in any case, or as 1/0.

    >>> [as_bool(v) for v in (True, "true", "True", " FALSE ", "yes", 0, "1")]
    [True, True, True, False, True, False, True]

    Raises:
        ValueError: for anything else (``"maybe"``, ``2``, ``None``).
    """
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, str | int | float) else ""
    if text in {"true", "yes", "correct", "1", "1.0"}:
        return True
    if text in {"false", "no", "incorrect", "0", "0.0"}:
        return False
    raise ValueError(f"{value!r} is not true or false")


def as_score(value: Any, low: float = 0.0) -> float:
    """A judge's score as a number in [low, 1], also when written as a string (``"0.7"``).

    >>> as_score("0.7"), as_score(3), as_score(" -1 "), as_score(-5, low=-3)
    (0.7, 1.0, 0.0, -3.0)

    Raises:
        ValueError: for anything that is not a finite number (``"high"``, ``true``, ``None``).
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"{value!r} is not a number")
    score = float(value.strip() if isinstance(value, str) else value)
    if not math.isfinite(score):
        raise ValueError(f"{value!r} is not a finite number")
    return min(1.0, max(float(low), score))


def _ask(
    model: ChatModel, prompt: str, key: str, attempts: int, convert: Callable[[Any], Any] = lambda v: v
) -> tuple[Any, dict[str, Any]]:
    """Ask for a JSON object whose ``key`` ``convert`` accepts; retry unusable output; raise after the last try.

    Returns:
        The converted value of ``key`` and the whole verdict.
    """
    from collab_env.users.llm.protocol import first_json_object

    raw, why = "", f"no JSON with {key!r}"
    for _ in range(attempts):
        raw = model.complete([{"role": "user", "content": prompt}], temperature=0).text
        verdict = first_json_object(raw, key)
        if verdict is None:
            why = f"no JSON with {key!r}"
            continue
        try:
            return convert(verdict[key]), verdict
        except ValueError as exc:
            why = f"{key!r} unusable ({exc})"
    raise ModelCallError(f"judge ({model.name}): {why} after {attempts} attempts: {raw[:200]!r}")


class LLMInteractivityJudge:
    """R_eng from a chat model with an interactivity rubric, in [−IGNORED_COST, 1].

    Args:
        model: The judge model.
        attempts: Tries before giving up on unusable output.
    """

    #: An LLM judge costs a call: the env asks it once per episode, at the end, not every step.
    per_step = False

    def __init__(self, model: ChatModel, attempts: int = 3) -> None:
        if attempts < 1:
            raise ConfigError(f"attempts must be >= 1, got {attempts}")
        self.model, self.attempts = model, attempts
        self.name = f"llm:{model.name}"

    def __call__(
        self, task: Task, instance: TaskInstance, messages: Sequence[ChatMessage]
    ) -> tuple[float, dict]:
        """Score the conversation; 0 without any assistant turn (no call made)."""
        if not any(m["role"] == "assistant" for m in messages):
            return 0.0, {"thought": "no assistant turn"}
        prompt = f"{INTERACTIVITY_RUBRIC}\n\nConversation:\n\n{_transcript(messages)}"
        score, verdict = _ask(
            self.model, prompt, "score", self.attempts, lambda v: as_score(v, low=-IGNORED_COST)
        )
        return score, {"thought": str(verdict.get("thought", ""))}


class LLMSolutionExtractor:
    """Pulls the final document / code / answer out of a conversation with a chat model.

    Used instead of the family's heuristic extractor when passed to the env as ``extractor``.
    """

    def __init__(self, model: ChatModel, attempts: int = 3) -> None:
        self.model, self.attempts = model, attempts
        self.name = f"llm:{model.name}"

    def __call__(self, task: Task, messages: Sequence[ChatMessage]) -> str | None:
        """The final solution, or ``None`` when the assistant proposed none."""
        if not any(m["role"] == "assistant" for m in messages):
            return None
        what = _WHAT.get(task.name, "solution")
        prompt = (
            EXTRACTION_PROMPT.format(family=task.name, what=what)
            + f"\n\nConversation:\n\n{_transcript(messages)}"
        )
        solution, _ = _ask(self.model, prompt, "solution", self.attempts)
        return None if solution is None else str(solution)


class LLMAccuracyJudge:
    """Correct or incorrect, against the reference answer of the intended reading (QA)."""

    def __init__(self, model: ChatModel, attempts: int = 3) -> None:
        self.model, self.attempts = model, attempts
        self.name = f"llm:{model.name}"

    def __call__(self, context: str, reference: str, answer: str) -> bool:
        """Whether ``answer`` is correct given ``reference`` (``true`` in any spelling, as JSON or text)."""
        prompt = ACCURACY_PROMPT.format(context=context, reference=reference, answer=answer)
        return _ask(self.model, prompt, "correct", self.attempts, as_bool)[0]


__all__ = ["LLMAccuracyJudge", "LLMInteractivityJudge", "LLMSolutionExtractor", "as_bool", "as_score"]
