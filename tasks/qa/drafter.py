"""The QA family's public drafter: reads the passage, asks which person is meant, answers."""

from __future__ import annotations

import re
from collections.abc import Sequence

from collab_env.types import ChatMessage

_EVENT = re.compile(
    r"On (?P<day>\w+), (?P<name>[A-Z]\w+) went to the (?P<place>[\w ]+?) and \w+ (?P<object>[^.]+)\."
)
_QUESTION = re.compile(r"Question: (?P<q>.+)$", re.M)
_CLARIFIED = re.compile(r"\bI mean (?P<name>[A-Z]\w+)")


def _names_event(text: str, reading: dict[str, str]) -> bool:
    """Whether ``text`` names the day or the place of ``reading``."""
    return any(re.search(rf"\b{re.escape(reading[k])}\b", text, re.I) for k in ("day", "place"))


class QADrafter:
    """Public knowledge of the QA family: the passage templates and the clarification form."""

    def readings(self, messages: Sequence[ChatMessage]) -> list[dict[str, str]]:
        """The events of the passage (one per person), in passage order."""
        first = next((m["content"] for m in messages if m["role"] == "user"), "")
        return [m.groupdict() for m in _EVENT.finditer(first)]

    def known(self, messages: Sequence[ChatMessage]) -> dict[str, str]:
        """``{"reading": name}`` once the user said which person they mean.

        Read as people and LLM users write it: "I mean Hana.", or a later message that names
        one person of the passage and not the other ("Hana went to the hardware store", "not
        Clara, Hana"), or else the day or place of one reading only ("the one on Thursday").
        """
        readings = self.readings(messages)
        names = {r["name"] for r in readings}
        replies = [m["content"] for m in messages if m["role"] == "user"][1:]
        for text in replies:
            for match in _CLARIFIED.finditer(text):
                if match["name"] in names:
                    return {"reading": match["name"]}
        for text in reversed(replies):
            named = {n for n in names if re.search(rf"\b{n}\b", text)}
            named -= {n for n in names if re.search(rf"\b(not|isn't|no,?) {n}\b", text, re.I)}
            if not named:
                named = {r["name"] for r in readings if _names_event(text, r)}
            if len(named) == 1:
                return {"reading": named.pop()}
        return {}

    def missing(self, messages: Sequence[ChatMessage]) -> list[str]:
        """``["reading"]`` while the question fits several people and none was named."""
        return [] if self.known(messages) or len(self.readings(messages)) < 2 else ["reading"]

    def question(self, kind: str, messages: Sequence[ChatMessage] = ()) -> str:
        """Ask which person is meant, naming the candidates when the passage is known."""
        names = [r["name"] for r in self.readings(messages)]
        if len(names) >= 2:
            return f"Which one do you mean, {names[0]} or {names[1]}?"
        return "Which person do you mean?"

    def draft(self, messages: Sequence[ChatMessage]) -> str:
        """Answer for the person the user meant, else for the first one in the passage."""
        readings = self.readings(messages)
        first = next((m["content"] for m in messages if m["role"] == "user"), "")
        question = _QUESTION.search(first)
        if not readings or question is None:
            return "Answer: I could not find the answer in the passage."
        chosen = self.known(messages).get("reading", readings[0]["name"])
        event = next(r for r in readings if r["name"] == chosen)
        q = question["q"].lower()
        if q.startswith("where"):
            return f"Answer: the {event['place']}"
        if q.startswith("when") or "which day" in q:
            return f"Answer: {event['day']}"
        return f"Answer: {event['object']}"
