"""Details a user message states that its hidden goal contradicts: false numbers, names, dates
and identifiers (:func:`contradicted`), and, asked which reading it means, the wrong reading
(:func:`wrong_reading`). Split from :mod:`~collab_env.users.llm.guards`, which applies them."""

from __future__ import annotations

import re
from collections.abc import Sequence

from collab_env.facets import questions
from collab_env.types import ChatMessage, TaskInstance
from collab_env.users.llm import facts, register
from collab_env.users.llm.wording import _content, _normal, _states, _tokens, _words, sentences

_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)?(?![\w])")
_NUMERIC_VALUE = re.compile(r"(at (most|least) )?\$?\d[\d.,]*%?( \w+)?", re.I)
_AMOUNT = re.compile(r"(?<=\$)\d+(?:[.,]\d+)?|(?<!\d)\d++(?:[.,]\d++)?+(?=\s?%)")  # a run read once
_RESULT = re.compile(r"=\s*\$?(\d[\d.,]*)")
_IDENTIFIER = re.compile(r"`(\w+)`|\b([a-z]+(?:_[a-z0-9]+)+)\b")
_DATE_WORDS = (
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july "
    "august september october november december"
).split()


def contradicted(text: str, messages: Sequence[ChatMessage], instance: TaskInstance) -> list[str]:
    """What ``text`` states that the hidden goal contradicts: the false numbers, names or dates.

    Only details of a kind the goal fixes are checked, and only those neither the goal nor the
    conversation holds (a user repeats the assistant's wrong figure to correct it):

    - a number, where a facet's value is a number ("3", "at most 30"), when it is an amount ($, %)
      or its sentence shares a word with such a facet's statement; results after ``=`` aside;
    - an identifier (``snake_case`` or in backticks), where a facet names one;
    - a weekday or month, where a facet is a date;
    - a facet named with a value foreign to the goal ("the audience is young people", the goal's
      being new customers): sharing no word with the facet's value, nor a content word with the
      goal's sentence that gives it (a title's description: "the purpose is a collaboration",
      where the goal reads "Networking Outreach: ... a collaboration opportunity");
    - another candidate, where a facet's keywords list the candidates (the QA readings) and the
      message names one of them but not the goal's, or a sentence names both without denying one;
    - a detail given to the wrong candidate: a sentence that names one candidate with a date or
      number that the material says only of another ("Hana went on Monday" where Clara went on
      Monday), unless the sentence denies it.
    """
    known = _known(messages, instance)
    mine, facets = _normal(text), instance.facets
    false: list[str] = []
    numeric = [f for f in facets if _NUMERIC_VALUE.fullmatch(f.value)]
    if numeric:
        results = {r.rstrip(".,") for r in _RESULT.findall(mine)}
        about = {w for f in numeric for w in _words(f.statement)}
        for sentence in sentences(mine):
            facts = (
                _AMOUNT.findall(sentence) if about.isdisjoint(_words(sentence)) else _NUMBER.findall(sentence)
            )
            false += [n for n in facts if n not in results and not _states(known, n)]
    if any(_IDENTIFIER.fullmatch(f.value) for f in facets):
        false += [a or b for a, b in _IDENTIFIER.findall(text) if not _states(known, a or b)]
    if any(w in _normal(f.value) for f in facets for w in _DATE_WORDS):
        false += [w for w in _DATE_WORDS if _states(mine, w) and not _states(known, w)]
    return false + _misstated(mine, instance) + wrong_reading(text, messages, instance)


def asks_which(message: str, instance: TaskInstance) -> bool:
    """Whether ``message`` asks which of the candidates the user means (a question naming two).

    >>> from collab_env.types import Facet
    >>> reading = Facet("reading", "reading", "Dana", "I mean Dana.", ("Dana", "Anna"))
    >>> goal = TaskInstance("t", "qa", "", (reading,), None, "")
    >>> asks_which("Quick question: Dana or Anna?", goal), asks_which("Answer: Friday. Anna read.", goal)
    (True, False)
    """
    asked = [_normal(q) for q in questions(message)]
    return any(
        sum(_states(q, k) for k in f.keywords) >= 2
        for f in instance.facets
        if f.value in f.keywords
        for q in asked
    )


