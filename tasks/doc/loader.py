"""Medium articles as CollabDoc: ``dataset="medium:PATH"``.

PATH is a CSV or JSON Lines file in the layout of the Medium-articles data set (Kaggle
``fabiochiu/medium-articles``, Hugging Face ``Kamaljp/medium_articles``): ``title`` and ``text``
required; ``tags`` (text of a Python list), ``url``, ``authors`` and ``timestamp`` optional.

The opening asks for an article with the title and its topic (the first tag). Facets: each
paragraph's gist (its first sentence, kind ``section``), the tone (plain and conversational, or
detailed and technical, from sentence length and first-person use) and the length (in words).
The metric is the family's: sentence BLEU of the draft against the article.
"""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

from collab_env import pyast
from collab_env.errors import DatasetError
from collab_env.facets import contents
from collab_env.tasks.datasets import DatasetTask, data_suffix, open_text, read_records, require
from collab_env.types import ChatMessage, Facet, FacetKind, TaskInstance

from .task import DocTask
from .types import DocReference

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")


class MediumDataset(DatasetTask, DocTask):
    """Articles with their sections, tone and length as facets; R_ext = BLEU against the article."""

    dataset_name = "medium"
    facet_kinds = (
        FacetKind("section", "What should the article cover?", ("cover", "section", "point", "include", "about", "topic")),
        FacetKind("tone", "What tone should it have?", ("tone", "style", "formal", "voice")),
        FacetKind("length", "How long should it be?", ("length", "long", "short", "words")),
    )  # fmt: skip
    questions: ClassVar[dict[str, tuple[str, ...]]] = {
        "section": (
            "What should the article cover?",
            "What else should the article cover?",
            "Is there another point the article should include?",
        )
    }

    def records(self) -> Iterator[tuple[str, Any]]:
        """CSV rows (``.csv``, ``.csv.gz``; a byte-order mark is dropped) or JSON records."""
        if data_suffix(self.path) != ".csv":
            yield from read_records(self.path)
            return
        csv.field_size_limit(sys.maxsize)  # article texts exceed csv's default 128 KiB field
        try:
            with open_text(self.path) as handle:
                for number, row in enumerate(csv.DictReader(handle), 2):
                    yield f"{self.path}, line {number}", row
        except (UnicodeDecodeError, csv.Error, OSError, EOFError) as exc:
            raise DatasetError(f"{self.path}: not a readable UTF-8 CSV file ({exc})") from exc

    def parse(self, record: Any, where: str, task_id: str) -> TaskInstance | str:
        """One article -> instance; an article without text is rejected."""
        require(record, {"title": str, "text": str}, where)
        text, title = record["text"].strip(), record["title"].strip()
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
        if not paragraphs or not title:
            return "empty title or text"
        topic = _tags(record.get("tags"))[:1]
        about = f" It's about {topic[0].lower()}." if topic else ""
        facets = [
            Facet(
                f"section_{k}", "section", _first_sentence(p), f"It should cover this: {_first_sentence(p)}"
            )
            for k, p in enumerate(paragraphs)
        ]
        words = len(text.split())
        facets.append(Facet("tone", "tone", _tone(text), f"The tone should be {_tone(text)}."))
        facets.append(
            Facet("length", "length", f"about {round(words, -1)} words", f"About {round(words, -1)} words.")
        )
        return TaskInstance(
            task_id=task_id, family="doc", opening=f'Can you write an article titled "{title}"?{about}',
            facets=tuple(facets), reference=DocReference(text, ()), request=f"# {title}\n\n{text}",
            metadata={"source": where, "url": record.get("url", ""), "authors": record.get("authors", "")},
        )  # fmt: skip

    def unmet_facets(self, instance: TaskInstance, solution: str) -> list:
        """Sections whose gist the draft does not contain, then tone and length."""
        low = solution.lower()
        return [f for f in instance.facets if f.kind != "section" or f.value.lower() not in low]

    def draft(self, messages: Sequence[ChatMessage]) -> str:
        """The title line and what the user said the article should cover, one paragraph each."""
        said = contents(messages, "user")
        title = re.search(r'titled "([^"]+)"', said[0]) if said else None
        points = [
            m.split("It should cover this:", 1)[1].strip() for m in said if "It should cover this:" in m
        ]
        body = "\n\n".join(points) or "An introduction to the topic, its background and why it matters."
        return f"Here is the draft:\n\n{title[1] if title else 'Untitled'}\n\n{body}"


def _first_sentence(paragraph: str) -> str:
    return _SENTENCE.split(paragraph, maxsplit=1)[0].strip()


def _tone(text: str) -> str:
    sentences = [s for s in _SENTENCE.split(text) if s.strip()]
    mean_words = len(text.split()) / max(1, len(sentences))
    personal = len(re.findall(r"\b(?:I|we|you|our|my)\b", text, re.I)) / max(1, len(text.split()))
    return "plain and conversational" if mean_words < 22 or personal > 0.02 else "detailed and technical"


def _tags(raw: Any) -> list[str]:
    if isinstance(raw, list):
        return [str(t) for t in raw]
    if isinstance(raw, str) and raw.strip().startswith("["):
        try:
            value = pyast.literal_eval(raw)
            return [str(t) for t in value] if isinstance(value, list | tuple) else []
        except (ValueError, SyntaxError):
            return []
    return []
