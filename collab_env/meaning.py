"""Does a message state a facet? Matching by meaning, not by the facet's literal value.

A user who was told "Raise a ValueError if the list contains None." writes "it should throw a
ValueError when there's a None in it"; a person whose goal is "Apology Letter: Write a sincere
letter ..." writes "a sincere apology to a friend". Neither holds the facet's value as a
substring. :func:`states_facet` reads both as stating the facet:

- **Normalised words**: lower case, punctuation aside, numbers as digits ("two-year" is "2 year",
  "$3.00" and "3 dollars" hold 3, "5th" is 5, "1,000" is 1000), plural, verb and derivational
  endings stripped ("capitalization" and "capitals" share the root ``capit``).
- **The goal's own wording as synonyms**: a facet's *cues* are the content words of its value
  and of its statement (the sentence the goal gives it in), but for the facet kind's name. A
  sentence states the facet when it holds enough of the cues, at least one of them
  *distinctive*: not a word of the other facets, nor of the task's opening (topic words such as
  "function" or "slug" say which task, not which detail).
- **Numbers are the facet's**: a facet whose value holds a number is stated only where that
  number is (3 is not 30, nor 3.5), not negated ("not $3"), and where the sentence's words fit
  it at least as well as any other facet holding the number ("I bought 2 pens" states the pen
  count, not the notebook count of 2).
- **Polarity**: a negated mention ("don't raise", "no limit" against "at most 30") is not the
  facet's unless the goal's own sentence is negated too.

No thesaurus, no model: the library's matching stays deterministic and light.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence

from collab_env.facets import FUNCTION_WORDS, stem
from collab_env.types import Facet

_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen"
).split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_NUMBER_WORDS = {w: i for i, w in enumerate(_UNITS)} | {w: 10 * (i + 2) for i, w in enumerate(_TENS)}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
_NEGATORS = frozenset(
    "not no never nor neither without don't doesn't didn't isn't aren't won't can't shouldn't".split()
)
#: Words of asking for a document or a function: they say that a task is asked, not which detail.
_REQUEST_WORDS = "write create want like need make provide function return python code document"
_TOKEN = re.compile(r"\$?\d+(?:,\d{3})*(?:\.\d+)?(?:st|nd|rd|th)?|[a-z]+(?:'[a-z]+)?")
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")
_IDENTIFIER = re.compile(r"\w*_\w*")
_SUFFIXES = ("isation", "ation", "ition", "ance", "ence", "ment", "ness", "ity", "ous", "ive",
             "ful", "ion", "ate", "ise", "ic", "al", "ou", "at", "is", "ly", "y", "e")  # fmt: skip


@functools.lru_cache(maxsize=65536)
def root(word: str) -> str:
    """A word's root: :func:`collab_env.facets.stem`, then derivational endings stripped.

    >>> [root(w) for w in ("capitalization", "capitals", "apologizing", "apology", "humorous")]
    ['capit', 'capit', 'apolog', 'apolog', 'humor']
    """
    word = stem(word.replace("z", "s"))
    while True:
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 4:
                word = word[: -len(suffix)]
                break
        else:
            return word


def tokens(text: str) -> list[str]:
    """The words and numbers of ``text``, normalised: lower case, numbers as digits (number words
    included), thousands separators and ordinal endings dropped, ``$3`` read as "3 dollar".

    >>> tokens("It costs $3.00, twenty-five in all, on May 5th; 1,000 two-year deals")
    ['it', 'costs', '3', 'dollar', '25', 'in', 'all', 'on', 'may', '5', '1000', '2', 'year', 'deals']
    """
    raw = _TOKEN.findall(text.lower().replace("\u2019", "'").replace("-", " "))
    out: list[str] = []
    pending: int | None = None
    for word in raw:
        value = _NUMBER_WORDS.get(word)
        if word in _SCALES:  # "two hundred", "a hundred"
            pending = (pending or 1) * _SCALES[word]
            continue
        if value is not None and pending is not None and _joins(pending, value):
            pending += value
            continue
        if pending is not None:
            out.append(str(pending))
            pending = None
        if value is not None:
            pending = value
            continue
        if word[0].isdigit() or word[0] == "$":
            number = re.sub(r"(st|nd|rd|th)$", "", word.lstrip("$")).replace(",", "")
            out += [re.sub(r"\.0+$", "", number)] + (["dollar"] if word[0] == "$" else [])
            continue
        out.append(word)
    return out + ([str(pending)] if pending is not None else [])


def _joins(pending: int, value: int) -> bool:
    """Whether a number word continues the number read so far ("twenty" "five", "hundred" "two")."""
    return (pending % 100 == 0 and value < 100) or (pending % 10 == 0 and 20 <= pending % 100 and value < 10)


def _number(token: str) -> bool:
    return token[0].isdigit()


def _numbers(facet: Facet) -> set[str]:
    """The numbers of a facet's value."""
    return {t for t in tokens(facet.value) if _number(t)}


