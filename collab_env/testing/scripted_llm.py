"""A loopback "LLM" that plays the user and the interactivity judge in an LLM's own words.

It answers the prompts of :class:`~collab_env.users.LLMUser` and of
:class:`~collab_env.rewards.judges.LLMInteractivityJudge` over the loopback server, so that the
LLM path (prompts, JSON, retries, guards, the judge's parsing) runs for real while the decisions
stay reproducible:

- as the **user**, it finds the task instance from the hidden goal in the prompt, replays the
  :class:`~collab_env.users.ScriptedUser`'s decisions on the conversation (which facet to reveal,
  whether a solution passes), and writes them as a small instruct model does: the facet's fact
  inside words of its own ("Oh, good point."), and ordinary non-answers ("No clue honestly.",
  "Sounds good, thanks!") where the scripted user has its canned phrases. None of the scripted
  user's wording reaches the conversation except the facts themselves. It answers in the format
  the prompt asks for: the acts protocol's act (the scripted user's decision, among the acts the
  prompt opens), the grounded protocol's ids, or the free role-play's response;
- as the **judge**, it is an oracle that knows the hidden goal: the score is the share of the
  facets the assistant learned that it learned by asking before a solution, as the rubric
  says (a facet the user gave beside or after a solution, a question that revealed nothing, and
  a question repeated count against it; a facet the user had told in answer that a later
  solution fails without stating it, or that the user had to repeat after a solution, was
  *ignored*: its credit is withdrawn and it costs
  :data:`~collab_env.rewards.core.IGNORED_COST` learned facets), 0 without a question that
  revealed something, and 0 when the assistant never proposed a solution. A stand-in for a
  strong judge, not a measurement of one.

>>> from collab_env.testing.openai_server import LoopbackServer
>>> endpoint = ScriptedLLM(["qa"])
>>> with LoopbackServer(reply=endpoint) as server:
...     pass
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from collab_env.rewards.core import IGNORED_COST
from collab_env.types import TERMINATION_SIGNAL, ChatMessage

#: What a small instruct model writes when it has nothing to tell (none of it is the scripted user's).
NON_ANSWERS = (
    "No clue honestly.",
    "Hmm, you decide.",
    "Not really sure tbh.",
    "Whatever works for you.",
    "I don't have a preference.",
    "Good question, no idea.",
    "Up to you!",
)
_OPENERS = ("Oh, good point.", "Right, so", "Ah okay.", "Sure.", "")
_ACCEPTS = ("Sounds good, thanks!", "Yep, that's it. Thanks a lot!", "Looks great, cheers!")
_GIVE_UPS = ("Forget it, I'll sort it out on my own.", "This isn't working, bye.")
_OPEN_ACT = re.compile(r'^- "(\w+)": ', re.M)  # the acts a prompt of the acts protocol opens
_TURN = re.compile(r"(?:^|\n\n)(USER|ASSISTANT): ", re.S)


class ScriptedLLM:
    """The reply function of a loopback endpoint that plays user and judge (see the module docstring).

    Args:
        families: Task families whose test instances it may meet (``"doc"``, ``"code"``...).
        split: The split those instances come from.
    """

    def __init__(self, families: Iterable[str], split: str = "test") -> None:
        from collab_env.builders import make_task

        self.by_goal: dict[str, tuple[Any, Any]] = {}
        self.by_opening: dict[str, list[tuple[Any, Any]]] = {}  # instances of a template share one
        for family in families:
            task = make_task(family)
            for k in range(task.size(split)):
                instance = task.instance(split, k)
                self.by_goal[instance.request.strip()] = (task, instance)
                self.by_opening.setdefault(instance.opening.strip(), []).append((task, instance))

    def __call__(self, messages: Sequence[Mapping[str, Any]], request: Mapping[str, Any]) -> str:
        """The reply to one request: a user message or a judge's verdict, as JSON."""
        text = "\n".join(str(m.get("content", "")) for m in messages)
        if "<hidden_goal>" in text:
            return self._user(text)
        if "Conversation:\n\n" in text:
            return self._judge(text.split("Conversation:\n\n", 1)[1])
        return json.dumps({"thought": "unknown prompt", "response": "Hmm?"})

    def _user(self, text: str) -> str:
        goal = text.split("<hidden_goal>\n", 1)[1].split("\n</hidden_goal>", 1)[0].strip()
        task, instance = self.by_goal[goal]
        grounded = '"reveal"' in text  # the grounded protocol's output format
        acting = '{"act": ' in text  # the acts protocol's
        if "<conversation>\n" not in text:  # asked to write the opening: the template's own request
            last = instance.opening.rpartition("\n\n")[2]
            message = last.split(":", 1)[1].strip() if ":" in last[:12] else last
            if grounded:
                return json.dumps({"reveal": [], "message": message, "done": False})
            if acting:
                return json.dumps({"act": "answer", "message": message})
            return json.dumps({"thought": "opening", "response": message})
        inside = text.split("<conversation>\n", 1)[1].rsplit("\n</conversation>", 1)[0]
        events, ended = _replay(task, instance, _parse(inside))[-1]
        if acting:
            acts = text.rsplit("(your act):", 1)[-1]
            act = _act(events, ended, _OPEN_ACT.findall(acts))
            tells = re.search(rf'^- "{act}": .* Say: ', acts, re.M) is not None  # the env adds details
            words = _words(events, ended, instance, facts=False, hedges=not tells)
            words = words.replace(TERMINATION_SIGNAL, "").strip()
            return json.dumps({"act": act, "message": words})  # the act ends the chat, not the signal
        if grounded:
            revealed = [e["facet"] for e in events if e["type"] == "reveal"]
            words = _words(events, False, instance)
            return json.dumps({"reveal": revealed, "message": words, "done": ended})
        return json.dumps({"thought": "replying", "response": _words(events, ended, instance)})

    def _judge(self, transcript: str) -> str:
        messages = _parse(transcript)
        task, instance = _likeliest(self.by_opening[messages[0]["content"].strip()], messages)
        learned: set[str] = set()  # facets the user told in answer to a question
        overridden: set[str] = set()  # ... and then went against in a solution
        asked = volunteered = wasted = ignored = 0
        said = [m["content"] for m in messages if m["role"] == "assistant"]
        replies = sum(m["role"] == "user" for m in messages) - 1
        for k, (text, (events, _)) in enumerate(zip(said, _replay(task, instance, messages), strict=False)):
            kinds = [e["type"] for e in events]
            if "proposal" in kinds:  # the rubric: no question beside a solution; a correction is missed
                pointed = {e["feedback"] for e in events if e.get("feedback")}
                repeated = pointed & learned if k < replies else set()  # the user said it again
                again = _went_against(task, instance, text, learned) | repeated
                asked, ignored, learned = asked - len(again), ignored + len(again), learned - again
                volunteered += kinds.count("reveal") + len(pointed - again - overridden)
                overridden |= again  # said again later, it is the same ignored answer
                continue
            asked += kinds.count("reveal")
            learned |= {e["facet"] for e in events if e["type"] == "reveal"}
            wasted += kinds.count("vague") + kinds.count("redundant")
        total = asked + volunteered + wasted + ignored
        score = (asked - IGNORED_COST * ignored) / total if asked or ignored else 0.0
        if task.final_solution(messages) is None:  # the rubric: asking without delivering earns nothing
            score = 0.0
        thought = f"asked {asked}, volunteered {volunteered}, wasted {wasted}, ignored {ignored}"
        return json.dumps({"thought": thought, "score": score})


