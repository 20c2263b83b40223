"""The QA family's words: answers normalised as SQuAD does, token F1, sentences and content words."""

from __future__ import annotations

import re
import string
from collections import Counter

from collab_env.facets import stems

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PER_CENT = re.compile(r"\bper cent\b")  # whole words: "Cooper Center" keeps its two words
_PUNCT = str.maketrans("", "", string.punctuation)
_SENTENCE = re.compile(r"[^\n]*?(?:[.!?;](?:\s|$)|\n|$)")
#: What ends a clause.
CLAUSE = re.compile(r"[,.;:!?\n]")
_FUNCTION = frozenset(
    stems(
        "a an the of to in on at by for with from and was were is are be been it its he she they her his their them"
    )
)


def normalize_answer(text: str) -> str:
    """Lower case, no punctuation, no articles, single spaces.

    >>> normalize_answer("The  Market!"), normalize_answer("-85%"), normalize_answer("85 per cent")
    ('market', '85 percent', '85 percent')
    """
    text = _PER_CENT.sub("percent", text.lower().replace("%", " percent "))
    return " ".join(_ARTICLES.sub(" ", text.translate(_PUNCT)).split())


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


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` (a line break ends one too).

    >>> sentences("On Monday. She left!\\nThen home")
    ['On Monday. ', 'She left!\\n', 'Then home']
    """
    return [m[0] for m in _SENTENCE.finditer(text.strip()) if m[0].strip()]


def content(text: str) -> list[str]:
    """Stems of the words that carry content (no articles, pronouns or common prepositions).

    >>> content("She went to the harbour")
    ['went', 'harbour']
    """
    return [s for s in stems(normalize_answer(text)) if s not in _FUNCTION]


def expand_acronyms(reply: str, gold: str) -> str:
    """``reply`` with an acronym of the gold's capitalised words written out.

    >>> expand_acronyms("UPS's hub", "United Parcel Service")
    "United Parcel Service's hub"
    """
    names = re.findall(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+", gold)
    for name in names:
        acronym = "".join(word[0] for word in name.split())
        reply = re.sub(rf"\b{acronym}\b", name, reply)
    return reply
