"""A reply's near-words read as the candidates' words, where exactly one candidate fits.

People misspell ("the hardwear store"), split or join compounds ("a cook book", "b-day"),
abbreviate by a prefix or a contraction ("wed", "Mme"), write ordinals and possessives ("On
November first", "the baker's") and derive one word from another ("freshly baked bread" for
"fresh bread"). No passage spells these out, and no list of them can be complete, so each is read
by a general relation between a reply's word and a word of some reading's answer (a
*candidate*):

- the same number: "first", "1st" and "1"; "twelfth" and "12";
- a compound: two adjacent reply words joined are a candidate ("cook book"), or one reply word is
  two adjacent candidate words joined ("hotdog" for "hot dog"); an initial and a word ("b day",
  from "b-day") name the one candidate that starts with the initial and ends with the word;
- an abbreviation: a prefix of at least three letters and less than half the word ("wed",
  "univ"; not "cook" for "cookbook", a compound's first word), or a contraction (the same first
  and last letters, the letters in order, two or more left out, no vowel but the last: "Mme");
- a derivation: the candidate plus or less a suffix of :data:`SUFFIXES` ("baker" and "bakery",
  "freshly" and "fresh"), on a base of at least four letters;
- a typo: at most one edit (insertion, deletion, substitution, transposition of neighbours) in a
  candidate of six letters or more, two in one of eight or more, with the first letter kept.

A guessed relation (all but the number and the exact compound) is taken only when it is
unambiguous: the reply's word is not itself a word of the passage (the passage's "car" is a car,
not a "cardigan"), and among every candidate word and every word of the passage exactly one
fits, a candidate. The reply is then rewritten with the candidate's spelling, and graded as
before; the rewrite is the same whichever reading is intended, so it favours none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

from .text import content

_TOKEN = re.compile(r"[A-Za-z0-9]+(?:['\u2019][A-Za-z]+)?")
_POSSESSIVE = re.compile(r"['\u2019]s?$")
#: Suffixes that derive a word naming the same thing ("freshly", "bakery" from "baker").
SUFFIXES = ("y", "ly", "ness")
_MIN_BASE = 4
_VOWEL = re.compile("[aeiou]")
#: The reply's words read (the rest are kept as written): a step's cost stays bounded.
MAX_TOKENS = 400
_MIN_ABBREVIATION = 3
_MAX_DIGITS = 30
_ORDINALS = {
    **{w: i for i, w in enumerate("first second third fourth fifth sixth seventh eighth ninth".split(), 1)},
    **{w: i for i, w in enumerate("tenth eleventh twelfth thirteenth fourteenth fifteenth".split(), 10)},
    **{"sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20},
    **{"thirtieth": 30},
}
_DIGIT_ORDINAL = re.compile(r"^(\d+)(?:st|nd|rd|th)$")


def align(reply: str, answers: Iterable[str], context: str | None = None) -> str:
    """``reply`` with each near-word of a candidate written as that candidate (see the module docstring).

    Args:
        reply: The reply, after :func:`.normal.canonical`.
        answers: Every reading's answers (the intended and the others, alike).
        context: The passage, whose words a reply's word may name instead of a candidate.

    >>> align("the hardwear store", ["the hardware store", "the library"])
    'the hardware store'
    >>> align("wed", ["Wednesday", "Tuesday"]), align("a cook book", ["a cookbook", "a hammer"])
    ('Wednesday', 'a cookbook')
    >>> align("a car", ["a cardigan", "a hammer"], "Neither owns a car.")
    'a car'
    """
    surface, pairs = {}, {}
    for answer in answers:
        words = [m[0] for m in _TOKEN.finditer(answer)]
        for word in words:
            surface.setdefault(_key(word), word)
        for first, second in pairwise(words):
            pairs.setdefault(_key(first) + _key(second), f"{first} {second}")
    passage = {_key(m[0]) for m in _TOKEN.finditer(context or "")} - set(surface)
    by_initial: dict[str, list[str]] = {}
    for word in (*surface, *passage):
        if word:
            by_initial.setdefault(word[0], []).append(word)
    vocabulary = _Vocabulary(surface, pairs, passage, by_initial)
    tokens = list(_TOKEN.finditer(reply))[:MAX_TOKENS]
    out, last, n = [], 0, 0
    while n < len(tokens):
        word, taken = _match(tokens, n, vocabulary)
        if word is not None:
            out += [reply[last : tokens[n].start()], word]
            last = tokens[n + taken - 1].end()
        n += taken
    return "".join(out) + reply[last:]


def _key(word: str) -> str:
    """A word as compared: lower case, no possessive."""
    return _POSSESSIVE.sub("", word.lower())


@dataclass(frozen=True)
class _Vocabulary:
    """The words a reply's words are read against."""

    surface: dict[str, str]
    """each candidate word as compared -> as the answer spells it"""
    pairs: dict[str, str]
    """two adjacent words of an answer, joined -> as the answer spells them"""
    passage: set[str]
    """the passage's other words"""
    by_initial: dict[str, list[str]]
    """the candidate and passage words by their first letter (a guessed relation keeps it)"""


