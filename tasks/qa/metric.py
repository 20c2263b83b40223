"""QA metric: SQuAD-style normalised exact match, or token F1 at or above a threshold."""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Iterable

F1_THRESHOLD = 0.8
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans("", "", string.punctuation)


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


def is_correct(prediction: str, golds: Iterable[str], threshold: float = F1_THRESHOLD) -> bool:
    """Whether ``prediction`` matches any gold answer (exact after normalisation, or F1 >= threshold).

    >>> is_correct("The library.", ["library"]), is_correct("the market", ["library"])
    (True, False)
    """
    golds = list(golds)
    norm = normalize_answer(prediction)
    return any(norm == normalize_answer(g) or token_f1(prediction, g) >= threshold for g in golds)
