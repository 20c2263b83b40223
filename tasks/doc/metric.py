"""Doc metric: sentence BLEU of the document against the target, in [0, 1]."""

from __future__ import annotations

import functools

from sacrebleu.metrics import BLEU


@functools.cache
def _bleu() -> BLEU:
    # effective_order: short documents must not score 0 only for lacking a 4-gram match.
    return BLEU(effective_order=True)


def bleu(document: str, target: str) -> float:
    """sacrebleu sentence BLEU / 100.

    >>> bleu("Hi team, lunch is at noon.", "Hi team, lunch is at noon.")
    1.0
    >>> bleu("Hello", "Dear all, lunch is at noon.")
    0.0
    """
    return min(1.0, _bleu().sentence_score(document, [target]).score / 100)  # float noise can exceed 1
