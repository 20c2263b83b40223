"""Whether a reply commits to the intended reading by what it names, in words other than the gold's.

People answer in their own words: "She signaled to them." for "She solemnly lifted her hand, and
signaled them to occupy their customary corner", "she was even more anxious" for "anxious, like
she was missing a big part of herself", "Bill O'Reilly declined the invitation." to "Who decided
not to go?" for "Conservative host Bill O'Reilly". Such a reply names the intended reading when:

- the other readings' answers are known, the gold answer is a phrase or sentence (three content
  words or more), and the reply shares with it a word that neither the question nor any other
  reading's answer has (a paraphrase that keeps what tells the readings apart); or
- the question asks who, and the reply names, whole, a name of two words or more that the gold
  names.

Either way the reply may hold no word that only another reading's answer has.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .text import content, sentences

#: The fewest content words of a gold answer that a reply may paraphrase by its distinctive word.
MIN_PHRASE_WORDS = 3
#: A reply may hold this many content words more than the gold answer it paraphrases.
MAX_EXTRA_WORDS = 15
#: A name of two capitalised words or more ("Bill O'Reilly", "Lee Westwood").
_FULL_NAME = re.compile(r"\b[A-Z][\w'\-]*(?:[ \t]+[A-Z][\w'\-]*)+")
_WHO = re.compile(r"^\W*(?:who|whom|whose)\b", re.I)


def names_reading(
    reply: str, golds: Iterable[str], others: Iterable[str] = (), question: str | None = None
) -> bool:
    """Whether ``reply``'s first sentence names the intended reading (see the module docstring).

    Args:
        reply: The reply (or the part after "Answer:").
        golds: The intended reading's answers.
        others: The other readings' answers.
        question: The question asked (optional).

    >>> names_reading("She signaled to them.", ["She lifted her hand, and signaled them to sit"],
    ...               ["The servant talked to them."])
    True
    >>> names_reading("The servant signaled.", ["She lifted her hand, and signaled them to sit"],
    ...               ["The servant talked to them."])
    False
    >>> names_reading("Bill O'Reilly declined.", ["Conservative host Bill O'Reilly"], question="Who?")
    True
    """
    golds, others = list(golds), list(others)
    first = (sentences(reply) or [""])[0]
    said, theirs = set(content(first)), {w for o in others for w in content(o)}
    if not said or said & (theirs - {w for g in golds for w in content(g)}):
        return False
    asked = set(content(question or ""))
    return any(
        (others and _shares_distinctive(said, gold, theirs | asked)) or _names_whole(first, gold, question)
        for gold in golds
    )


def _shares_distinctive(said: set[str], gold: str, elsewhere: set[str]) -> bool:
    """Whether ``said`` shares a word with a phrase ``gold`` that is nowhere ``elsewhere``."""
    need = set(content(gold))
    return (
        len(need) >= MIN_PHRASE_WORDS
        and bool(said & need - elsewhere)
        and len(said) <= len(need) + MAX_EXTRA_WORDS
    )


def _names_whole(first: str, gold: str, question: str | None) -> bool:
    """Whether, to a who-question, ``first`` names a full name that ``gold`` names."""
    if not question or not _WHO.search(question):
        return False
    return any(name in first for name in _FULL_NAME.findall(gold))
