"""QA metric: does a reply state the gold answer, as people write answers, without hedging?

A reply is correct when it commits to one answer and that answer is a gold one: the reply
matches it (SQuAD-style normalised exact match, or token F1 >= 0.8), or states it in a sentence
("Julia went to the harbour." for "the harbour": every content word of the gold answer is in a
reply at most 15 content words longer; "per cent", "percent" and "%" are one word, and an
acronym of the gold's capitalised words stands for them), or, for a yes/no gold answer, takes
its side ("No, he cannot.", "Absolutely.", "Not at all.", "He did."; given the question, also a
reply that restates it: "They were close friends." to "Were they friends?"). A count in the
gold answer ("two captains") may be left out by a reply that names what was counted and gives no
count of its own ("Captains."), and a word may come derived ("the captaincy"). Part of a gold
answer names it: a noun phrase's head ("loaf" for "a rye loaf", "paint" for "a can of paint"),
or one part of a person's name that no other name in the passage shares ("Matthew" for "Matthew
Moon"). A reply whose first sentence states the answer may go on to justify it at any length.
Given the other readings' answers, a reply may also name the intended reading in its own words
(:mod:`.reading`: "She signaled to them." for "She lifted her hand, and signaled them to sit").
The reply and every reading's answers are first read alike through general normalisations
(:mod:`.normal`: "Tues." is Tuesday, "Harbor" harbour, "twenty twelve" 2012), and a reply that
names more than one reading's answer is graded by the part it commits to (:mod:`.commitment`:
after "so"/"actually"/"you mean ...", less a parenthesis, a negated clause, "after the 2010
wedding"). A reply that names no reading's answer so is read again with its near-words as the
answers' words (:mod:`.lexical`: "hardwear", "cook book", "wed", "Mme", "first", "the baker's"),
then, opt-in, by a sentence model (:mod:`.meaning`). A reply that hedges ("either X or Y", "X or
maybe Y", "depending on which you mean", "yes and no", "I'm not sure"), offers alternatives
("Monday or Thursday": an "or" between a gold answer and another of its kind, outside a
negation), or also states another reading's answer, in any of its sentences, commits to nothing
and is wrong. An "or" elsewhere ("she bought gloves or tools", "he cannot be executed or
jailed") is no hedge.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable

from collab_env.facets import stems

from .commitment import committed
from .lexical import align
from .meaning import Meaning, load_meaning
from .normal import canonical
from .reading import names_by_part, names_reading, points_to, uncounted, underived
from .text import CLAUSE, content, expand_acronyms, normalize_answer, sentences, token_f1

F1_THRESHOLD = 0.8
#: A reply may add this many content words to the gold answer and still be read as stating it.
MAX_EXTRA_WORDS = 15
#: How people avoid committing to one answer.
#: A phrase the gold answer itself holds ("the Unknown Soldier") is no hedge; "either ... or" is
#: read by :func:`_either_or`, in linear time.
_HEDGE = re.compile(
    r"\b(?:depends|depending|not sure|unsure|unclear|can't tell|cannot tell|hard to say|"
    r"if you mean|unless you|whereas|on the other hand|yes and no|don't know|do not know|no idea|unknown|"
    r"or (?:maybe|perhaps|possibly|probably)|or (?:it|that|she|he|they) (?:could|might|may))\b",
    re.I,
)
_EITHER = re.compile(r"\beither\b", re.I)
_SENTENCE_END = re.compile(r"[.?!]")
_OR = re.compile(r"\bor\b", re.I)
#: The words on each side of an "or" that are read as its sides (a longer clause part is cut to
#: the words nearest the "or"), so that reading a reply stays linear in its length.
_SIDE_WORDS = 40
#: "or"s read in one sentence: a sentence offering more alternatives commits to none of them.
_ALTERNATIVES_READ = 16
_WORD_SPAN = re.compile(r"\S+")
_POSSESSIVE = re.compile(r"['\u2019]s\b")
_YES = frozenset({"yes", "yeah", "yep", "yup", "correct", "indeed", "sure", "right", "absolutely", "definitely",
                  "certainly", "surely", "true", "affirmative", "exactly", "totally"})  # fmt: skip
_NO = frozenset({"no", "nope", "not", "never", "neither", "nobody", "none", "nah", "false", "nothing"})
_NEGATED = frozenset(
    "didnt doesnt dont isnt wasnt werent arent cant couldnt wouldnt shouldnt wont hasnt havent hadnt mustnt "
    "aint neednt".split()
)  # normalised: "didn't" is "didnt"
_NEGATION = (
    frozenset({"not", "no", "never", "nor", "neither", "cannot", "nobody", "none", "nothing"}) | _NEGATED
)
_AUXILIARY = frozenset(
    "is was were are am did does do can could has had have will would should may might must".split()
)
#: What may follow the verb of an elliptical answer ("He did.", "She was not.", "It is, indeed.").
_ELLIPSIS_ENDS = frozenset({"not", "so", "too", "indeed", "really", "actually", "certainly"})
_NUMBER_WORDS = frozenset(
    "zero one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty hundred "
    "thousand million billion half dozen january february march april may june july august september "
    "october november december monday tuesday wednesday thursday friday saturday sunday".split()
)
#: Words of a polar question that a reply restating it need not repeat.
_NOT_RESTATED = frozenset(stems(" ".join(_AUXILIARY) + " who what when where why how which whose whom"))
_QUESTION = re.compile(r"^[^\S\n]*+(?:my\s++)?question\s*+:\s*+(?P<q>.*\S)[^\S\n]*$", re.I | re.M)


def hedges(reply: str, golds: Iterable[str] = ()) -> bool:
    """Whether a reply avoids committing to one answer (``golds`` say what kind of answer it is).

    >>> hedges("Either Monday or Thursday."), hedges("Yes and no."), hedges("On Thursday.")
    (True, True, False)
    >>> hedges("Monday or Thursday.", ["Thursday"]), hedges("On Thursday, to buy gloves or tools.", ["Thursday"])
    (True, False)
    """
    text, golds = reply.replace("\u2019", "'"), list(golds)
    theirs = " ".join(golds).lower()
    return (
        any(m[0].lower() not in theirs for m in _HEDGE.finditer(text))
        or _either_or(text)
        or _offers_alternatives(text, golds)
    )


def _either_or(text: str) -> bool:
    """Whether a sentence of ``text`` has an "either" with an "or" after it ("either X or Y")."""
    for part in _SENTENCE_END.split(text):
        either = _EITHER.search(part)
        if either and _OR.search(part, either.end()):
            return True
    return False


def _offers_alternatives(text: str, golds: list[str]) -> bool:
    """Whether a sentence joins a gold answer and another of its kind with "or".

    The two sides are the clause parts next to the "or" (at most :data:`_SIDE_WORDS` words each);
    one must state a gold answer (all its content words) and the other hold an answer of the
    same kind; an "or" after a negation ("cannot be executed or jailed") joins nothing to choose
    from. Without golds, any "or" between two content words of the first sentence counts.
    """
    parts = sentences(text)
    return any(_joins_alternatives(sentence, golds) for sentence in (parts if golds else parts[:1]))


def _joins_alternatives(sentence: str, golds: list[str]) -> bool:
    """:func:`_offers_alternatives` for one sentence, each "or" read in time bounded by its sides."""
    cuts = [m.start() for m in CLAUSE.finditer(sentence)]
    spans = [m.span() for m in _WORD_SPAN.finditer(sentence)]
    starts, ends = [a for a, _ in spans], [b for _, b in spans]
    read = 0
    for n, match in enumerate(_OR.finditer(sentence)):
        if n == _ALTERNATIVES_READ:
            return True  # read at most this many: the cost of a step stays that of a short reply
        start, end = match.span()
        said = normalize_answer(" ".join(CLAUSE.split(sentence[read:start]))).split()
        if any(w in _NEGATION for w in said):
            return False  # every later "or" follows the negation too
        read = start
        i, j = bisect_left(cuts, start), bisect_left(cuts, end)
        words_before, words_after = bisect_left(starts, start), bisect_right(ends, end)
        low = max(cuts[i - 1] + 1 if i else 0, starts[max(0, words_before - _SIDE_WORDS)])
        high = min(
            cuts[j] if j < len(cuts) else len(sentence), ends[min(len(ends), words_after + _SIDE_WORDS) - 1]
        )
        before, after = sentence[low:start], sentence[end:high]
        if not golds and content(before) and content(after):
            return True
        if any(
            _mentions(one, golds) and _alternative(other, golds)
            for one, other in ((before, after), (after, before))
        ):
            return True
    return False


def _mentions(text: str, golds: list[str]) -> bool:
    """Whether ``text`` holds every content word of a gold answer (its side, for yes/no)."""
    have = set(content(text))
    for gold in golds:
        side = _polar(gold)
        if side is not None and _side(text) == side:
            return True
        need = set(content(gold))
        if need and need <= have:
            return True
    return False


def _alternative(text: str, golds: list[str]) -> bool:
    """Whether ``text`` (what follows an "or") holds an answer of the same kind as the golds."""
    words = normalize_answer(text).split()
    if any(_side(g) for g in golds if len(normalize_answer(g).split()) == 1):
        return any(w in _YES or w in _NO for w in words)
    if any(any(c.isdigit() for c in g) or set(normalize_answer(g).split()) & _NUMBER_WORDS for g in golds):
        return any(any(c.isdigit() for c in w) or w in _NUMBER_WORDS for w in words)
    if any(re.search(r"\b[A-Z]", g) for g in golds):
        return bool(re.search(r"\b[A-Z]", text))
    return bool(content(text))


def states(reply: str, gold: str, question: str | None = None, context: str | None = None) -> bool:
    """Whether ``reply`` states ``gold``: a match, the gold's content words in a short enough
    reply or first sentence (a count of what the reply names may be left out, a word may come
    derived), a part that names the gold (a head noun; a name's part that ``context``, the
    passage, shares with no other name), or, for a yes/no gold answer, the same side (read from
    the reply, or from how it answers ``question``).

    >>> states("Julia went to the harbour and watched the boats.", "the harbour")
    True
    >>> states("On Thursday.", "Thursday"), states("No, he cannot.", "no"), states("She left.", "Monday")
    (True, True, False)
    >>> states("Captains.", "two captains"), states("Three captains.", "two captains")
    (True, False)
    >>> states("Loaf.", "a rye loaf"), states("Rye.", "a rye loaf"), states("The captaincy.", "two captains")
    (True, False, True)
    >>> states("Matthew.", "Matthew Moon", context="Matthew Moon and Joseph Poorgrass came in.")
    True
    >>> states("Moon.", "Matthew Moon", context="Matthew Moon and Jane Moon came in."), states("Moon.", "Matthew Moon")
    (False, False)
    """
    reply, gold = _POSSESSIVE.sub("", reply), _POSSESSIVE.sub("", gold)  # "UPS's hub" states "the UPS hub"
    reply = expand_acronyms(reply, gold)
    if normalize_answer(reply) == normalize_answer(gold) or token_f1(reply, gold) >= F1_THRESHOLD:
        return True
    side = _polar(gold)
    if side is not None:
        return (_side(reply) or _answered_side(reply, question)) == side
    first = sentences(reply)[:1]
    return any(_states_words(part, gold, context) for part in dict.fromkeys([reply, *first]))


def _states_words(reply: str, gold: str, context: str | None) -> bool:
    """Whether ``reply`` holds the gold's content words (see :func:`states`), or a part that names it."""
    have = content(reply)
    need = uncounted(content(gold), have)
    said = set(have) | {underived(w) for w in have}
    if need and set(need) <= said and len(have) <= len(need) + MAX_EXTRA_WORDS:
        return True
    return names_by_part(have, gold, context)