def wrong_reading(text: str, messages: Sequence[ChatMessage], instance: TaskInstance) -> list[str]:
    """What ``text`` says against the reading the hidden goal means, where a facet's keywords
    list the candidates (the QA readings): another candidate named without the goal's, both
    named in one sentence that denies neither, or a detail given to the wrong candidate.

    >>> from collab_env.types import Facet
    >>> story = "On Monday, Dana went to the harbour. On Friday, Anna went to the library and read."
    >>> reading = Facet("reading", "reading", "Dana", "I mean Dana.", ("Dana", "Anna"))
    >>> goal = TaskInstance("t", "qa", story, (reading,), None, story)
    >>> wrong_reading("Anna went to the library.", [], goal)
    ['Anna']
    >>> wrong_reading("Dana went to the library and read.", [], goal)
    ['dana: library, read']
    >>> wrong_reading("I mean Dana, the one at the harbour.", [], goal)
    []
    """
    known = _known(messages, instance)
    mine, false = _normal(text), []
    for f in instance.facets:
        if f.value not in f.keywords:
            continue
        others = [k for k in f.keywords if _normal(k) != _normal(f.value)]
        if not _states(mine, f.value):
            false += [k for k in others if _states(mine, k)]
        else:  # both readings at once, "I mean Clara, Hana.", is no answer; the passage's own
            # sentence ("Clara and Hana are two cousins") is the story, not an answer
            false += [k for s in sentences(mine) if not s.endswith("?") and not register.CORRECTION.search(s)
                      and s.rstrip(".!") not in known
                      for k in others if _states(s, k) and _states(s, f.value)]  # fmt: skip
        if len(f.keywords) > 1:
            false += _misattributed(mine, sentences(known), [_normal(k) for k in f.keywords])
    return false


def _misstated(mine: str, instance: TaskInstance) -> list[str]:
    """``"facet: what was said"`` for each sentence that gives a facet by its name with a value
    sharing no word with the goal's value, nor a content word with the goal's own sentence that
    gives the value ("The audience is young people", the goal's being new customers; but "The
    purpose is to propose a collaboration" where the goal's purpose, "Networking Outreach", is
    described as "... a collaboration opportunity"); a sentence that corrects ("not", "instead")
    is left alone (stop 34)."""
    false, goal = [], sentences(_normal(instance.request))
    for f in instance.facets:
        said = re.compile(rf"\bthe {re.escape(f.name.replace('_', ' '))}\b[^.!?\n]{{0,40}}?"
                          r"\b(is|are|should be|will be|must be)\b(?P<rest>[^.!?\n]+)")  # fmt: skip
        context = _content(" ".join(s for s in goal if _states(s, f.value)))
        for match in said.finditer(mine):
            sentence, rest = match.group(0), match["rest"]
            if (
                not register.CORRECTION.search(sentence)
                and _tokens(f.value).isdisjoint(_tokens(rest))
                and context.isdisjoint(_content(rest))
            ):
                false.append(f"{f.name}: {rest.strip()}")
    return false


def _misattributed(mine: str, known: list[str], candidates: list[str]) -> list[str]:
    """``"candidate: details"`` for each sentence of ``mine`` that gives one candidate what the
    ``known`` sentences say only of other candidates: a date or number, or two of their words
    ("Julia went to the library and borrowed a novel", where Dana did)."""
    false = []
    for sentence in sentences(mine):
        named = [c for c in candidates if _states(sentence, c)]
        if len(named) != 1 or register.CORRECTION.search(sentence):
            continue
        dates = [w for w in _DATE_WORDS if _states(sentence, w)] + _NUMBER.findall(sentence)
        words = sorted(_words(sentence) - set(_words(" ".join(candidates))), key=sentence.find)
        theirs = [w for w in words if _only_of_others(w, named[0], known, candidates)]
        details = [d for d in dates if _only_of_others(d, named[0], known, candidates)]
        details += theirs if len(theirs) >= 2 else []
        if details:
            false.append(f"{named[0]}: {', '.join(details)}")
    return false


def _only_of_others(detail: str, named: str, known: list[str], candidates: list[str]) -> bool:
    """Whether the ``known`` sentences that say ``detail`` name other candidates, never ``named``."""
    said = [k for k in known if _states(k, detail)]
    return not any(_states(k, named) for k in said) and any(
        _states(k, c) for k in said for c in candidates if c != named
    )


_known = facts.known
