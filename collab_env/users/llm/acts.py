"""The ``acts`` protocol: the model words what the user does, the env decides it.

In the ``grounded`` protocol the model chooses which details to reveal and whether to end; a
0.5B model chose badly (issue 44: it ended 0 times in 6 at a correct answer, affirmed a wrong
one, and answered what was not asked). Here the model picks its **act** from the few that the
env allows at this turn, held by the JSON schema where the endpoint offers one, and its free
text only words that act::

    {"act": "correct", "message": "close, but it's for our volunteers, not customers"}

The env decides everything it already knows (:func:`turn_plan`):

- what each act gives: ``answer`` gives the untold details the assistant asked about (two at
  most), ``correct`` one or two details the last answer lacks, ``revise`` one; ``ask`` and the
  endings give none. A detail the message does not state is added in the goal's own words
  (:func:`~collab_env.users.llm.user.ground`), so no fact is the model's.
- which acts are open: before any answer, ``answer`` (and ``give_up`` after
  :data:`~.protocol.GIVE_UP_AFTER` assistant turns); after an answer that lacks details,
  ``correct``, ``revise`` and ``ask`` (and ``give_up``); after an answer the task's own verdict
  finds complete, ``accept`` only: the chat ends there, whatever the model would have said.
- an act outside the open ones (no schema, or a model that ignores it) is read as the first
  open act and counted (``info["user"]["acts_refused"]``).

The opening keeps the task's request: the model is given the template's opening and only
rewords it; a rewording that drops what the request asks for (its numbers, names and most of
its content words) is not used (:func:`keeps_request`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from collab_env.facets import is_catch_all, questions, stems
from collab_env.types import ChatMessage, TaskInstance
from collab_env.users.llm import guards
from collab_env.users.llm.protocol import ACTS_FORMAT, DATA, GIVE_UP_AFTER, PERSON, read_message

#: Every act a user message can do; the schema offers those open at the turn.
ACTS = ("answer", "correct", "revise", "ask", "accept", "give_up")
#: The acts that end the chat.
ENDINGS = ("accept", "give_up")
#: What each act asks the model to word (details are listed after it).
MEANING = {
    "answer": "answer the assistant's last message",
    "correct": "tell the assistant what its answer gets wrong or leaves out",
    "revise": "ask the assistant to change its answer",
    "ask": "ask the assistant a short question about its answer (give no new details)",
    "accept": "its answer gives you what you want: thank it briefly (this ends the chat)",
    "give_up": "you give up on this assistant: say so briefly (this ends the chat)",
}
_TAIL = """- Each turn you are told what you can do next (your "act") and which of your goal's details
  it gives. Pick one act, and in "message" write what you say for it, in your own words: one or
  two short sentences, as a person types. State each detail it gives exactly as listed; add no
  other detail, number or fact, and never write the answer yourself."""
GUIDANCE = f"{PERSON}\n{_TAIL}\n{DATA}"
FORMAT = ACTS_FORMAT
OPENING_ASK = (
    "Start the chat: reword this first message in your own words, as a person would type it. Keep "
    "everything it asks for (its numbers, names and question); add nothing:\n<opening>\n{opening}\n</opening>"
)
#: Raised when the env's reading of a turn changes, so that the user's version does (2: what was
#: told is what followed the opening, and a reworded opening may keep what the request states;
#: 3: a correction tells an untold detail before one the assistant was told and left out).
REVISION = 3
#: Share of the request's content words a reworded opening must keep (numbers and names: all).
KEEP_SHARE = 0.6
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+\b")


@dataclass(frozen=True)
class TurnPlan:
    """What the env allows at a turn: the open acts and the facet ids each gives.

    Attributes:
        acts: The open acts, the first being the one an unusable choice is read as.
        details: Facet ids per act (only acts that give details have a key).
        verdict: ``"none"`` (no answer proposed), ``"unmet"`` or ``"met"`` (the task's verdict).
    """

    acts: tuple[str, ...]
    details: dict[str, list[str]] = field(default_factory=dict)
    verdict: str = "none"


def turn_plan(
    messages: Sequence[ChatMessage],
    instance: TaskInstance,
    kinds: Sequence,
    unmet: list[str] | None,
    last_act: str | None = None,
) -> TurnPlan:
    """The acts open after the assistant's last message, and what each gives.

    Args:
        messages: The conversation so far, ending with the assistant's message.
        instance: The task instance (its hidden facets).
        kinds: The task's facet kinds (to read what the assistant asked about).
        unmet: The hidden facets its last answer lacks, by the task's own verdict
            (:func:`~collab_env.users.llm.protocol.unmet_by_answer`); ``None``: no answer.
        last_act: The user's act of its previous message: after an ``ask``, asking again is
            not open (a person asks about an answer once, then says what is wrong with it; a
            0.5B model asked "What is the slug for ...?" on every turn of a Code episode).
    """
    turns = sum(m["role"] == "assistant" for m in messages)
    give_up = ("give_up",) if turns >= GIVE_UP_AFTER else ()
    said = told(messages)
    untold = [f.name for f in instance.hidden_facets if not guards.states(said, f, instance)]
    asked = [i for i in guards.asked_facets(messages, instance, kinds) if i in untold]
    if unmet is None:
        last = next((m["content"] for m in reversed(messages) if m["role"] == "assistant"), "")
        if not asked and untold and any(is_catch_all(q) for q in questions(last)):
            asked = untold[:1]  # "anything else I should know?": a person gives one thing
        return TurnPlan(("answer", *give_up), {"answer": asked[:2]}, "none")
    if not unmet:
        return TurnPlan(("accept",), {}, "met")
    # What it asked about first, then what it was not told, then what it was told and left out
    # (the scripted user's order: a Math answer lacks every detail by the grader, and telling
    # the price again after the assistant used it is not a correction; the red team's LLM arm).
    first = sorted(unmet, key=lambda i: (i not in asked, i not in untold))
    details = {"correct": first[:2], "revise": first[:1]}
    ask = () if last_act == "ask" else ("ask",)
    return TurnPlan(("correct", "revise", *ask, *give_up), details, "unmet")


def told(messages: Sequence[ChatMessage]) -> str:
    """What the user has told of its goal: its messages after the opening. In this protocol the
    opening tells no hidden detail (the template's, or a rewording held to it by its rule); its
    words may still match one (a QA passage names every reading the user may mean).

    >>> told([{"role": "user", "content": "Clara or Hana..."}, {"role": "assistant", "content": "Which?"}])
    ''
    """
    return " ".join(m["content"] for m in messages[1:] if m["role"] == "user")


def instruction(plan: TurnPlan, instance: TaskInstance) -> str:
    """The prompt's last part: the open acts, each with the details it gives, and the format."""
    statements = {f.name: f.statement for f in instance.hidden_facets}
    verdict = {
        "none": "The assistant's last message gives no answer yet.",
        "unmet": "The assistant's last message gives an answer that does not have everything you want.",
        "met": "The assistant's last message gives an answer that has every detail you want.",
    }[plan.verdict]
    rows = []
    for act in plan.acts:
        gives = [statements[i] for i in plan.details.get(act, [])]
        detail = f" Say: {' '.join(gives)}" if gives else ""
        rows.append(f'- "{act}": {MEANING[act]}.{detail}')
    return (
        f"{verdict} What you can do next (your act):\n" + "\n".join(rows) + "\n"
        f"Now write your next message to the assistant. You are the user. Answer with this JSON "
        f"object only:\n{FORMAT}"
    )


def response_format(plan: TurnPlan, mode: str) -> dict[str, Any] | None:
    """The ``response_format`` of a call: the schema holds the act to the open ones."""
    if mode == "none":
        return None
    if mode == "json":
        return {"type": "json_object"}
    properties = {"act": {"type": "string", "enum": list(plan.acts)}, "message": {"type": "string"}}
    schema = {"type": "object", "properties": properties, "required": ["act", "message"]}
    if mode == "object_schema":
        return {"type": "json_object", "schema": schema}
    return {"type": "json_schema", "json_schema": {"name": "user_act", "schema": schema}}


def parse(raw: str) -> dict[str, Any] | None:
    """A reply as ``{"act": str, "message": str, "done": False, "reveal": []}``, or ``None``.

    The act is settled against the turn's plan by :func:`settle`; tolerant as the grounded
    reader is (``response`` for ``message``, the termination signal dropped, ``end_chat`` read
    as the wish to end where no act is named).

    >>> parse('{"act": "Correct", "message": "no, for kids [[TERMINATE CHAT]]"}')
    {'act': 'correct', 'message': 'no, for kids', 'done': False, 'reveal': [], 'signal': True}
    """
    read = read_message(raw)
    if read is None:
        return None
    parsed, message, signal = read
    act = str(parsed.get("act", "")).strip().lower().replace(" ", "_").replace("-", "_")
    return {"act": act, "message": message, "done": False, "reveal": [], "signal": signal}


def settle(parsed: dict[str, Any], plan: TurnPlan) -> bool:
    """Hold ``parsed``'s act to the plan: an act not open is read as the first open one.

    Sets ``act``, ``reveal`` (the act's details) and ``done`` (an ending act). Returns whether
    the model's own choice was refused.
    """
    if not parsed["act"]:  # no act named (a grounded-style reply): read from whether it ends
        if parsed.get("signal"):  # it wants to end: where no ending is open, that is refused
            parsed["act"] = next((a for a in plan.acts if a in ENDINGS), "accept")
        else:
            parsed["act"] = next((a for a in plan.acts if a not in ENDINGS), plan.acts[0])
    refused = parsed["act"] not in plan.acts
    act = plan.acts[0] if refused else parsed["act"]
    parsed.update(act=act, reveal=list(plan.details.get(act, [])), done=act in ENDINGS)
    return refused


def fallback(plan: TurnPlan, instance: TaskInstance) -> str:
    """What the user says when no attempt gave a usable message: the first open act's details
    in the goal's words (a correction's, an answer's), else "Okay, go on."."""
    statements = {f.name: f.statement for f in instance.hidden_facets}
    return " ".join(statements[i] for i in plan.details.get(plan.acts[0], [])) or "Okay, go on."


def keeps_request(text: str, opening: str) -> bool:
    """Whether a reworded opening keeps what the template's ``opening`` asks for: its numbers,
    its names, most of its content words, and a question or request.

    >>> keeps_request("hey, how old will my sister be in a few years? she's older than me", "My sister is older than me. How old will my sister be a few years from now?")
    True
    >>> keeps_request("Hi there! What would you like to know?", "My sister is older than me. How old will my sister be a few years from now?")
    False
    """
    if not text.strip():
        return False
    numbers = set(_NUMBER.findall(opening))
    if not numbers <= set(_NUMBER.findall(text)):
        return False
    lower = text.lower()
    if any(name.lower() not in lower for name in set(_NAME.findall(opening))):
        return False
    wanted = {s for s in stems(opening) if len(s) > 3}
    have = set(stems(text))
    return not wanted or len(wanted & have) >= KEEP_SHARE * len(wanted)


def opening_prompt(opening: str) -> str:
    """The opening's instruction: reword the template's request (the question line of a QA
    opening: its passage is pasted as it is)."""
    return f"{OPENING_ASK.format(opening=opening)}\nAnswer with this JSON object only:\n{FORMAT}"


__all__ = [
    "ACTS",
    "ENDINGS",
    "GUIDANCE",
    "TurnPlan",
    "fallback",
    "instruction",
    "keeps_request",
    "opening_prompt",
    "parse",
    "response_format",
    "settle",
    "told",
    "turn_plan",
]