def is_correct(
    prediction: str,
    golds: Iterable[str],
    others: Iterable[str] = (),
    threshold: float = F1_THRESHOLD,
    question: str | None = None,
    context: str | None = None,
    meaning: Meaning | str | None = None,
    lexical: bool = True,
) -> bool:
    """Whether ``prediction`` commits to a gold answer (see the module docstring).

    Where the reply, as written, commits to no reading's answer, it is read again with its
    near-words as the answers' words (:func:`.lexical.align`: typos, compounds, abbreviations,
    ordinals, derivations), then, with ``meaning``, by a sentence model's similarity
    (:mod:`.meaning`: "the port" for "the harbour").

    Args:
        prediction: The reply (or the part after "Answer:").
        golds: The answers that count as right.
        others: Answers to the other readings: a reply that states one of them as well hedges.
        threshold: Token F1 at or above which a short reply matches a gold answer.
        question: The question asked (optional): a yes/no answer may be read from how the reply
            answers it (see :func:`states`).
        context: The passage the answers come from (optional): a part of a person's name names
            them only where the passage gives no one else that part (see :func:`states`).
        meaning: ``"minilm"`` (or a :class:`.meaning.Meaning`) to read a reply that names no
            answer by meaning; default ``None``, the rules alone.
        lexical: Whether to read near-words as the answers' words (default ``True``).

    >>> is_correct("The library.", ["library"]), is_correct("the market", ["library"])
    (True, False)
    >>> is_correct("Clara went on Monday and Hana on Thursday.", ["Thursday"], others=["Monday"])
    False
    >>> is_correct("Thursday. " + "I checked the passage again. " * 9 + "Monday.", ["Thursday"], others=["Monday"])
    False
    >>> is_correct("the hardwear store", ["the hardware store"], others=["the library"])
    True
    """
    prediction, golds, others = (
        canonical(prediction),
        [canonical(g) for g in golds],
        [canonical(o) for o in others],
    )
    question, context = (
        canonical(question) if question else question,
        canonical(context) if context else context,
    )
    verdict, asserted = _verdict(prediction, golds, others, threshold, question, context)
    if verdict is None and lexical:
        aligned = align(prediction, [*golds, *others], context)
        if aligned != prediction:
            verdict, asserted = _verdict(aligned, golds, others, threshold, question, context)
    if verdict is None and meaning is not None:
        verdict = load_meaning(meaning).commits(asserted, golds, others)
    return bool(verdict)


