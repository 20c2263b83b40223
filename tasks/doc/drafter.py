"""The doc family's public drafter: reads the revealed facets, renders the house template."""

from __future__ import annotations

import re
from collections.abc import Sequence

from collab_env.types import ChatMessage

from . import templates as T

#: Facet kind -> how a user states it (the family's public vocabulary).
PATTERNS = {
    "audience": re.compile(r"\bit'?s for ([^.!?\n]+)", re.I),
    "tone": re.compile(r"\btone should be (formal|friendly|enthusiastic)", re.I),
    "length": re.compile(r"\bmake it (short|detailed)", re.I),
    "date": re.compile(r"\bthe date is ([^.!?\n]+)", re.I),
    "detail": re.compile(r"\bmention that ([^.!?\n]+)", re.I),
    "action": re.compile(r"\bask them to ([^.!?\n]+)", re.I),
    "sender": re.compile(r"\bsign it from ([^.!?\n]+)", re.I),
}
QUESTIONS = {
    "audience": "Who is the audience?",
    "tone": "What tone should it have?",
    "length": "How long should it be?",
    "date": "What is the date?",
    "detail": "Is there an important detail I should mention?",
    "action": "What is the call to action at the end?",
    "sender": "Who should sign it?",
}
_OPENING = re.compile(r"write (an? [\w ]+?) about ([^?.!]+)", re.I)


class DocDrafter:
    """Public knowledge of the doc family: the statement forms and the house template."""

    def known(self, messages: Sequence[ChatMessage]) -> dict[str, str]:
        """Facet values stated in the user's messages (the latest statement wins)."""
        found: dict[str, str] = {}
        for message in messages:
            if message["role"] == "user":
                for kind, pattern in PATTERNS.items():
                    for match in pattern.finditer(message["content"]):
                        found[kind] = (
                            match[1].strip().lower() if kind in ("tone", "length") else match[1].strip()
                        )
        return found

    def missing(self, messages: Sequence[ChatMessage]) -> list[str]:
        """Facet kinds not stated yet, of those that apply to the requested document type (no
        date for a product description or a cover letter)."""
        known, applies = self.known(messages), T.kinds(_request(messages)[0])
        return [kind for kind in PATTERNS if kind not in known and kind in applies]

    def question(self, kind: str, messages: Sequence[ChatMessage] = ()) -> str:
        """A question about ``kind``."""
        return QUESTIONS[kind]

    def draft(self, messages: Sequence[ChatMessage]) -> str:
        """The document, rendered from what is known (defaults for the rest)."""
        doc_type, topic = _request(messages)
        return "Here is the draft:\n\n" + T.render(doc_type, topic, self.known(messages))


def _request(messages: Sequence[ChatMessage]) -> tuple[str, str]:
    """The document type and topic the opening asks for (``"note"`` for a type the table lacks)."""
    first = next((m["content"] for m in messages if m["role"] == "user"), "")
    match = _OPENING.search(first)
    what, topic = (match[1].lower(), match[2].strip()) if match else ("a note", "your request")
    return next((k for k, (w, _) in T.DOC_TYPES.items() if w == what), "note"), topic
