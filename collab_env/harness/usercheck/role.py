"""The card's role check: does a user message's sentence read like an assistant's, by people's data?

A small text classifier, trained at run time on SimulatorArena's recorded conversations (the
people's ``user_queries`` against the assistants' ``ai_responses``, document and math), sentence
by sentence. It reads a sentence's style, not its topic: words outside a closed list of function
and conversation words (:data:`KEEP`) are masked by shape (:func:`style`), so a user's code or a
story's names count for nothing, and TF-IDF n-grams of the masked words feed a logistic
regression (scikit-learn, the ``card`` extra). A fixed share of the conversations is held out
(by conversation, seed :data:`SEED`); the threshold is chosen on the training conversations'
people's turns alone, from scores out of fold, so that at most :data:`BUDGET` of them would be
flagged (a turn's score is its highest sentence's). A user message scoring above it is drift of
kind :data:`KIND` in the card's independent check (:mod:`.checks`).

>>> style("Of course, I'd be happy to help you draft it!")
"of w , i'd be happy to help you w it !"
>>> sentences("Thanks!  Can you make it shorter? It's for my team.\\n- keep the title")
['Can you make it shorter?', "It's for my team.", 'keep the title']
"""

from __future__ import annotations

import functools
import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from collab_env.errors import ConfigError