def _match(tokens: list[re.Match], n: int, vocabulary: _Vocabulary) -> tuple[str | None, int]:
    """The candidate's spelling that tokens from ``n`` stand for (else ``None``), and how many tokens."""
    surface, passage = vocabulary.surface, vocabulary.passage
    candidates = list(surface)
    word = _key(tokens[n][0])
    if word in surface:
        return None, 1
    if n + 1 < len(tokens) and tokens[n][0].isalpha() and tokens[n + 1][0].isalpha():
        joined = word + _key(tokens[n + 1][0])
        if joined in surface:
            return surface[joined], 2  # "cook book"
        after = _key(tokens[n + 1][0])
        if len(word) == 1 and len(after) >= _MIN_ABBREVIATION:  # b day
            fits = [c for c in candidates if len(c) > len(joined) and c[0] == word and c.endswith(after)]
            if len(fits) == 1:
                return surface[fits[0]], 2  # "b day" (from "b-day") for "birthday"
    number = _number(word)
    if number is not None:
        same = [c for c in candidates if _number(c) == number]
        return (surface[same[0]] if len(same) == 1 else None), 1
    if word in vocabulary.pairs:
        return vocabulary.pairs[word], 1  # "hotdog" for "hot dog"
    if word in passage or not word.isalpha() or not content(word):
        return None, 1
    fits = _fits(word, vocabulary)
    return (surface[fits] if fits is not None else None), 1


def _fits(word: str, vocabulary: _Vocabulary) -> str | None:
    """The one candidate ``word`` abbreviates, derives or misspells, if no other word (a
    candidate or the passage's) fits."""
    same_initial = vocabulary.by_initial.get(word[0], ())
    if not any(c in vocabulary.surface for c in same_initial):
        return None  # no candidate could fit
    found = {c for c in same_initial if c != word and _related(word, c)}
    if len(found) != 1:
        return None
    (one,) = found
    return one if one not in vocabulary.passage else None


def _related(word: str, other: str) -> bool:
    """Whether ``word`` abbreviates, derives from or misspells ``other``."""
    if not other.isalpha() or word[0] != other[0]:
        return False
    if len(word) >= _MIN_ABBREVIATION and 2 * len(word) < len(other) and other.startswith(word):
        return True  # a prefix of less than half the word: "wed", "univ" (not "cook" for "cookbook")
    if _contracts(word, other):
        return True
    short, long = sorted((word, other), key=len)
    if len(short) >= _MIN_BASE and any(long == short + s for s in SUFFIXES):
        return True
    edits = 2 if len(other) >= 8 else 1 if len(other) >= 6 else 0
    return edits > 0 and abs(len(word) - len(other)) <= edits and distance(word, other) <= edits


def _contracts(word: str, other: str) -> bool:
    """Whether ``word`` is a contraction of ``other``: its first and last letters, its letters in
    order, two or more left out, and no vowel but the last letter ("Mme"; not "bay" for "birthday")."""
    return (
        len(word) >= _MIN_ABBREVIATION
        and len(other) - len(word) >= 2
        and word[-1] == other[-1]
        and not _VOWEL.search(word[:-1])
        and _in_order(word, other)
    )


def _in_order(word: str, other: str) -> bool:
    """Whether the letters of ``word`` appear in ``other`` in order."""
    rest = iter(other)
    return all(letter in rest for letter in word)


def distance(a: str, b: str) -> int:
    """Edits from ``a`` to ``b``: insertions, deletions, substitutions, swaps of neighbours.

    The optimal string alignment distance (Damerau-Levenshtein without re-editing a swapped pair).
    Written here rather than taken from ``difflib`` (whose ratio counts matching blocks, not edits,
    and counts a swap as two changes) or ``jellyfish`` (a compiled dependency for a few short words).

    >>> distance("hardwear", "hardware"), distance("recieve", "receive"), distance("store", "shore")
    (2, 1, 1)
    """
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        row = [i]
        for j, y in enumerate(b, 1):
            cost = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (x != y))
            if i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                cost = min(cost, previous2[j - 2] + 1)
            row.append(cost)
        previous2, previous = previous, row
    return previous[-1]


def _number(word: str) -> int | None:
    """The number a word names: digits, an ordinal ("first", "1st"), else ``None``."""
    if len(word) > _MAX_DIGITS:  # no answer is a longer number (and int() refuses 4,300 digits)
        return None
    if word.isdigit():
        return int(word)
    match = _DIGIT_ORDINAL.match(word)
    if match:
        return int(match[1])
    return _ORDINALS.get(word)
