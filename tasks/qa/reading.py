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

Either way the reply may hold no word that only another reading's answer has. A reply may also
name a gold answer by a part of it (:func:`names_by_part`): a noun phrase's head, a name's part
the passage gives no one else; and leave out a count of what it names (:func:`uncounted`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import pairwise

from collab_env.facets import stems

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


def points_to(text: str, answers: list[str]) -> int | None:
    """The one of ``answers`` with which ``text`` shares a content word that no other answer has,
    where it shares none with a second answer ("the poetry book" points to "a poetry
    collection", not to "cinnamon rolls"), else ``None``. Read alike for every answer: which one
    is intended plays no part.

    >>> points_to("the poetry book", ["cinnamon rolls", "a poetry collection"]), points_to("that one", ["x y"])
    (1, None)
    """
    said = set(content(text))
    words = [set(content(a)) for a in answers]
    pointed = [
        n
        for n, mine in enumerate(words)
        if said & (mine - set().union(*(w for k, w in enumerate(words) if k != n)))
    ]
    if len(pointed) != 1 or any(said & w for k, w in enumerate(words) if k != pointed[0]):
        return None
    return pointed[0]


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


#: Counts of a noun ("two captains", read "2 captains" by :func:`.normal.canonical`) that a reply
#: naming the noun may omit: up to 100 (a larger number is a year or a code: "the 2012 Games").
COUNTS = frozenset(
    stems(
        "one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty hundred dozen"
    )
) | {str(n) for n in range(1, 101)}

#: Endings that derive a noun from a noun or adjective without changing what it names ("the
#: captaincy", "nervousness"); not "-ship" or "-hood", whose nouns name another thing ("friendship",
#: "neighbourhood").
_DERIVED = ("ness", "cy")
#: The shortest stem a derived word is read back to: "lunacy" is not "Luna".
_MIN_BASE = 5
#: A capitalised word: a part of a name when the passage never writes it in lower case.
_CAPITALISED = re.compile(r"\b[A-Z][a-z'\-]+")
#: A person's name as a gold answer: capitalised words only ("Matthew Moon", "Fray.").
_NAME = re.compile(r"(?:[A-Z][\w'\-]*\.?\s*)+")
#: A run of capitalised words: a name ("Fernando Torres").
_NAME_RUN = re.compile(r"\b[A-Z][\w'\-]*(?:[ \t]+[A-Z][\w'\-]*)*")
#: What joins the people of a gold answer ("Fabregas and Torres", "Ann, Bea").
_CONJUNCTION = re.compile(r"\s*(?:,|&|\band\b)\s*")
#: A noun phrase opened by an article, named by its head alone ("a balloon" for "a hot air balloon").
_ARTICLE = re.compile(r"^\s*(?:a|an|the)\s", re.I)


def underived(word: str) -> str:
    """``word`` without a derivational ending ("captaincy" -> "captain"), else itself."""
    for ending in _DERIVED:
        if word.endswith(ending) and len(word) - len(ending) >= _MIN_BASE:
            return stems(word[: -len(ending)])[0]
    return word


def names_by_part(have: list[str], gold: str, context: str | None) -> bool:
    """Whether a reply made of part of a gold answer's words still names it.

    A noun phrase is named by its head, its last word, with at least half of its words ("loaf"
    for "a rye loaf", "paint" for "a can of paint"; not "farm" for "hire it out to fools to
    farm"), or alone when an article opens it ("balloon" for "a hot air balloon"). A person is named by any part of the name when the passage (``context``) writes
    that part next to no other name ("Matthew" for "Matthew Moon"; not "Moon" where a "Jane
    Moon" is mentioned too); without the passage, a name's parts do not count.
    """
    need = content(gold)
    if len(set(need)) < 2 or not have or not set(have) <= set(need):
        return False
    if context is not None and (
        _names_conjuncts(have, gold, context) or _names_head(set(have), gold, context)
    ):
        return True
    if not _NAME.fullmatch(gold.strip()):
        return need[-1] in have and (2 * len(set(have)) >= len(set(need)) or bool(_ARTICLE.match(gold)))
    return context is not None and _unshared(set(have), set(need), context)


def _names_conjuncts(have: list[str], gold: str, context: str) -> bool:
    """Whether ``have`` names each person of a gold that joins several ("Fabregas and Torres" for
    "Cesc Fabregas and Liverpool striker Fernando Torres"), each by its head name's part."""
    parts = [p for p in _CONJUNCTION.split(gold) if p.strip()]
    if len(parts) < 2:
        return False
    for part in parts:
        mine = set(have) & set(content(part))
        if not mine or not _names_head(mine, part, context):
            return False
    return True


def _names_head(parts: set[str], phrase: str, context: str) -> bool:
    """Whether ``parts`` name the person a phrase ends with, when the phrase is a name after
    titles only ("Liverpool striker Fernando Torres": no article nor preposition), by parts of
    the name that the passage gives no one else."""
    phrase = phrase.strip().rstrip(".,;:!?")
    runs = list(_NAME_RUN.finditer(phrase))
    if not runs or runs[-1].end() != len(phrase) or len(content(phrase)) != len(phrase.split()):
        return False
    name = set(content(runs[-1][0]))
    return bool(parts) and parts <= name and _unshared(parts, name, context)


def _unshared(parts: set[str], name: set[str], context: str) -> bool:
    """Whether every name word that ``context`` writes next to one of ``parts`` is in ``name``."""
    lower = set(content(" ".join(re.findall(r"\b[a-z][\w'\-]*", context))))  # no name is written so
    tokens = [(m.start(), m.end(), content(m[0])) for m in _CAPITALISED.finditer(context)]
    for (_, end, word), (start, _, after) in pairwise(tokens):
        if not word or not after or context[end:start].strip():  # not adjacent
            continue
        for one, other in ((word[0], after[0]), (after[0], word[0])):
            if one in parts and other not in lower and other not in name:
                return False
    return True


def uncounted(need: list[str], have: list[str]) -> list[str]:
    """The gold's content words less its counts of a following noun, when the reply gives no count."""
    counts = {w for w, after in pairwise(need) if w in COUNTS and after not in COUNTS}
    if not counts or any(w in COUNTS or w.isdigit() for w in have):
        return need
    return [w for w in need if w not in counts]