def _verdict(
    prediction: str,
    golds: list[str],
    others: list[str],
    threshold: float,
    question: str | None,
    context: str | None,
) -> tuple[bool | None, str]:
    """True or False where the reply commits to a gold or another answer or hedges, ``None`` where
    it commits to none it names; and the part it commits to."""
    if hedges(prediction, golds):
        return False, prediction
    readings = [*golds, *others]  # what the committed part is read against: every reading, alike
    negated = any(_polar(r) is not None or set(normalize_answer(r).split()) & _NEGATION for r in readings)
    asserted = committed(
        prediction,
        lambda text: _names_any(text, readings, question, context),
        not negated,
        points=lambda text: points_to(text, readings) is not None,
    )
    if not asserted.strip():
        return False, asserted  # it names answers only to deny them
    parts = [asserted, *sentences(asserted)]
    if any(states(p, o, question, context) for o in others for p in parts):
        return False, asserted
    if not negated and any((points_to(c, readings) or 0) >= len(golds) for c in CLAUSE.split(asserted)):
        return False, asserted  # a clause names another reading's answer in other words
    norm = normalize_answer(asserted)
    if any(
        norm == normalize_answer(g)
        or token_f1(asserted, g) >= threshold
        or states(asserted, g, question, context)
        for g in golds
    ) or names_reading(asserted, golds, others, question):
        return True, asserted
    return None, asserted