_FUNCTION_ROOTS = frozenset(root(w) for w in FUNCTION_WORDS.split())


def content_roots(text: str) -> set[str]:
    """The roots of ``text`` that can carry a detail: numbers, and words of three letters or more
    that are not function words.

    >>> sorted(content_roots("Please keep the original capitalisation, at most 30 chars"))
    ['30', 'capit', 'char', 'origin']
    """
    return {t if _number(t) else root(t) for t in tokens(text) if _number(t) or len(t) >= 3} - _FUNCTION_ROOTS


class _Cues:
    """What a facet is recognised by (computed once per facet, its neighbours and its opening)."""

    def __init__(self, facet: Facet, others: tuple[Facet, ...], opening: str) -> None:
        kind = content_roots(facet.kind.replace("_", " ")) | content_roots(_REQUEST_WORDS)
        self.identifier = "_" in facet.value and bool(_IDENTIFIER.fullmatch(facet.value.strip("`")))
        self.numbers = _numbers(facet)
        self.value = content_roots(facet.value) - self.numbers
        self.words = content_roots(facet.value) | content_roots(facet.statement)
        self.context = self.words - self.numbers
        theirs = [content_roots(f"{g.value} {g.statement}") for g in others]
        shared = set().union(*theirs)
        self.distinctive = self.context - shared - content_roots(opening) - kind
        if not self.distinctive:  # the kind's name is all that sets it apart ("For an empty list")
            self.distinctive = self.context - shared
        self.anchor = self.value & content_roots(facet.statement)  # the value, as the goal words it
        self.generic = any(self.value <= t for t in theirs)  # its value is in another's sentence
        said = tokens(facet.statement)
        self.negated = {root(w) for i, w in enumerate(said) if _negated(said, i)}
        self.others = others
        self.facet = facet


@functools.lru_cache(maxsize=4096)
def _cues(facet: Facet, others: tuple[Facet, ...], opening: str) -> _Cues:
    return _Cues(facet, others, opening)


def sentences(text: str) -> list[str]:
    """The sentences, clauses after a semicolon, and lines of ``text``."""
    return [s for s in _SENTENCE.split(text) if s.strip()]


