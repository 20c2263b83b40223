"""Reply behaviours for the loopback server: seeded sampling and a small real model's habits.

A reply function takes the request's messages and, if it has a second parameter, the whole
request body (``seed``, ``temperature``, ``max_tokens``, ``response_format``); it returns the
text or a :class:`Completion`. The server cuts replies at ``max_tokens`` words itself.

:class:`SmallModelUser` plays the user as Qwen2.5-Coder-0.5B-Instruct (Q4, llama.cpp) did in
issue 18: asked for JSON without JSON mode and with the conversation last, it continues the
transcript instead; it ends the chat with single brackets (``[TERMINATE CHAT]``); and its
replies vary with the seed when the temperature is above 0.

>>> user = SmallModelUser(end_after=1)
>>> prompt = [{"role": "user", "content": "<conversation>\\nASSISTANT: Hi\\n</conversation>"}]
>>> user(prompt, {"response_format": {"type": "json_object"}, "seed": 1, "temperature": 1.0})
'{"thought": "It answers my goal.", "response": "ok thanks, that works [TERMINATE CHAT]"}'
>>> user(prompt, {"seed": 1})
'USER: ok thanks, that works [TERMINATE CHAT]\\nASSISTANT: You are welcome! Is there anything else?'
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: The words a small model writes when it is not stopped: the same phrase, over and over.
RAMBLE = "and then I would also like to add that "


@dataclass(frozen=True)
class Completion:
    """What a reply function may return instead of bare text.

    Attributes:
        text: The completion (``None``: no content).
        finish_reason: ``"stop"``, ``"length"``, ``"content_filter"``.
    """

    text: str | None
    finish_reason: str = "stop"


def sample_rng(messages: Sequence[Mapping[str, Any]], request: Mapping[str, Any]) -> random.Random:
    """The generator a seeded endpoint samples with: one per (seed, messages) above temperature 0.

    At temperature 0 the output depends on the messages alone (greedy decoding); above it, on
    the seed too, and a request without a seed samples afresh each time.

    >>> m = [{"role": "user", "content": "hi"}]
    >>> a, b = sample_rng(m, {"seed": 1, "temperature": 1}), sample_rng(m, {"seed": 1, "temperature": 1})
    >>> a.random() == b.random(), sample_rng(m, {"seed": 2, "temperature": 1}).random() == a.random()
    (True, False)
    """
    temperature = request.get("temperature", 1.0)
    seed = request.get("seed")
    if temperature and seed is None:
        return random.Random()
    key = json.dumps([list(map(dict, messages)), seed if temperature else None], sort_keys=True)
    return random.Random(hashlib.sha256(key.encode()).digest())


def json_mode(request: Mapping[str, Any]) -> bool:
    """Whether the request asks for a JSON object (``response_format={"type": "json_object"}``)."""
    return (request.get("response_format") or {}).get("type") == "json_object"


def assistant_turns(messages: Sequence[Mapping[str, Any]]) -> int:
    """Assistant turns in a user simulator's prompt, whichever way it lays the conversation out.

    A conversation given as data (between ``<conversation>`` tags) counts its ``ASSISTANT:``
    lines; one given as chat messages with the roles swapped counts the ``user`` messages.
    """
    text = "\n".join(str(m.get("content", "")) for m in messages)
    if "<conversation>" in text:
        inside = text.split("<conversation>", 1)[1].split("</conversation>", 1)[0]
        return sum(line.startswith("ASSISTANT:") for line in inside.splitlines())
    return sum(m.get("role") == "user" for m in messages)


def unbounded(messages: Sequence[Mapping[str, Any]]) -> str:
    """A model that never stops: thousands of words (the server cuts them at ``max_tokens``)."""
    return "Sure, " + RAMBLE * 500


@dataclass
class SmallModelUser:
    """Plays the user as a small instruct model does (see the module docstring).

    Args:
        end_after: Assistant turns after which it is satisfied and ends the chat.
        signal: How it writes the termination signal.
        answers: What it says before it is satisfied (one is sampled per reply).
        continues_transcript: Without JSON mode, continue the transcript unless the prompt ends
            with the instruction and its JSON format (a prompt that ends with the conversation,
            or with an instruction that forgets the format, gets the transcript continued).
    """

    end_after: int = 2
    signal: str = "[TERMINATE CHAT]"
    answers: tuple[str, ...] = ("its for my team", "keep it short pls", "not sure, you pick", "the first one")
    continues_transcript: bool = True

    def __call__(self, messages: Sequence[Mapping[str, Any]], request: Mapping[str, Any]) -> str:
        """The reply to one request."""
        rng = sample_rng(messages, request)
        if assistant_turns(messages) >= self.end_after:
            text, thought = f"ok thanks, that works {self.signal}", "It answers my goal."
        else:
            text, thought = f"{rng.choice(self.answers)} ({rng.randrange(1000)})", "Not there yet."
        if json_mode(request) or not (self.continues_transcript and self._ends_with_transcript(messages)):
            return json.dumps({"thought": thought, "response": text})
        return f"USER: {text}\nASSISTANT: You are welcome! Is there anything else?"

    @staticmethod
    def _ends_with_transcript(messages: Sequence[Mapping[str, Any]]) -> bool:
        last = str(messages[-1].get("content", "")) if messages else ""
        tail = last.rsplit("</conversation>", 1)[-1]
        return "JSON" not in tail


#: A line of an acts-protocol prompt that opens an act (``- "correct": tell the assistant ...``).
_ACT_LINE = re.compile(r'^- "(\w+)": ', re.M)


def open_acts(prompt: str) -> list[str]:
    """The acts an acts-protocol prompt opens, in its order (``[]`` for any other prompt).

    >>> open_acts('The answer lacks details. What you can do next (your act):\\n- "correct": ...\\n- "ask": ...')
    ['correct', 'ask']
    """
    return _ACT_LINE.findall(prompt.rpartition("(your act):")[2]) if "(your act):" in prompt else []


@dataclass
class ActsUser:
    """Plays the user in the acts protocol (the LLM user's default) as a model that keeps to it.

    The opening is the request it is given to reword, after ``prefix``; every other reply says
    ``message`` as the first act the prompt opens, or, with ``ends``, as an ending act where one
    is open (``ending`` its words). The env adds the act's details and decides the end.

    Args:
        message: What it says at every turn.
        ends: Whether it takes an ending act (accept, give up) as soon as one is open.
        prefix: Put before the reworded request (``"hey, "``).
        ending: What it says when it ends.

    >>> prompt = 'What you can do next (your act):\\n- "accept": its answer gives you what you want'
    >>> ActsUser(ends=True)([{"role": "user", "content": prompt}])
    '{"act": "accept", "message": "Thanks, that works."}'
    """

    message: str = "It is for the whole team."
    ends: bool = False
    prefix: str = ""
    ending: str = "Thanks, that works."

    def __call__(self, messages: Sequence[Mapping[str, Any]]) -> str:
        """The reply to one request."""
        prompt = str(messages[-1].get("content", "")) if messages else ""
        if "<opening>\n" in prompt:
            opening = prompt.split("<opening>\n", 1)[1].split("\n</opening>", 1)[0]
            return json.dumps({"act": "answer", "message": f"{self.prefix}{opening}"})
        acts = open_acts(prompt) or ["answer"]
        ending = next((a for a in acts if a in ("accept", "give_up")), None) if self.ends else None
        return json.dumps({"act": ending or acts[0], "message": self.ending if ending else self.message})


__all__ = [
    "RAMBLE",
    "ActsUser",
    "Completion",
    "SmallModelUser",
    "assistant_turns",
    "json_mode",
    "open_acts",
    "sample_rng",
    "unbounded",
]
