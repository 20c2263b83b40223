"""Reading an assistant message: which sentences are questions, and which facets they ask about.

The scripted user reads questions and facets (to decide what to reveal); the engagement heuristic
reads only questions and the words of the user's replies, never the facets. Matching is
by keyword stems: lower-cased words with plural and verb endings stripped, so that "Who are the
readers?" matches the keyword ``reader`` and "What tone?" matches ``tone``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence

from collab_env.types import ChatMessage, Facet, FacetKind

#: Questions beyond this many in one message are not credited by the reward (and count as
#: redundant), and the scripted user answers at most this many: one rule that both follow.
MAX_CREDITED_QUESTIONS = 3

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_SIBILANT_ES = re.compile(r"(ss|x|ch|sh|z)es$")


def stem(word: str) -> str:
    """A crude, deterministic stem: lower case, plural and verb endings stripped.

    >>> [stem(w) for w in ("Readers", "oranges", "boxes", "stories", "asked", "formatting")]
    ['reader', 'orange', 'box', 'story', 'ask', 'formatt']
    """
    word = word.lower()
    if len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if _SIBILANT_ES.search(word):
        return word[:-2]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def stems(text: str) -> list[str]:
    """The stems of the words of ``text``, in order."""
    return [stem(w) for w in _WORD.findall(text.lower())]


def contents(messages: Sequence[ChatMessage], role: str) -> list[str]:
    """The texts of ``role``'s messages, in order (what an assistant-side reader may look at).

    >>> contents([{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}], "user")
    ['Hi']
    """
    return [m["content"] for m in messages if m["role"] == role]


def questions(text: str) -> list[str]:
    """The sentences of ``text`` that are questions (end with a question mark).

    >>> questions("Sure. Who is it for? And what tone do you want?")
    ['Who is it for?', 'And what tone do you want?']
    """
    out = []
    for chunk in _SENTENCE_END.split(text):
        chunk = chunk.strip().lstrip("-*0123456789.) ").strip()
        if chunk.endswith("?"):
            out.append(chunk)
    return out


@functools.lru_cache(maxsize=65536)
def _keyword_stems(keyword: str) -> tuple[str, ...]:
    return tuple(stems(keyword))


def mentions(text_stems: Sequence[str], keyword: str) -> bool:
    """Whether the stems contain ``keyword`` (a word or a contiguous phrase)."""
    key = _keyword_stems(keyword)
    if len(key) <= 1:
        return bool(key) and key[0] in text_stems
    n = len(key)
    return any(tuple(text_stems[i : i + n]) == key for i in range(len(text_stems) - n + 1))


def match_facets(question: str, facets: Iterable[Facet], kinds: Iterable[FacetKind]) -> list[Facet]:
    """The facets a question asks about, best match first.

    A facet matches when the question mentions one of its own keywords or one of its kind's
    keywords. Facets that match both come first, then those matching their own keywords, then
    those matching only their kind's; ties keep the facets' order. So "How many pens did you
    buy?" prefers the facet *pen count* (own keyword ``pen``, kind keyword ``how many``) to
    *pen price* (own keyword only).
    """
    text = stems(question)
    kind_keywords = {k.name: k.keywords for k in kinds}
    ranked = []
    for position, facet in enumerate(facets):
        own = any(mentions(text, kw) for kw in facet.keywords)
        kind = any(mentions(text, kw) for kw in kind_keywords.get(facet.kind, ()))
        if own or kind:
            ranked.append((-(2 * own + kind), position, facet))
    return [facet for *_, facet in sorted(ranked, key=lambda r: r[:2])]
