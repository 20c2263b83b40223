"""Guards against what real users never do, applied to a model's reply before it is accepted.

A small model playing the user (issue 18: Qwen2.5-Coder-0.5B-Instruct) sent empty messages,
spoke as the assistant ("I'm glad I could help you", "Once you have the price, you can proceed
to..."), did the maths itself, and pasted its hidden goal. Each guard below is one rule, with the
reason a real user would not write that; a reply that breaks one is retried with a reminder
naming the rule (:data:`REMINDERS`). A message that ends the chat is not checked: the user's
intent to end is what counts, and nothing is said after it.

Legitimate user content is kept apart: text the user quotes from the conversation (a code fence
or a line that repeats the assistant's draft) is removed before the checks, and a short pasted
snippet (an error message, an example) is not a solution.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from collab_env.facets import match_facets, questions
from collab_env.types import ChatMessage, TaskInstance

#: What a reminder tells the model for each broken rule.
REMINDERS = {
    "empty": "Your message was empty. Write your next message to the assistant, as the user.",
    "assistant_voice": (
        "You wrote like the assistant (offering help, telling the other side what to do next). "
        "You are the user who needs help: reply briefly, in your own voice."
    ),
    "solving": (
        "You solved the task yourself. You are the user: you do not write the solution, code or "
        "calculations; say what you want, or what is wrong with the assistant's answer."
    ),
    "goal_dump": (
        "You gave away many details of your goal that the assistant did not ask about. Reveal "
        "only what it asks about, one or two details at a time, in your own words."
    ),
    "long": "Your message was too long for a user. Reply in one to three short sentences.",
}

# The service register of an assistant, addressed to the person being helped: a user asks for
# help, so these are never the user's words.
_VOICE = re.compile(
    r"how (can|may) i (help|assist)|i'?d be (happy|glad) to help|(glad|happy) (that )?i could help"
    r"|is there anything else (i can|you need)|let me know if you (need|have)|feel free to (ask|reach)"
    r"|i hope (this|that) helps|\bas an ai\b|you can (now )?proceed to|once you have (the|your) .{1,60}, you can"
    r"|here (is|are) your\b|\bi (can|could|will|'ll) help you\b|here(?:'s| is) (an example of )?how you can"
    r"|\bi (can(no|')t|am unable to) assist\b|so (that )?i can (better )?(assist|help) you",
    re.I,
)
# A worked calculation: "40 * 0.9 = 36". Users state numbers; they do not compute the answer.
_EQUATION = re.compile(r"\d[\d.,]*\s*[-+*/×x÷]\s*\$?\d[\d.,]*%?\s*=\s*\$?-?\d", re.I)
_FENCE = re.compile(r"```(?:[\w+-]*\n)?(.*?)(?:```|$)", re.S)
# Code that defines what was asked for: a function with a body.
_DEFINITION = re.compile(r"^\s*def \w+\s*\(.*\)\s*(->[^:]*)?:|^\s*function \w+\s*\(", re.M)
#: A pasted snippet is at most this many lines; longer unquoted code is a solution.
MAX_SNIPPET_LINES = 4
#: More goal facts than this, unasked, in one message is a dump (one volunteered detail is human).
MAX_UNASKED_FACTS = 2


def check(
    text: str, messages: Sequence[ChatMessage], instance: TaskInstance, kinds: Sequence, max_words: int
) -> str | None:
    """The first rule that the user message ``text`` breaks, or ``None``.

    Args:
        text: The reply's message (the termination signal already checked by the caller).
        messages: The conversation so far, ending with the assistant message it answers.
        instance: The task instance (the hidden goal and its facets).
        kinds: The task's facet kinds (to see which facets the assistant asked about).
        max_words: Longest message, in words, that a user writes (quotes not counted).

    Returns:
        A key of :data:`REMINDERS`, or ``None`` when the message is one a user could write.
    """
    if not text.strip():
        return "empty"
    own = unquoted(text, messages)
    if _VOICE.search(own):
        return "assistant_voice"
    if solves(own):
        return "solving"
    if len(unasked_facts(own, messages, instance, kinds)) > MAX_UNASKED_FACTS:
        return "goal_dump"
    if len(own.split()) > max_words:
        return "long"
    return None


def unquoted(text: str, messages: Sequence[ChatMessage]) -> str:
    """``text`` without what it quotes from the conversation (fenced blocks or lines said before).

    >>> said = [{"role": "assistant", "content": "def f(x):\\n    return 2 * x"}]
    >>> unquoted("Change this:\\n```python\\ndef f(x):\\n    return 2 * x\\n```\\nto triple it", said)
    'Change this:\\n\\nto triple it'
    """
    earlier = _normal("\n".join(m["content"] for m in messages))

    def drop_quoted(match: re.Match) -> str:
        body = _normal(match.group(1))
        return "" if body and body in earlier else match.group(0)

    text = _FENCE.sub(drop_quoted, text)
    lines = [line for line in text.split("\n") if not _quoted_line(line, earlier)]
    return "\n".join(lines)


def solves(text: str) -> bool:
    """Whether a user message does the task itself: a worked calculation, or code that is more
    than a pasted snippet (a function definition, or a long unquoted block).

    >>> solves("So 40 * 0.9 = 36, plus tax"), solves("The kettle costs $40 and it's 10% off")
    (True, False)
    >>> solves("I get this error:\\n```\\nKeyError: 'a'\\n```"), solves("```\\ndef f(a):\\n    return a\\n```")
    (False, True)
    """
    if _EQUATION.search(text):
        return True
    for block in _FENCE.findall(text):
        lines = [line for line in block.strip().splitlines() if line.strip()]
        if len(lines) > MAX_SNIPPET_LINES or _DEFINITION.search(block):
            return True
    return bool(_DEFINITION.search(text))


def unasked_facts(
    text: str, messages: Sequence[ChatMessage], instance: TaskInstance, kinds: Sequence
) -> list[str]:
    """Hidden facets that ``text`` states for the first time although the last assistant message
    did not ask about them (by the facets' keywords, as the scripted user matches questions).
    """
    said = _normal("\n".join(m["content"] for m in messages))
    last = next((m["content"] for m in reversed(messages) if m["role"] == "assistant"), "")
    asked = {f.name for q in questions(last) for f in match_facets(q, instance.facets, kinds)}
    mine = _normal(text)
    return [
        f.name
        for f in instance.hidden_facets
        if f.name not in asked and _states(mine, f.value) and not _states(said, f.value)
    ]


def _states(text: str, value: str) -> bool:
    """Whether normalised ``text`` contains ``value`` as whole words (numbers not inside others)."""
    value = _normal(value)
    return bool(value) and re.search(rf"(?<![\w.]){re.escape(value)}(?![\w])", text) is not None


def _quoted_line(line: str, earlier: str) -> bool:
    body = _normal(line.lstrip("> "))
    return len(body.split()) >= 6 and body in earlier


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


__all__ = [
    "MAX_SNIPPET_LINES",
    "MAX_UNASKED_FACTS",
    "REMINDERS",
    "check",
    "solves",
    "unasked_facts",
    "unquoted",
]
