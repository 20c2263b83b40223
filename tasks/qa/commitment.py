"""The part of a reply that commits to an answer, when the reply names more than one reading's.

People name the other reading to set it aside: "Carlos went on Tuesday (Ivan was the one who went
on Thursday).", "Luca was born in 2012, two years after the 2010 wedding.", "She didn't buy
anything; she photographed a dinosaur skeleton.", or name both and then choose: "George went to
the hardware store and Carlos to the market. You asked about George, so: the hardware store."
The reply commits to what it asserts:

- after its last commitment or correction cue ("so", "therefore", "actually", "you mean ...",
  "the answer is"), when what follows names a reading's answer; else the whole reply;
- less its asides: text in parentheses that does not hedge, what a negation opens ("not
  Thursday", "he didn't get anything"), what a word that sets its answer against another opens
  ("after the 2010 wedding", "rather than", "unlike", "besides"), and a cleft ("it was Ivan who
  went on Thursday"), when what is left still names a reading's answer.

Which part is asserted is read from the reply and the set of every reading's answers, never from
which of them is intended: the same part is graded under each reading, so a reply that is right
under one reading is wrong under the other (a reply cannot name both and be paid for either). A
reply that names both without a cue or an aside ("Jonas went on Tuesday and David on Friday.")
asserts both, and the metric reads it as a hedge. Every pass reads the reply once (linear time).
"""

from __future__ import annotations

import re
from collections.abc import Callable

#: What introduces the answer a reply settles on after naming others.
_CUE = re.compile(
    r"\b(?:so|therefore|thus|hence|actually|correction|in short|in other words|i mean|you mean|you meant|"
    r"you asked about|you're asking about|you are asking about|the answer is|my answer is|final answer|"
    r"sorry|wait|oops|i meant|scratch that|make that)\b",
    re.I,
)
_PARENTHESES = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
_CLAUSE = re.compile(r"[^,.;:!?\n\u2013\u2014]*[,.;:!?\n\u2013\u2014]+|[^,.;:!?\n\u2013\u2014]+")
#: A hyphen written as a dash, with spaces round it, ends a clause as a dash does.
_SPACED_HYPHEN = " - "
_NEGATION = frozenset(
    "not never no nor neither cannot didnt doesnt dont isnt wasnt werent arent cant couldnt wouldnt "
    "shouldnt wont hasnt havent hadnt".split()
)
#: Words that set what follows them in a clause against the answer ("after the 2010 wedding").
_CONTRAST = frozenset("after before than unlike besides except instead rather opposed apart since".split())
#: A cleft that sets a person's answer apart from the one asserted ("Ivan was the one who went on
#: Thursday", "it was Julia who went on Tuesday").
_CLEFT = re.compile(r"\bthe one who\b|\bit was [A-Z][\w'\-]* who\b", re.I)
_WORD = re.compile(r"[A-Za-z'\u2019]+")
_ENDS = ",.;:!?\n\u2013\u2014 \t"
#: Words of a parenthesis that leaves an answer open: no aside, but part of what the reply says.
#: The fewest words of a parenthesis that sets something apart ("(Ivan went on Thursday)").
_ASIDE_WORDS = 3
_UNSURE = re.compile(r"\b(?:or|maybe|perhaps|possibly|probably|might|could)\b", re.I)


def committed(
    reply: str,
    names_answer: Callable[[str], bool],
    asides: bool = True,
    points: Callable[[str], bool] | None = None,
) -> str:
    """The part of ``reply`` that commits to an answer (see the module docstring).

    Args:
        reply: The reply.
        names_answer: Whether a text names some reading's answer (any reading's: the choice of
            the part must not depend on which reading is intended).
        asides: Whether to set asides apart (not where a reading's answer is a yes/no answer or
            holds a negation: there the negation is the answer). A reply that names answers
            only in negated asides ("Not Tuesday.") commits to none (``""``).
        points: Whether a text points to one reading's answer in other words ("so: the poetry
            book" for "a poetry collection"): what follows the last cue commits the reply to it
            even where ``names_answer`` finds no answer there (an explicit choice outweighs the
            answers named before it).

    >>> answers = ("tuesday", "thursday")
    >>> def names(text): return any(a in text.lower() for a in answers)
    >>> committed("Carlos went on Tuesday (Ivan went on Thursday).", names)
    'Carlos went on Tuesday .'
    >>> committed("Ivan went on Thursday, Carlos on Tuesday. You mean Carlos, so: Tuesday.", names)
    ': Tuesday.'
    >>> committed("Ivan went on Thursday and Carlos on Tuesday.", names)
    'Ivan went on Thursday and Carlos on Tuesday.'
    """
    last = None
    for match in _CUE.finditer(reply):
        last = match
    for part in (reply[last.end() :], reply) if last else (reply,):
        main = without_asides(part) if asides else part
        if names_answer(main) or (part is not reply and points is not None and points(main)):
            return main
    if asides and names_answer(reply) and not names_answer(without_asides(reply, negations_only=True)):
        return ""  # it names an answer only to deny it: "Not Tuesday."
    return reply


def without_asides(text: str, negations_only: bool = False) -> str:
    """``text`` less its parentheses and, in each clause, what a negation or a contrast word
    opens, up to the clause's end or a "but" ("not Tuesday but Wednesday" keeps "but Wednesday");
    with ``negations_only``, less what a negation opens only.

    >>> without_asides("Not an airplane: a hot air balloon.")
    ': a hot air balloon.'
    >>> without_asides("Luca was born in 2012, two years after the 2010 wedding.")
    'Luca was born in 2012, two years .'
    >>> without_asides("Wednesday (maybe Tuesday), not only Monday but also Friday.")
    'Wednesday (maybe Tuesday), not only Monday but also Friday.'
    """
    kept, text = [], text.replace(_SPACED_HYPHEN, " \u2013 ")
    for clause in _CLAUSE.finditer(text if negations_only else _PARENTHESES.sub(_aside_parenthesis, text)):
        body, end = clause[0], clause[0].rstrip(_ENDS)
        if not negations_only and _CLEFT.search(end):
            continue  # "it was Julia who went on Tuesday": named to set apart
        keep, at = [], 0
        words = list(_WORD.finditer(end))
        for n, word in enumerate(words):
            w = word[0].lower().replace("'", "").replace("\u2019", "")
            following = words[n + 1][0].lower() if n + 1 < len(words) else ""
            if at is not None and _opens_aside(w, following) and not (negations_only and w in _CONTRAST):
                keep.append(end[at : word.start()])
                at = None
            elif at is None and w == "but":
                at = word.start()
        keep.append(end[at:] if at is not None else "")
        kept.append("".join(keep) + body[len(end) :])
    return "".join(kept)


def _opens_aside(word: str, following: str) -> bool:
    """Whether ``word`` opens an aside: a negation ("not only" does not), or a contrast word."""
    if word in _NEGATION:
        return following not in ("only", "just")
    return word in _CONTRAST


def _aside_parenthesis(match: re.Match) -> str:
    """A parenthesis is an aside, gone, unless it hedges ("(maybe Tuesday)", "(or Tuesday)") or
    is a bare answer ("Wednesday (Tuesday)": two readings' answers side by side)."""
    bare = len(_WORD.findall(match[0])) < _ASIDE_WORDS
    return match[0] if bare or _UNSURE.search(match[0]) else ""
