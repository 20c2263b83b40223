"""Math metric: the final answer is equivalent to the reference (math-verify, sympy underneath)."""

from __future__ import annotations

import functools
import re
import threading

from math_verify import parse, verify

_BOXED = "\\boxed{"


def answers_equivalent(predicted: str, reference: str) -> bool:
    """Whether two answers (LaTeX or plain) are mathematically equivalent.

    >>> answers_equivalent("6.5", "\\\\frac{13}{2}"), answers_equivalent("\\\\$6.50", "\\\\frac{13}{2}")
    (True, True)
    >>> answers_equivalent("6", "\\\\frac{13}{2}")
    False
    """
    predicted, reference = predicted.strip(), reference.strip()
    if _cached_equivalent(predicted, reference):
        return True
    plain_p, plain_r = normalise(predicted), normalise(reference)
    return bool(plain_p) and (plain_p == plain_r or _cached_equivalent(plain_p, plain_r))


# Rewrites a careful grader applies before comparing (MATH answers: \dfrac, \left(, degrees,
# units in \text{}, dollar and percent signs). Hand-written: math-verify parses LaTeX but does
# not drop units or textual wrappers, and text answers ("\text{Devon}") do not parse at all.
_REWRITES = (
    (re.compile(r"\\[dt]frac"), r"\\frac"),
    (re.compile(r"\\(?:left|right)\b"), ""),
    (re.compile(r"\\[!,;: ]|\\q?quad"), ""),
    (re.compile(r"\^\s*\{?\\circ\}?|\\circ|\\%|%|\\\$|\$"), ""),
    (re.compile(r"(?<=[0-9}])\s*\\(?:text|mbox|mathrm)\{\s*[a-zA-Z ]+\}(?:\^\{?\d\}?)?\s*$"), ""),
    (re.compile(r"\\(?:text|mbox|mathrm|textbf)\{([^{}]*)\}"), r"\1"),
    (re.compile(r"^[a-z]\s*=\s*(?=[^=]+$)"), ""),
    (re.compile(r"\s+"), ""),
)


def normalise(answer: str) -> str:
    r"""The answer with presentation removed (a careful grader's first step).

    >>> normalise(r"\dfrac{3}{4}\text{ cm}"), normalise(r"x = \left(2, 3\right]"), normalise(r"\text{Devon}")
    ('\\frac{3}{4}', '(2,3]', 'devon')
    """
    for pattern, replacement in _REWRITES:
        answer = pattern.sub(replacement, answer)
    return answer.lower()


@functools.lru_cache(maxsize=65536)
def _cached_equivalent(predicted: str, reference: str) -> bool:
    # math-verify's timeouts use signal.alarm, which only the main thread may set.
    main = threading.current_thread() is threading.main_thread()
    timeout = {"parsing_timeout": 5 if main else None}
    gold = parse(f"${reference}$", **timeout)
    pred = parse(f"${predicted}$", **timeout)
    if not gold or not pred:
        return False
    return bool(verify(gold, pred, timeout_seconds=5 if main else None))


def last_boxed(text: str) -> str | None:
    """The content of the last ``\\boxed{...}`` (balanced braces), or ``None``.

    >>> last_boxed("so \\\\boxed{\\\\frac{1}{2}} and \\\\boxed{3}")
    '3'
    """
    start = text.rfind(_BOXED)
    if start < 0:
        return None
    depth, i = 1, start + len(_BOXED)
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i:j].strip()
    return None


_NUMBER_WORD = re.compile(r"[^\s]*\d[^\s]*")
_THOUSANDS = re.compile(r"^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
#: "the answer is", "final answer:", "answer =" (the last one counts).
_ANCHOR = re.compile(r"\banswer\s*(?:is|:|=)\s*(?::\s*)?", re.I)
#: Delimited LaTeX: ``$$…$$``, ``\[…\]``, ``\(…\)``, ``$…$`` (an escaped ``\$`` is money, not math).
_LATEX = re.compile(r"\$\$(.+?)\$\$|\\\[(.+?)\\\]|\\\((.+?)\\\)|(?<!\\)\$([^$]+?)(?<!\\)\$", re.S)
#: A sentence that asks something (its numbers are not answers: "Did you buy 3 pens?").
_QUESTION = re.compile(r"[^.!?\n]*\?")
_SENTENCE_END = re.compile(r"(?<!\\)(?:[.!?](?:\s|$)|;)|\n")
#: Words after a final number that name its unit ("12 apples", "7.2 km"), not a constant.
_UNIT_TAIL = re.compile(r"(?<=\d)\s+(?!(?:pi|e|i)\b)[A-Za-z][A-Za-z ]*$")


def extract_answer(text: str) -> str | None:
    r"""The final answer of a message, or ``None`` when it proposes none.

    In order, as LLMs write answers: the last ``\boxed{}``; else what follows the last "the
    answer is" / "Answer:"; else, outside the sentences that ask something, the last LaTeX
    expression in ``$…$``, ``$$…$$``, ``\(…\)`` or ``\[…\]`` (its last side when it is an
    equation); else the last number of a message without LaTeX, read whole (``2^{10}`` stays
    ``2^{10}``, so a wrong answer that merely contains the right number is not taken for it).

    >>> extract_answer("The answer is 42."), extract_answer("You get 13.5 dollars back.")
    ('42', '13.5')
    >>> extract_answer(r"So the probability is $\frac{3}{4}$."), extract_answer(r"We get $(2,\infty)$ here.")
    ('\\frac{3}{4}', '(2,\\infty)')
    >>> extract_answer("Did you buy 3 pens?") is None
    True
    """
    boxed = last_boxed(text)
    if boxed is not None:
        return boxed
    anchors = list(_ANCHOR.finditer(text))
    if anchors:
        stated = _stated(text[anchors[-1].end() :])
        if stated:
            return stated
    statements = _QUESTION.sub(" ", text)
    spans = [next(g for g in m.groups() if g is not None) for m in _LATEX.finditer(statements)]
    if spans:
        return _last_side(spans[-1])
    words = _NUMBER_WORD.findall(statements)
    return _plain(words[-1]) if words else None


def _stated(rest: str) -> str | None:
    """The answer at the start of ``rest`` (what follows "the answer is")."""
    rest = rest.lstrip("* ")  # "**Answer:** 12"
    latex = _LATEX.match(rest)
    if latex:
        return _last_side(next(g for g in latex.groups() if g is not None))
    end = _SENTENCE_END.search(rest)
    stated = rest[: end.start() if end else len(rest)].strip()
    return _plain(_UNIT_TAIL.sub("", stated)) or None


def _last_side(latex: str) -> str:
    r"""A LaTeX answer without trailing punctuation, and only its last side if an equation.

    >>> _last_side(r"x = 2 + 3 = 5."), _last_side(r"x \in (2, \infty)")
    ('5', '(2, \\infty)')
    """
    latex = latex.strip().rstrip(".,;:").strip()
    for sign in ("=", "\\in "):
        if sign in latex and not re.search(r"\\(?:le|ge|ne|neq|leq|geq)\b", latex):
            latex = latex.rsplit(sign, 1)[1].strip()
    return latex


def _plain(word: str) -> str:
    """A plain answer without sentence punctuation, brackets it closes, or thousands separators."""
    word = word.strip().rstrip(".,;:!")
    if word.count("(") + word.count("[") < word.count(")") + word.count("]"):
        word = word[:-1] if word[-1] in ")]" else word  # "(about 12)" closes a remark, not an interval
    return word.replace(",", "") if _THOUSANDS.match(word) else word
