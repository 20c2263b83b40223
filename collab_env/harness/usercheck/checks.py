"""The card's independent check: rules written before any run, apart from the LLM user's guards.

The guards (:mod:`collab_env.users.llm.guards`) decide what the LLM user may say; a card that
rated a user model with them would grade the guards with themselves. These rules read only the
message, the conversation before it and the task instance, and call none of the guards'
functions. Issue 23 wrote the first two (:data:`ASSISTANT_OR_NARRATION`,
:data:`SERVICE_OR_DELIVERABLE`) and the echo rule before its runs; issue 44 added what its
hand-read transcripts showed the guards accepting: numbers that neither the goal nor the
conversation holds, a wrong answer called right, a deliverable the goal does not have, and the
user asking the assistant for the user's own details. Where SimulatorArena's conversations are
there, a classifier trained on them adds ``assistant_like``: a sentence that reads like an
assistant's rather than a person's (:mod:`.role`; the rules alone where they are absent).

>>> drift_kinds("I will write the function now", [])
['voice_or_narration']
>>> ASSISTANT_OFFERS.search("I'll provide you with a Python function") is not None
True
>>> numbers_not_grounded("I expect (1, 3, 5)", "running totals of [1, 2, 3]")
['5']
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from collab_env.types import ChatMessage, TaskInstance

if TYPE_CHECKING:
    from collab_env.harness.usercheck.role import RoleCheck

# The rule of issue 23's check, written before the run and apart from the guards: a user message
# that speaks as the assistant or narrates the conversation.
ASSISTANT_OR_NARRATION = re.compile(
    r"^\W*(assistant|ai|user)\s*:|\bthe assistant (asked|said|mentioned|provided|wrote|suggested|gave|wants)\b"
    r"|\bthe user (wants|asked|should|needs)\b|\bas an ai\b|\bhow (can|may) i (help|assist)\b"
    r"|\bi'?d be (happy|glad) to help\b|\bi (will|'ll) (now )?write the (function|code)\b"
    r"|\bhere(?:'s| is) (the|your) (code|function|solution)\b|\bi should have (asked|said|provided)\b",
    re.I | re.M,
)
#: Issue 44's additions to the voice rule, from its hand-read transcripts: the assistant's offers
#: and sign-offs in the user's mouth.
ASSISTANT_OFFERS = re.compile(
    r"\bi'?ll provide you with\b|\blet me know (what else|if you need|if there'?s anything)\b"
    r"|\bi look forward to (more|further|future)\b|\bwhat else (can|could) i (do|help)\b"
    r"|\bhope (this|that) helps\b|\bfeel free to (ask|reach)\b",
    re.I,
)
# The second rule, written before issue 23's last run from what the earlier runs' transcripts
# showed and the first rule missed: the assistant's apologies and announcements, and the
# deliverable's own prose (a product description's sales copy) written by the user.
SERVICE_OR_DELIVERABLE = re.compile(
    r"\bi'?m sorry, but\b|\bi (have|'ve) prepared\b|\bwelcome to (our|the)\b|\bi'?m thrilled\b"
    r"|\bthank you for (your interest|choosing|your understanding|asking)\b|\bgreat addition to your\b"
    r"|\bdon'?t miss (out|this)\b|\bwe are (pleased|excited|delighted) to (share|announce|introduce|offer)\b"
    r"|\b(kind|best|warm) regards\b|^\s*dear\b",
    re.I | re.M,
)
#: The user asks the assistant for a detail only the user can know (issue 44's transcripts).
ASKS_OWN_DETAIL = re.compile(
    r"\bwhat(?: is|'s| are| was) (?:my|our)\b|\bwhat (?:\w+ )?(?:do|did|should) i (?:want|need|prefer|like)\b"
    r"|\bdo you know (?:my|our|what i)\b|\bwhat should (?:my|our) \w+ be\b",
    re.I,
)
#: A message that calls the assistant's answer right.
AFFIRMS = re.compile(
    r"\bthat'?s (?:correct|right|it|perfect|exactly|what i (?:needed|wanted))\b|\b(?:is|looks) correct\b"
    r"|\blooks (?:good|great|perfect|right)\b|\bperfect\b|\bexactly\b|\bthat works\b|\bworks for me\b"
    r"|\bnailed it\b|\bspot on\b",
    re.I,
)
#: A message that ends because the user gives up, not because the answer is right.
GIVES_UP = re.compile(
    r"\bgive up\b|\bgiving up\b|\bnot going anywhere\b|\bi'?ll stop\b|\bforget it\b|\bnever ?mind\b"
    r"|\bnot what i (?:asked|wanted|need)\b|\bstill (?:wrong|not)\b|\bdoesn'?t (?:help|work)\b|\bi'?ll (?:figure|do) it\b"
    r"|\bmyself\b|\bnot (?:quite|right|correct)\b|\bwrong\b|\bbut\b|\bhowever\b",
    re.I,
)
#: Kinds of deliverable a user may name; naming one the goal and the conversation lack is false.
DELIVERABLES = (
    "blog post", "cover letter", "product description", "press release", "newsletter", "essay", "poem",
    "speech", "report", "article", "story", "email", "letter", "memo", "tweet", "resume", "review",
    "script", "song", "invitation",
)  # fmt: skip
#: Words in a row that a user message shares with an earlier assistant message, to be an echo.
ECHO_WORDS = 12
#: The drift kinds of the independent check (false facts are counted apart: :func:`false_facts`);
#: ``assistant_like`` is the role classifier's (:mod:`.role`), where it ran.
DRIFT_KINDS = ("voice_or_narration", "service_or_deliverable", "echoes", "asks_own_detail", "assistant_like")
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w])")
_FENCE = re.compile(r"```.*?```", re.S)


def echoes_assistant(text: str, messages: Sequence[ChatMessage]) -> bool:
    """Whether a user message repeats ``ECHO_WORDS`` or more words in a row of an earlier
    assistant message outside a code fence (quoting to comment is fenced, or short)."""
    own = _FENCE.sub(" ", text).lower().split()
    said = (
        " "
        + " ".join(" ".join(m["content"].lower().split()) for m in messages if m["role"] == "assistant")
        + " "
    )
    return any(f" {' '.join(own[i : i + ECHO_WORDS])} " in said for i in range(len(own) - ECHO_WORDS + 1))


def numbers_not_grounded(text: str, known: str) -> list[str]:
    """The numbers of ``text`` (outside code fences) that ``known`` does not hold, in order.

    >>> numbers_not_grounded("it's 3 pages, due on 12 May", "three pages due 12 May"), numbers_not_grounded("", "")
    (['3'], [])
    """
    have = {_canonical(n) for n in _NUMBER.findall(known)}
    out = [n for n in _NUMBER.findall(_FENCE.sub(" ", text)) if _canonical(n) not in have]
    return list(dict.fromkeys(out))


def _canonical(number: str) -> str:
    value = float(number)
    return str(int(value)) if value.is_integer() else str(value)


def goal_text(instance: TaskInstance) -> str:
    """Everything the user legitimately knows: the request, the opening, every facet and the
    reference (the answer the user holds)."""
    facets = " ".join(f"{f.value} {f.statement}" for f in instance.facets)
    return f"{instance.request}\n{instance.opening}\n{facets}\n{instance.reference!r}"


def drift_kinds(text: str, messages: Sequence[ChatMessage], role: RoleCheck | None = None) -> list[str]:
    """The independent drift kinds (:data:`DRIFT_KINDS`) that the user message ``text`` shows.

    Args:
        text: The user message.
        messages: The conversation before it.
        role: The trained role check (:mod:`.role`); ``None``: the rules alone.
    """
    found = []
    if ASSISTANT_OR_NARRATION.search(text) or ASSISTANT_OFFERS.search(text):
        found.append("voice_or_narration")
    if SERVICE_OR_DELIVERABLE.search(text):
        found.append("service_or_deliverable")
    if echoes_assistant(text, messages):
        found.append("echoes")
    if ASKS_OWN_DETAIL.search(text):
        found.append("asks_own_detail")
    if role is not None and role.flags(text):
        found.append("assistant_like")
    return found


def false_facts(
    text: str, messages: Sequence[ChatMessage], instance: TaskInstance, wrong_answer: bool
) -> list[str]:
    """What the user message ``text`` states against its goal: each a short description.

    - ``number N``: a number neither the goal (:func:`goal_text`) nor the conversation holds;
    - ``calls a wrong answer right``: it affirms (:data:`AFFIRMS`) the assistant's last answer
      while the task's own verdict finds details missing (``wrong_answer``), and does not say
      it gives up (:data:`GIVES_UP`);
    - ``a DELIVERABLE``: it names a kind of deliverable that neither the goal nor the
      conversation names (an invented "blog post").

    Args:
        text: The user message.
        messages: The conversation before it.
        instance: The task instance (the hidden goal).
        wrong_answer: Whether the assistant's last message proposes an answer that misses
            details by the task's own verdict.
    """
    known = goal_text(instance) + "\n" + "\n".join(m["content"] for m in messages)
    found = [f"number {n}" for n in numbers_not_grounded(text, known)]
    if wrong_answer and affirms(text):
        found.append("calls a wrong answer right")
    low, known_low = text.lower(), known.lower()
    for kind in DELIVERABLES:
        if re.search(rf"\b{kind}s?\b", low) and not re.search(rf"\b{kind}", known_low):
            found.append(f"a {kind}")
            break
    return found


def affirms(text: str) -> bool:
    """Whether a message calls the answer right (with no "but" and without giving up on it).

    >>> affirms("That's correct, thanks!"), affirms("Perfect, but make it shorter"), affirms("Thanks!")
    (True, False, False)
    """
    return bool(AFFIRMS.search(text)) and not GIVES_UP.search(text)


def gives_up(text: str) -> bool:
    """Whether a message says the answer is wrong or that the user gives up on it.

    >>> gives_up("I don't think this is going anywhere. I'll stop here."), gives_up("Thanks!")
    (True, False)
    """
    return bool(GIVES_UP.search(text))


_SMALL = frozenset("a an the of to and or is it its for on in at be by with my our i it's".split())
_TOKEN = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")


def stated(text: str, value: str) -> bool:
    """Whether ``text`` states a detail's ``value``: every word of a short value (four words or
    fewer, small words aside), or three in five of a longer one, and every number, in any order.

    >>> stated("it's for new hires, mostly", "new hires"), stated("for kids", "new hires")
    (True, False)
    """
    have = set(_TOKEN.findall(text.lower()))
    words = [w for w in _TOKEN.findall(value.lower()) if w not in _SMALL]
    if not words or not all(w in have for w in words if w[0].isdigit()):
        return False
    shared = sum(w in have for w in words)
    return shared == len(words) if len(words) <= 4 else shared * 5 >= 3 * len(words)


def own_part(text: str, instance: TaskInstance) -> str:
    """A user message without the template's material (a Code opening's code) that precedes it."""
    material = instance.opening.rpartition("\n\n")[0]
    return text[len(material) :].strip() if material and text.startswith(material) else text


def check_message(
    text: str,
    messages: Sequence[ChatMessage],
    instance: TaskInstance,
    wrong_answer: bool,
    role: RoleCheck | None = None,
) -> dict[str, Any]:
    """The independent check of one user message: its drift kinds and its false facts, and the
    role check's score (``role_score``, ``None`` where it did not run)."""
    own = own_part(text, instance)
    return {
        "drift": drift_kinds(own, messages, role),
        "false": false_facts(own, messages, instance, wrong_answer),
        "role_score": None if role is None else round(role.score(own), 4),
    }


__all__ = [
    "AFFIRMS",
    "ASKS_OWN_DETAIL",
    "ASSISTANT_OFFERS",
    "ASSISTANT_OR_NARRATION",
    "DRIFT_KINDS",
    "ECHO_WORDS",
    "GIVES_UP",
    "SERVICE_OR_DELIVERABLE",
    "affirms",
    "check_message",
    "drift_kinds",
    "echoes_assistant",
    "false_facts",
    "gives_up",
    "goal_text",
    "numbers_not_grounded",
    "own_part",
    "stated",
]