def states_facet(text: str, facet: Facet, others: Iterable[Facet] = (), opening: str = "") -> bool:
    """Whether ``text`` states ``facet``, in the goal's words or in others (see the module docstring).

    Args:
        text: A message, or a conversation's messages joined by newlines.
        facet: The facet looked for.
        others: The instance's other facets (their words are not ``facet``'s distinctive ones; a
            number they share goes to the facet whose words fit the sentence best).
        opening: The task's opening request (its words say which task, not which detail).

    Returns:
        ``True`` when one sentence of ``text`` states the facet.

    >>> from collab_env.types import Facet
    >>> none = Facet("missing_values", "missing_values", "raise on None", "Raise a ValueError if the list contains None.")
    >>> empty = Facet("empty_input", "empty_input", "raise ValueError", "For an empty list, raise a ValueError.")
    >>> states_facet("It should throw a ValueError when there's a None in it.", none, [empty])
    True
    >>> states_facet("Skip any None values.", none, [empty]), states_facet(empty.statement, none, [empty])
    (False, False)
    >>> count = Facet("count_a", "count", "2", "I bought 2 notebooks.")
    >>> pens = Facet("count_b", "count", "2", "I bought 2 pens.")
    >>> [states_facet(t, count, [pens]) for t in ("I got two notebooks", "I bought 2 pens", "3 notebooks")]
    [True, False, False]
    """
    cues = _cues(facet, tuple(g for g in others if g != facet), opening)
    return any(_sentence_states(s, cues) for s in sentences(text))


_NOT_A_NEGATION = frozenset("know sure think mind care matter worry more less longer over than".split())


def _negated(words: Sequence[str], at: int, span: int = 3) -> bool:
    """Whether a negator is among the ``span`` words before position ``at`` ("I don't know, ..."
    negates nothing that follows)."""
    before = words[max(0, at - span) : at]
    return any(
        (w in _NEGATORS or w.endswith("n't"))
        and (k + 1 == len(before) or before[k + 1] not in _NOT_A_NEGATION)
        for k, w in enumerate(before)
    )


def _sentence_states(sentence: str, cues: _Cues) -> bool:
    """Whether one sentence states the facet of ``cues``."""
    if cues.identifier:
        name = re.escape(cues.facet.value.strip("`").lower())
        match = re.search(rf"(?<!\w){name}(?!\w)", sentence.lower())
        before = tokens(sentence[: match.start()]) if match else []
        return match is not None and not _negated(before, len(before))
    words = tokens(sentence)
    roots = [w if _number(w) else root(w) for w in words]
    first: dict[str, int] = {}
    for i, r in enumerate(roots):
        first.setdefault(r, i)
    if any(_negated(words, first[r]) != (r in cues.negated) for r in cues.context if r in first):
        return False  # "don't round" for "round to 2 places"; "round it" for "don't round"
    if cues.numbers:
        return _numbers_state(words, roots, cues)
    found = cues.words & first.keys()
    if (
        cues.value
        and cues.value <= found
        and (not cues.generic or not cues.distinctive or found & cues.distinctive)
    ):
        return True  # the value's own words, in any order and form
    if cues.anchor and not found & cues.anchor:
        return False  # the goal's frame without its value ("Join the words with underscores")
    if cues.distinctive and not found & cues.distinctive:
        return False  # only words the other facets or the opening share
    if len(cues.anchor) >= 2 and len(found) < 2:
        return False  # one word of a value of several ("the whole team" for "the Marketing Team")
    return len(found) >= _needed(len(cues.words))


def _needed(cues: int) -> int:
    """How many of a facet's cue words a sentence must hold: one of a short facet, more of a long."""
    return 1 if cues <= 3 else 2 if cues <= 6 else 3


def _numbers_state(words: list[str], roots: list[str], cues: _Cues) -> bool:
    """Whether a sentence states a facet whose value holds numbers: each number there, not
    negated, and the sentence's words fit it at least as well as another facet with them."""
    present = {w for i, w in enumerate(words) if _number(w) and not _negated(words, i)}
    if not cues.numbers <= present:
        return False
    said = set(roots)
    rest = cues.value
    if rest and not said & (rest | cues.distinctive):
        return False
    mine = len(said & cues.context)
    rivals = [
        len(said & (content_roots(f"{g.value} {g.statement}") - _numbers(g)))
        for g in cues.others
        if _numbers(g) and _numbers(g) <= present
    ]
    return mine >= max(rivals, default=0)


__all__ = ["content_roots", "root", "sentences", "states_facet", "tokens"]