def _act(events: list[dict], ended: bool, open_acts: Sequence[str]) -> str:
    """The act of the scripted user's decisions, among those the prompt opens (the first open
    one where its own is not: the env's verdict on an answer is the task's, as the scripted
    user's is, but the two may still differ).

    The act tells as many details as the scripted user did (the env picks which, and adds them
    to its words): a rejection that points at one detail is ``revise`` (one; ``correct`` tells
    two), one that points at none is ``ask`` (none), an answer is ``answer`` (the details asked
    about, two at most, as the scripted user answers).
    """
    proposals = [e for e in events if e["type"] == "proposal"]
    if proposals and proposals[-1].get("accepted"):
        wanted = ["accept"]
    elif proposals:
        wanted = ["give_up"] if ended else ["revise" if proposals[-1].get("feedback") else "ask", "revise"]
    else:
        wanted = ["give_up"] if ended else ["answer"]
    return next((a for a in wanted if a in open_acts), open_acts[0] if open_acts else wanted[0])


def _went_against(task: Any, instance: Any, text: str, learned: set[str]) -> set[str]:
    """The learned facets a solution fails without stating their value: answers it ignored."""
    solution = task.extract_solution(text)
    if solution is None or not learned:
        return set()
    unmet = {f.name: f.value for f in task.unmet_facets(instance, solution)}
    return {
        name
        for name in learned & set(unmet)
        if not re.search(rf"(?<!\w){re.escape(unmet[name])}(?!\w)", text, re.I)
    }