#: SimulatorArena's files the check trains on, looked for in the folder of the card's people data.
FILES = ("doc_conversations.jsonl", "math_conversations.jsonl")
#: The drift kind of a message the check flags.
KIND = "assistant_like"
#: Share of people's turns in the training conversations the threshold may flag (out of fold).
BUDGET = 0.01
#: Share of the conversations held out from training (by conversation), and the split's seed.
HELD_OUT, SEED = 0.25, 0
#: Folds over the training conversations for the out-of-fold scores the threshold is read from.
FOLDS = 5
#: Sentences of fewer words are not scored ("Thanks!", "Yes, please.").
MIN_WORDS = 3
#: Words kept as they are (function words and the words of a conversation's roles); every other
#: word is masked by its shape (:func:`style`).
KEEP = frozenset(
    "a about above after again against all also am an and any are as at be because been before being below between "
    "both but by can could did do does doing don't down during each few for from further had has have having he her "
    "here here's hers herself him himself his how i i'd i'll i'm i've if in into is it it's its itself just let "
    "let's me more most my myself no nor not now of off on once only or other our ours ourselves out over own same "
    "she should so some such than that that's the their theirs them themselves then there these they this those "
    "through to too under until up very was we we'll we're were what when where which while who whom why will with "
    "would you you'll you're your yours yourself yourselves can't won't isn't may might must shall thanks thank "
    "please sorry hope help glad happy sure ok okay yes great certainly absolutely apologize need want like know "
    "feel free make write try fix really well hi hello dear regards best kind".split()
)
_FENCE = re.compile(r"```.*?```", re.S)
_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")
_BULLET = re.compile(r"^\s*(?:[-*•>#]+|\d+[.)])\s*")
_WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?")
_TOKEN = re.compile(r"[A-Za-z]+(?:'[a-z]+)?|\d+|[^\sA-Za-z\d]")
EXTRA = "card"


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` that the check scores: code fences dropped, split at lines and
    sentence ends, list marks and bold stripped, those of :data:`MIN_WORDS` words or more."""
    out = []
    for line in _FENCE.sub(" ", text).splitlines():
        line = _BULLET.sub("", line).replace("**", "").strip()
        out.extend(s.strip() for s in _SPLIT.split(line) if len(_WORD.findall(s)) >= MIN_WORDS)
    return out


def style(sentence: str) -> str:
    """``sentence`` as the classifier reads it: words of :data:`KEEP` lower-cased, other words as
    ``w`` (``W`` capitalised), numbers as ``0``, punctuation kept."""
    out = []
    for token in _TOKEN.findall(sentence):
        low = token.lower()
        out.append(low if low in KEEP else "0" if token[0].isdigit() else ("W" if token[0].isupper() else "w")
                   if token[0].isalpha() else token)  # fmt: skip
    return " ".join(out)


@dataclass(frozen=True)
class Conversation:
    """One recorded conversation: its id and the people's and the assistant's turns."""

    id: str
    people: tuple[str, ...]
    assistant: tuple[str, ...]


def load_conversations(folder: str | Path) -> list[Conversation]:
    """The conversations of SimulatorArena's :data:`FILES` in ``folder``.

    Raises:
        FileNotFoundError: naming the first file that is absent.
    """
    out = []
    for name in FILES:
        path = Path(folder) / name
        if not path.exists():
            raise FileNotFoundError(f"{path} not found")
        for line in path.read_text().splitlines():
            r = json.loads(line)
            out.append(Conversation(r["id"], tuple(r["user_queries"]), tuple(r["ai_responses"])))
    return out


def split(conversations: list[Conversation], held_out: float = HELD_OUT, seed: int = SEED):
    """``(train, test)``: the conversations split by conversation id, ``held_out`` of them (seeded) to test."""
    ids = sorted(c.id for c in conversations)
    random.Random(seed).shuffle(ids)
    test = set(ids[: round(len(ids) * held_out)])
    return [c for c in conversations if c.id not in test], [c for c in conversations if c.id in test]


def _sklearn() -> Any:
    try:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
    except ImportError as exc:
        raise ConfigError(
            f"the user card's role check needs scikit-learn: pip install 'collab-env[{EXTRA}]' "
            "(or give --people-data a folder without SimulatorArena's files to skip the check)"
        ) from exc
    return make_pipeline(
        TfidfVectorizer(preprocessor=style, token_pattern=r"\S+", lowercase=False, ngram_range=(1, 4), min_df=2,
                        sublinear_tf=True),
        LogisticRegression(C=1.0, class_weight="balanced", max_iter=3000),
    )  # fmt: skip


def _rows(conversations: list[Conversation]) -> tuple[list[str], list[int], list[int], list[int]]:
    """Sentences, labels (1: the assistant's), conversation index and people's turn (-1: none)."""
    texts, labels, groups, turns = [], [], [], []
    turn = 0
    for i, c in enumerate(conversations):
        for role, said in ((0, c.people), (1, c.assistant)):
            for text in said:
                said = sentences(text)
                texts += said
                labels += [role] * len(said)
                groups += [i] * len(said)
                turns += [-1 if role else turn] * len(said)
                turn += not role
    return texts, labels, groups, turns


@dataclass
class RoleCheck:
    """A trained role check: :meth:`score` a message, :meth:`flags` it above ``threshold``."""

    model: Any
    threshold: float
    budget: float
    train_ids: tuple[str, ...]
    test_ids: tuple[str, ...] = ()
    info: dict[str, Any] = field(default_factory=dict)
    #: The training people's turns' out-of-fold scores, highest first (the threshold's data).
    oof_turns: tuple[float, ...] = ()

    def threshold_at(self, budget: float) -> float:
        """The threshold that another false-flag ``budget`` would choose on the same out-of-fold
        scores (the highest leaving at most ``budget`` of the training people's turns above it)."""
        return _threshold(self.oof_turns, budget)

    def scores(self, text: str) -> list[float]:
        """Each sentence's (:func:`sentences`) probability of being the assistant's."""
        said = sentences(text)
        return [float(p) for p in self.model.predict_proba(said)[:, 1]] if said else []

    def score(self, text: str) -> float:
        """A message's score: its highest sentence's (0 without a scored sentence)."""
        return max(self.scores(text), default=0.0)

    def flags(self, text: str) -> bool:
        """Whether a message reads like the assistant's: a sentence scores above the threshold."""
        return self.score(text) > self.threshold

    def describe(self) -> dict[str, Any]:
        """What the card records of the check: it ran, its threshold, budget and data."""
        return {"ran": True, "kind": KIND, "threshold": self.threshold, "budget": self.budget,
                "train_conversations": len(self.train_ids), "held_out_conversations": len(self.test_ids),
                **self.info}  # fmt: skip


def train(conversations: list[Conversation], budget: float = BUDGET, folds: int = FOLDS) -> RoleCheck:
    """Train the classifier on ``conversations`` and choose its threshold on their people's turns.

    The threshold is read from out-of-fold scores (folds by conversation): the highest score
    that leaves at most ``budget`` of the people's turns above it.

    Raises:
        ConfigError: without scikit-learn, or for a budget outside [0, 1).
    """
    if not 0 <= budget < 1:
        raise ConfigError(f"budget must be in [0, 1), got {budget}")
    import numpy as np
    from sklearn.model_selection import GroupKFold

    texts, labels, groups, turns = _rows(conversations)
    y, oof = np.array(labels), np.zeros(len(texts))
    for fit, held in GroupKFold(folds).split(texts, y, groups):
        model = _sklearn().fit([texts[i] for i in fit], y[fit])
        oof[held] = model.predict_proba([texts[i] for i in held])[:, 1]
    people_turns = sum(len(c.people) for c in conversations)
    best = np.zeros(people_turns)  # a turn without a scored sentence scores 0
    for score, turn in zip(oof, turns, strict=True):
        if turn >= 0:
            best[turn] = max(best[turn], score)
    ranked = tuple(float(x) for x in np.sort(best)[::-1])
    threshold = _threshold(ranked, budget)
    info = {"train_people_turns": people_turns, "train_sentences": len(texts),
            "train_people_sentences": int((y == 0).sum())}  # fmt: skip
    ids = tuple(c.id for c in conversations)
    return RoleCheck(_sklearn().fit(texts, y), threshold, budget, ids, info=info, oof_turns=ranked)


def _threshold(ranked: tuple[float, ...], budget: float) -> float:
    if not ranked:
        raise ConfigError("the role check has no people's turns to choose its threshold on")
    return ranked[min(int(budget * len(ranked)), len(ranked) - 1)]


def false_flags(
    check: RoleCheck, conversations: list[Conversation], threshold: float | None = None
) -> dict[str, Any]:
    """How many of the people's turns and sentences in ``conversations`` the check flags (above
    ``threshold``; default the check's own)."""
    threshold = check.threshold if threshold is None else threshold
    turns = [t for c in conversations for t in c.people]
    said = [s for t in turns for s in sentences(t)]
    flagged = [t for t in turns if check.score(t) > threshold]
    sentence_scores = check.model.predict_proba(said)[:, 1] if said else []
    over = int(sum(float(p) > threshold for p in sentence_scores))
    return {"turns": len(turns), "flagged_turns": len(flagged), "turn_rate": len(flagged) / len(turns) if turns else None,
            "sentences": len(said), "flagged_sentences": over, "sentence_rate": over / len(said) if said else None}  # fmt: skip


@functools.lru_cache(maxsize=4)
def for_folder(folder: str) -> tuple[RoleCheck | None, str]:
    """The card's role check trained on the SimulatorArena files in ``folder`` (its training split),
    with its false flags on the held-out people's turns; ``(None, why)`` where the files are absent.

    Raises:
        ConfigError: where the files are there and scikit-learn is not.
    """
    try:
        conversations = load_conversations(folder)
    except FileNotFoundError as exc:
        return None, f"role check not run: {exc} (SimulatorArena's {' and '.join(FILES)}); rules only"
    fit, test = split(conversations)
    check = train(fit)
    check.test_ids = tuple(c.id for c in test)
    check.info["held_out"] = false_flags(check, test)
    held = check.info["held_out"]
    return check, (f"role check: trained on {len(fit)} people's conversations, flags a message above "
                   f"{check.threshold:.3f}; flags {held['flagged_turns']} of {held['turns']} held-out people's turns")  # fmt: skip


def for_card(people_data: str | Path) -> tuple[RoleCheck | None, str]:
    """The role check for a card whose people's data is ``people_data`` (its folder holds :data:`FILES`)."""
    return for_folder(str(Path(people_data).resolve().parent))


__all__ = [
    "BUDGET",
    "FILES",
    "KEEP",
    "KIND",
    "Conversation",
    "RoleCheck",
    "false_flags",
    "for_card",
    "for_folder",
    "load_conversations",
    "sentences",
    "split",
    "style",
    "train",
]
