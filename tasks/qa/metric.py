"""QA metric: does a reply state the gold answer, as people write answers, without hedging?

A reply is correct when it commits to one answer and that answer is a gold one: the reply
matches it (SQuAD-style normalised exact match, or token F1 >= 0.8), or states it in a sentence
("Julia went to the harbour." for "the harbour": every content word of the gold answer is in a
reply at most 15 content words longer), or, for a yes/no gold answer, takes its side ("No, he
cannot."). A reply that hedges ("either X or Y", "depending on which you mean", "yes and no",
"I'm not sure") or also states another reading's answer commits to nothing and is wrong.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Iterable

from collab_env.facets import stems

F1_THRESHOLD = 0.8
#: A reply may add this many content words to the gold answer and still be read as stating it.
MAX_EXTRA_WORDS = 15
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans("", "", string.punctuation)
#: How people avoid committing to one answer.
_HEDGE = re.compile(
    r"\b(?:either|or|depends|depending|not sure|unsure|unclear|can't tell|cannot tell|hard to say|"
    r"if you mean|whereas|on the other hand|yes and no|don't know|do not know|no idea|unknown)\b",
    re.I,
)
_POSSESSIVE = re.compile(r"['\u2019]s\b")
_YES = frozenset({"yes", "yeah", "yep", "yup", "correct", "indeed", "sure", "right"})
_NO = frozenset({"no", "nope", "not", "never", "neither", "nobody", "none"})
_FUNCTION = frozenset(
    stems(
        "a an the of to in on at by for with from and was were is are be been it its he she they her his their them"
    )
)


def normalize_answer(text: str) -> str:
    """Lower case, no punctuation, no articles, single spaces.

    >>> normalize_answer("The  Market!")
    'market'
    """
    return " ".join(_ARTICLES.sub(" ", text.lower().translate(_PUNCT)).split())


def token_f1(prediction: str, gold: str) -> float:
    """Token-level F1 of two answers after normalisation, in [0, 1].

    >>> round(token_f1("the old market", "market"), 2)
    0.67
    """
    pred, ref = normalize_answer(prediction).split(), normalize_answer(gold).split()
    common = sum((Counter(pred) & Counter(ref)).values())
    if not pred or not ref or common == 0:
        return float(pred == ref)
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def hedges(reply: str) -> bool:
    """Whether a reply avoids committing to one answer.

    >>> hedges("Either Monday or Thursday."), hedges("Yes and no."), hedges("On Thursday.")
    (True, True, False)
    """
    return bool(_HEDGE.search(reply.replace("\u2019", "'")))


def states(reply: str, gold: str) -> bool:
    """Whether ``reply`` states ``gold``: a match, the gold's content words in a short enough
    sentence, or, for a yes/no gold answer, the same side.

    >>> states("Julia went to the harbour and watched the boats.", "the harbour")
    True
    >>> states("On Thursday.", "Thursday"), states("No, he cannot.", "no"), states("She left.", "Monday")
    (True, True, False)
    """
    reply, gold = _POSSESSIVE.sub("", reply), _POSSESSIVE.sub("", gold)  # "UPS's hub" states "the UPS hub"
    if normalize_answer(reply) == normalize_answer(gold) or token_f1(reply, gold) >= F1_THRESHOLD:
        return True
    side = _side(gold)
    if side is not None and len(normalize_answer(gold).split()) == 1:
        return _side(reply) == side
    need = _content(gold)
    have = _content(reply)
    return bool(need) and set(need) <= set(have) and len(have) <= len(need) + MAX_EXTRA_WORDS


def is_correct(
    prediction: str, golds: Iterable[str], others: Iterable[str] = (), threshold: float = F1_THRESHOLD
) -> bool:
    """Whether ``prediction`` commits to a gold answer (see the module docstring).

    Args:
        prediction: The reply (or the part after "Answer:").
        golds: The answers that count as right.
        others: Answers to the other readings: a reply that states one of them as well hedges.
        threshold: Token F1 at or above which a short reply matches a gold answer.

    >>> is_correct("The library.", ["library"]), is_correct("the market", ["library"])
    (True, False)
    >>> is_correct("Clara went on Monday and Hana on Thursday.", ["Thursday"], others=["Monday"])
    False
    """
    if hedges(prediction) or any(states(prediction, other) for other in others):
        return False
    norm = normalize_answer(prediction)
    return any(
        norm == normalize_answer(g) or token_f1(prediction, g) >= threshold or states(prediction, g)
        for g in golds
    )


def _side(text: str) -> str | None:
    """``"yes"`` or ``"no"`` for a reply that opens with a polar word, else ``None``."""
    words = normalize_answer(text).split()
    if not words:
        return None
    if words[0] in _YES:
        return "yes"
    if words[0] in _NO or words[0].endswith("nt"):
        return "no"
    return None


def _content(text: str) -> list[str]:
    """Stems of the words that carry content (no articles, pronouns or common prepositions)."""
    return [s for s in stems(normalize_answer(text)) if s not in _FUNCTION]
