"""The code family's public drafter: picks the template, reads the requirements, writes the function."""

from __future__ import annotations

import re
from collections.abc import Sequence

from collab_env.types import ChatMessage

from .templates import TEMPLATES, Template, render

_NAME = re.compile(r"function\s+`?(?P<name>[A-Za-z_]\w*)`?", re.I)
QUESTIONS = {
    "name": "What should the function be called?",
    "missing_values": "How should missing (None) values in the list be handled?",
    "empty_input": "What should happen for an empty list?",
    "rounding": "Should the result be rounded?",
    "punctuation": "What should happen to punctuation?",
    "case": "Should counting be case-sensitive?",
    "short_words": "Should short words be counted?",
    "invalid_input": "What should happen with invalid input?",
    "unit": "What unit should the result be in?",
    "country_code": "What about a leading country code?",
    "format": "What format should the result have?",
    "letter_case": "Should the slug be lower case or keep its capitalisation?",
    "separator": "How should the words be joined?",
    "max_length": "Should its length be limited?",
}


class CodeDrafter:
    """Public knowledge of the code family: the templates and the requirement statements."""

    def template(self, messages: Sequence[ChatMessage]) -> Template | None:
        """The template of the user's opening, if it is one of the family's."""
        first = next((m["content"] for m in messages if m["role"] == "user"), "").lower()
        return next((t for t in TEMPLATES if t.gist.lower() in first), None)

    def known(self, messages: Sequence[ChatMessage]) -> dict[str, str]:
        """Requirement labels (and the function name) stated in the user's messages."""
        template = self.template(messages)
        found: dict[str, str] = {}
        for message in messages:
            if message["role"] != "user":
                continue
            text = message["content"].lower()
            match = _NAME.search(message["content"])
            if match and "call" in text:
                found["name"] = match["name"]
            for slot in template.slots if template else ():
                for variant in slot.variants:
                    if variant.statement.lower() in text:
                        found[slot.kind] = variant.label
        return found

    def missing(self, messages: Sequence[ChatMessage]) -> list[str]:
        """The name and requirements not stated yet."""
        template = self.template(messages)
        known = self.known(messages)
        kinds = ["name", *(s.kind for s in template.slots)] if template else []
        return [k for k in kinds if k not in known]

    def question(self, kind: str, messages: Sequence[ChatMessage] = ()) -> str:
        """A question about requirement ``kind``."""
        return QUESTIONS.get(kind, f"What do you want for the {kind.replace('_', ' ')}?")

    def draft(self, messages: Sequence[ChatMessage]) -> str:
        """The function in a fenced code block (defaults for unknown requirements)."""
        template = self.template(messages)
        if template is None:
            return "Here is a start:\n\n```python\ndef solution(*args):\n    raise NotImplementedError\n```"
        known = self.known(messages)
        code = render(template, known.get("name", template.names[0]), known)
        return f"Here is the function:\n\n```python\n{code}```"