def _names_any(text: str, answers: list[str], question: str | None, context: str | None) -> bool:
    """Whether ``text`` (or one of its sentences) states one of ``answers``."""
    parts = [text, *sentences(text)]
    return any(states(p, a, question, context) for a in answers for p in parts)


def question_of(request: str) -> str | None:
    """The question of a QA request (its last "Question:" or "My question:" line), else ``None``.

    >>> question_of("Anna went out.\\n\\nMy question: were they friends?\\n\\nWhat I mean: yes")
    'were they friends?'
    """
    found = _QUESTION.findall(request)
    return found[-1] if found else None


def _polar(gold: str) -> str | None:
    """``"yes"`` or ``"no"`` for a one-word yes/no gold answer, or one that opens with "Yes," or
    "No," ("No, he gained those titles in 2011."), else ``None``."""
    words = normalize_answer(gold).split()
    lead = normalize_answer(CLAUSE.split(gold.strip(), 1)[0]).split()
    if len(words) > 1 and lead in (["yes"], ["no"]):
        return lead[0]
    if len(words) != 1:
        return None
    return "yes" if words[0] in _YES else "no" if words[0] in _NO else None


def _side(text: str) -> str | None:
    """The side a reply takes on a yes/no question, from its first clause, else ``None``.

    >>> _side("Absolutely."), _side("Absolutely not."), _side("Not at all."), _side("He did."), _side("Paris.")
    ('yes', 'no', 'no', 'yes', None)
    >>> _side("They were not."), _side("Roderick was the Cavaliere.")
    ('no', None)
    """
    words = normalize_answer(CLAUSE.split(text.strip(), 1)[0]).split()
    if not words:
        return None
    negated = any(w in _NEGATION for w in words)
    if words[0] in _NO or words[0] in _NEGATED:
        return "no"
    if words[0] in _YES or words[:2] == ["of", "course"]:
        return "no" if negated else "yes"
    verb = next((i for i, w in enumerate(words[:3]) if w in _AUXILIARY or w in _NEGATED), None)
    if verb is not None and len(words) <= 4 and set(words[verb + 1 :]) <= _ELLIPSIS_ENDS:
        return "no" if negated else "yes"  # "He did.", "She wasn't.": not "Roderick was the Cavaliere."
    return None


def _answered_side(reply: str, question: str | None) -> str | None:
    """The side a reply takes by how it answers a yes/no ``question``, else ``None``.

    A reply whose first clause restates the question's content words takes the side of its
    negation ("They were close friends." to "Were they friends?"). A reply that only names
    someone ("Lee Westwood." to "Anyone else?") takes no side: whether the name answers "else"
    depends on who was named before, which the question alone does not say.

    >>> _answered_side("They were close friends.", "Were they friends?")
    'yes'
    >>> _answered_side("He did not like it.", "Did he like it?"), _answered_side("Woods.", "Anyone else?")
    ('no', None)
    >>> _answered_side("Paris.", "Was it London?"), _answered_side("Woods.", None)
    (None, None)
    """
    if not question:
        return None
    clause = CLAUSE.split(reply.strip(), 1)[0]
    words, said = normalize_answer(clause).split(), set(content(clause))
    negated = any(w in _NEGATION for w in words)
    asked = {w for w in content(question) if w not in _NOT_RESTATED}
    if asked and asked <= said:
        return "no" if negated else "yes"
    return None