def _likeliest(candidates: Sequence[tuple[Any, Any]], messages: Sequence[ChatMessage]) -> tuple[Any, Any]:
    """The instance, among those sharing an opening, whose facts the user's messages state most."""
    said = " ".join(m["content"] for m in messages if m["role"] == "user")
    return max(candidates, key=lambda c: sum(f.statement in said for f in c[1].facets))


def _parse(transcript: str) -> list[ChatMessage]:
    """``USER: ...`` / ``ASSISTANT: ...`` blocks back into messages."""
    parts = _TURN.split("\n\n" + transcript.strip())
    return [
        {"role": role.lower(), "content": content.replace("<\u200b", "<")}
        for role, content in zip(parts[1::2], parts[2::2], strict=True)
    ]


def _replay(task: Any, instance: Any, messages: Sequence[ChatMessage]) -> list[tuple[list[dict], bool]]:
    """The scripted user's events (and whether it ended the chat) after each assistant message."""
    from collab_env.errors import SandboxError
    from collab_env.users import ScriptedUser

    user = ScriptedUser()
    rng = np.random.default_rng(
        int.from_bytes(hashlib.sha256(instance.task_id.encode()).digest()[:8], "little")
    )
    _, state = user.start(task, instance, rng)
    out = []
    for i, message in enumerate(messages):
        if message["role"] == "assistant":
            try:
                reply = user.reply(task, instance, list(messages[: i + 1]), state, rng)
            except SandboxError:  # code that hangs: a person sees it hang and says so
                out.append(([{"type": "proposal", "accepted": False, "hangs": True}], False))
                continue
            out.append((reply.info["events"], reply.terminated))
    return out or [([], False)]


def _words(events: list[dict], ended: bool, instance: Any, facts: bool = True, hedges: bool = True) -> str:
    """The scripted user's decisions, in the words of an LLM (``facts=False``: without the facts,
    which the acts protocol's env adds itself, the act's own, in the goal's words; ``hedges=False``:
    without its non-answers, where the act tells details all the same)."""
    statement = {f.name: f.statement for f in instance.facets} if facts else {}
    parts: list[str] = []
    kinds = [e["type"] for e in events]
    for i, event in enumerate(events):
        kind = event["type"]
        if kind == "reveal":
            opener = _OPENERS[i % len(_OPENERS)] if facts or "reveal" not in kinds[:i] else ""
            parts.append(f"{opener} {statement.get(event['facet'], '')}".strip())
        elif kind == "redundant":
            parts.append(f"Like I said, {statement[event['facet']]}" if facts else "")  # the env tells
        elif kind in ("vague", "evasive") and hedges:
            parts.append(NON_ANSWERS[(i + len(event.get("question", ""))) % len(NON_ANSWERS)])
        elif kind == "too_many_questions":
            parts.append("Whoa, lots of questions.")
        elif kind == "no_request":
            parts.append("Okay... can you just help me with it?")
        elif kind == "proposal" and event["accepted"]:
            parts.append(_ACCEPTS[i % len(_ACCEPTS)])
        elif kind == "proposal":
            pointed = event.get("feedback")
            if event.get("hangs"):
                parts.append("I ran it and it just hangs.")
            else:
                parts.append(
                    f"Hmm, not quite. {statement[pointed]}" if pointed and facts else "Hmm, not quite."
                )
    if ended and not any(e["type"] == "proposal" and e["accepted"] for e in events):
        parts.append(_GIVE_UPS[len(parts) % len(_GIVE_UPS)])
    text = " ".join(p for p in parts if p) or "Okay."
    return f"{text} {TERMINATION_SIGNAL}" if ended else text


__all__ = ["NON_ANSWERS", "ScriptedLLM"]
