"""The words of a user message as the guards compare them: normalised text, content words and
sentences, and whether a message states a detail (:func:`states`: by meaning for a facet, see
:mod:`collab_env.meaning`; as whole words for a bare value)."""

from __future__ import annotations

import re

from collab_env.facets import FUNCTION_WORDS, stems
from collab_env.meaning import states_facet
from collab_env.types import Facet, TaskInstance


def states(text: str, value: str | Facet, instance: TaskInstance | None = None) -> bool:
    """Whether ``text`` states ``value``: a facet by its meaning, in the goal's words or others
    (:func:`collab_env.meaning.states_facet`, against ``instance``'s other facets and opening);
    a plain string as whole words, case and spacing aside.

    >>> states("It costs $3, not 30", "3"), states("It costs 30", "3")
    (True, False)
    >>> pens = Facet("count_b", "count", "2", "I bought 2 pens.")
    >>> states("I got two pens", pens), states("I got 3 pens", pens)
    (True, False)
    """
    return _states(text if isinstance(value, Facet) else _normal(text), value, instance)


def _states(text: str, value: str | Facet, instance: TaskInstance | None = None) -> bool:
    """Whether normalised ``text`` contains ``value`` as whole words (numbers not inside others),
    or, for a facet, states it by meaning (:func:`states`)."""
    if isinstance(value, Facet):
        others = instance.facets if instance is not None else ()
        return states_facet(text, value, others, instance.opening if instance is not None else "")
    value = _normal(value)
    return bool(value) and re.search(rf"(?<![\w.]){re.escape(value)}(?![\w])", text) is not None


def _words(text: str) -> set[str]:
    """The words of four letters or more of ``text``, lower case (what two sentences share)."""
    return set(re.findall(r"[a-z]{4,}", text.lower()))


_STOP = frozenset("the a an of to and or is it its for on in at be by with".split())


def _tokens(text: str) -> set[str]:
    """The words and numbers of ``text``, lower case, without the commonest function words."""
    return set(re.findall(r"[a-z0-9]+", text.lower())) - _STOP


_FUNCTION_STEMS = frozenset(stems(FUNCTION_WORDS))


def _content(text: str) -> set[str]:
    """The stems of ``text`` that carry information: no function word, three letters or a number."""
    return {w for w in stems(text) if w not in _FUNCTION_STEMS and (len(w) >= 3 or w.isdigit())}


def _bare(text: str) -> str:
    """The words of ``text``, lower case, without punctuation (for quotes retyped loosely)."""
    return " ".join(re.findall(r"\w+(?:'\w+)*", text.lower()))


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def sentences(text: str) -> list[str]:
    """The sentences (and lines) of ``text``.

    >>> sentences("Hi. It's for kids!\\nKeep it short")
    ['Hi.', "It's for kids!", 'Keep it short']
    """
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]
