"""What the LLM user's model is sent for a reply, per protocol, and how its output is read.

The system prompt holds the protocol's guidance (and the episode's profile); the user message
holds the hidden goal and the conversation as data, each between its own tags, and ends with the
instruction and the answer's format (``layout="data"``), or the conversation is sent as chat
messages with the roles swapped (``layout="swapped"``, the instruction after the last one). The
instruction is the open acts (``acts``), or a request for the next message with, in ``grounded``,
what the env read of the assistant's last message. :class:`~collab_env.users.llm.user.LLMUser`
calls these with its protocol; they hold no state of their own.
"""

from __future__ import annotations

from typing import Any

from collab_env.types import TERMINATION_SIGNAL, canonical_ending, ends_chat
from collab_env.users.base import ReplyRequest
from collab_env.users.llm import acts, protocol
from collab_env.users.llm.grounding import request_line
from collab_env.users.llm.protocol import delimit, parse_reply
from collab_env.users.llm.state import Pending


def guidance(name: str) -> str:
    """The system prompt's guidance of protocol ``name``."""
    if name == "acts":
        return acts.GUIDANCE
    return protocol.GROUNDED_GUIDANCE if name == "grounded" else protocol.ROLEPLAY_GUIDANCE


def build(
    name: str,
    layout: str,
    request: ReplyRequest,
    opening: bool = False,
    unmet: list[str] | None = None,
    plan: acts.TurnPlan | None = None,
) -> list[dict[str, str]]:
    """The messages of a reply's prompt: the hidden goal, the profile and the conversation.

    Args:
        name: The protocol (``acts``, ``grounded``, ``roleplay``).
        layout: ``"data"`` or ``"swapped"`` (see the module docstring).
        request: The reply asked for (its conversation, instance and state's profile).
        opening: Whether the prompt asks for the chat's first message.
        unmet: The hidden details the assistant's last answer lacks (``None``: no answer).
        plan: The acts open at the turn (the ``acts`` protocol), else ``None``.
    """
    profile = request.state.profile
    system = guidance(name)
    system = f"{system}\n\nYour profile: {profile.describe()}" if profile else system
    shown = "grounded" if name == "acts" else name  # the details listed
    said = request.messages[1:] if name == "acts" else request.messages  # told: after the opening
    goal = protocol.goal_text(request.task.name, request.instance, shown, said)
    if opening:
        fmt = protocol.output_format(name)
        ask = f"{protocol.OPENING_ASK} Answer with this JSON object only:\n{fmt}"
        if name == "acts":
            ask = acts.opening_prompt(request_line(request.instance))
        return [{"role": "system", "content": system}, {"role": "user", "content": f"{goal}\n\n{ask}"}]
    last = instruction(name, request, unmet, plan)
    if layout == "swapped":
        swap = {"user": "assistant", "assistant": "user"}
        chat = [{"role": swap[m["role"]], "content": m["content"]} for m in request.messages]
        chat[-1] = {**chat[-1], "content": f"{chat[-1]['content']}\n\n({last})"}
        return [{"role": "system", "content": f"{system}\n\n{goal}"}, *chat]
    transcript = "\n\n".join(f"{m['role'].upper()}: {delimit(m['content'])}" for m in request.messages)
    ask = f"{goal}\n\n<conversation>\n{transcript}\n</conversation>\n\n{last}"
    return [{"role": "system", "content": system}, {"role": "user", "content": ask}]


def instruction(name: str, request: ReplyRequest, unmet: list[str] | None, plan: acts.TurnPlan | None) -> str:
    """What the prompt asks for last: the reply, with what the env read of the assistant's
    message (grounded), or the open acts (acts)."""
    if plan is not None:
        return acts.instruction(plan, request.instance)
    fmt = protocol.output_format(name, protocol.can_end(request.messages, unmet))
    status = (
        protocol.answer_status(request.task, request.instance, request.messages, unmet)
        if name == "grounded"
        else ""
    )
    return (
        f"{status}Now write your next message to the assistant, replying to its last message above. "
        f"You are the user. Answer with this JSON object only:\n{fmt}"
    )


def can_end(name: str, p: Pending) -> bool:
    """Whether the reply may end the chat (:func:`~.protocol.can_end`; a written opening and the
    protocols other than ``grounded`` keep the full format)."""
    return p.opening or name != "grounded" or protocol.can_end(p.request.messages, p.unmet)


def response_format(name: str, p: Pending, mode: str) -> dict[str, Any] | None:
    """The call's ``response_format``: the protocol's schema in the endpoint's spelling (``mode``)."""
    if name == "acts":
        return acts.response_format(p.plan or acts.TurnPlan(("answer",)), mode)
    return protocol.response_format(name, p.request.instance, mode, can_end(name, p))


def read(name: str, raw: str) -> dict[str, Any] | None:
    """The reply as ``{"message", "done", "reveal", ...}``, or ``None`` when it does not parse."""
    if name == "grounded":
        return protocol.parse_grounded(raw)
    if name == "acts":
        return acts.parse(raw)
    parsed = parse_reply(raw)
    if parsed is None:
        return None
    text = canonical_ending(parsed["response"].strip())
    message = text.replace(TERMINATION_SIGNAL, "").strip()
    return {**parsed, "message": message, "done": ends_chat(text), "reveal": []}


__all__ = ["build", "can_end", "guidance", "instruction", "read", "response_format"]
