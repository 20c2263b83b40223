"""Math metric: the final answer is equivalent to the reference (math-verify, sympy underneath)."""

from __future__ import annotations

import functools
import itertools
import re
import threading

from math_verify import parse, verify

from .values import values

_BOXED = "\\boxed{"


def answers_equivalent(predicted: str, reference: str) -> bool:
    r"""Whether two answers (LaTeX or plain) are mathematically equivalent.

    An answer that states several values (joined by a connective such as ``\lor``, a set, a
    list) is a hedge unless the reference lists as many: then the two are compared as sets.

    >>> answers_equivalent("6.5", r"\frac{13}{2}"), answers_equivalent(r"\$6.50", r"\frac{13}{2}")
    (True, True)
    >>> answers_equivalent("6", r"\frac{13}{2}"), answers_equivalent(r"7 \lor 12", "7")
    (False, False)
    >>> answers_equivalent(r"x = -3 \text{ or } x = 2", "2, -3")
    True
    """
    predicted, reference = predicted.strip(), reference.strip()
    stated, expected = values(predicted), values(reference)
    if len(stated) != len(expected):
        return False
    if len(stated) > 1:
        return _same_values(stated, expected)
    return _one_equivalent(predicted, reference)


def _same_values(stated: list[str], expected: list[str]) -> bool:
    """Whether two lists of values hold the same values, in any order (each matched once)."""
    left = list(expected)
    for value in stated:
        match = next((i for i, e in enumerate(left) if _one_equivalent(_last_side(value), _last_side(e))), None)
        if match is None:
            return False
        del left[match]
    return True


def _one_equivalent(predicted: str, reference: str) -> bool:
    """Whether two single answers are equivalent (math-verify, then after :func:`normalise`)."""
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
#: A sentence that checks an answer already given (what follows is not the answer).
_CHECK = re.compile(
    r"[\s*#>_-]*(?:(?:let'?s|let us|we can|to|now|quick|as a|and|i'?ll|a|double)[\s-]*)*"
    r"(?:check|checking|verify|verifying|verification|confirm|confirming|sanity check|plug(?:ging)? (?:it |this |that |these |5 )?(?:back|in)|substitut(?:e|ing) (?:it |this |that )?back)\b",
    re.I,
)
_OR = re.compile(r"\bor\b", re.I)
#: An "or" that offers no choice of answers.
_NOT_A_CHOICE = re.compile(
    r"\b(?:(?:less|greater|more|fewer|smaller|larger|bigger) than or|or equal|more or less|or so\b|"
    r"or,? equivalently|or in other words|or simply|or,? written|or as a (?:fraction|decimal|percent))",
    re.I,
)
#: Words after a final number that name its unit ("12 apples", "7.2 km"), not a constant.
_UNIT_TAIL = re.compile(r"(?<=\d)\s+(?!(?:pi|e|i)\b)[A-Za-z][A-Za-z ]*$")


def extract_answer(text: str) -> str | None:
    r"""The final answer of a message, or ``None`` when it proposes none or hedges.

    In order, as LLMs write answers: the last ``\boxed{}``; else what follows the last "the
    answer is" / "Answer:"; else, outside the sentences that ask something, the last LaTeX
    expression in ``$…$``, ``$$…$$``, ``\(…\)`` or ``\[…\]`` (its last side when it is an
    equation); else the last number of a message without LaTeX, read whole (``2^{10}`` stays
    ``2^{10}``, so a wrong answer that merely contains the right number is not taken for it).

    A check after the answer ("Check: $2(5) + 3 = 13$", "Let's verify: ...") is not read for
    it. An answer sentence that offers two different answers joined by "or" ("it might be
    $4$, or possibly $5$"; ``\boxed{4}`` or ``\boxed{5}``) is a hedge: no answer.

    >>> extract_answer("The answer is 42."), extract_answer("You get 13.5 dollars back.")
    ('42', '13.5')
    >>> extract_answer(r"So the probability is $\frac{3}{4}$."), extract_answer(r"We get $(2,\infty)$ here.")
    ('\\frac{3}{4}', '(2,\\infty)')
    >>> extract_answer("Did you buy 3 pens?") is None
    True
    >>> extract_answer(r"So $x = 5$. Check: $2(5) + 3 = 13$."), extract_answer("It might be 4, or possibly 5.")
    ('5', None)
    """
    head = _before_checks(text)
    found = _locate(head)
    if found is None:
        return None
    answer, where = found
    return None if _hedged(head, where, answer) else answer


def _locate(text: str) -> tuple[str, int] | None:
    """The final answer (see :func:`extract_answer`) and where it stands in ``text``."""
    boxed = last_boxed(text)
    if boxed is not None:
        return boxed, text.rfind(_BOXED)
    anchors = list(_ANCHOR.finditer(text))
    if anchors:
        stated = _stated(text[anchors[-1].end() :])
        if stated:
            return stated, anchors[-1].end()
    statements = _QUESTION.sub(lambda m: " " * len(m[0]), text)  # same length: positions hold
    spans = list(_LATEX.finditer(statements))
    if spans:
        return _last_side(next(g for g in spans[-1].groups() if g is not None)), spans[-1].start()
    words = list(_NUMBER_WORD.finditer(statements))
    return (_plain(words[-1][0]), words[-1].start()) if words else None


def _before_checks(text: str) -> str:
    """``text`` up to the first sentence that checks an answer already given, if one was."""
    starts = [0, *(m.end() for m in _SENTENCE_END.finditer(text))]
    for start in starts[1:]:
        if _CHECK.match(text, start) and _locate(text[:start]) is not None:
            return text[:start]
    return text


def _hedged(text: str, where: int, answer: str) -> bool:
    """Whether "or" joins the answer and a different one in its sentence (or the next one)."""
    starts = [0, *(m.end() for m in _SENTENCE_END.finditer(text))]
    begin = max(s for s in starts if s <= where)
    ends = [s for s in starts if s > where]
    sentence = text[begin : ends[1] if len(ends) > 1 else len(text)]
    sentence = _NOT_A_CHOICE.sub(" ", _LATEX.sub(lambda m: f" {_span_answer(m)} ", _unbox(sentence)))
    parts = [_candidates(part) for part in _OR.split(sentence)]
    for left, right in itertools.pairwise(parts):
        if not left or not right or not _answer_like(left[-1]) or not _answer_like(right[0]):
            continue
        ours = [c for c in (left[-1], right[0]) if _same(c, answer)]
        if len(ours) == 1:
            return True
    return False


def _same(candidate: str, answer: str) -> bool:
    return candidate == re.sub(r"\s+", "", answer) or answers_equivalent(candidate, answer)


def _answer_like(candidate: str) -> bool:
    """Whether a candidate could be a final answer (not a step: no relation sign in it)."""
    return not re.search(r"\\(?:le|ge|ne|lt|gt|approx)|[<>=]", candidate)  # spaces are gone: no \b


def _unbox(text: str) -> str:
    """``text`` with each ``\boxed{X}`` replaced by ``X``."""
    while (start := text.rfind(_BOXED)) >= 0:
        inner = last_boxed(text[start:])
        if inner is None:
            return text
        end = text.find(inner, start) + len(inner)
        text = f"{text[:start]} {inner} {text[text.index('}', end) + 1 :]}"
    return text


def _span_answer(match: re.Match) -> str:
    """A LaTeX span as one token: its last side, without spaces."""
    return re.sub(r"\s+", "", _last_side(next(g for g in match.groups() if g is not None))) or "_"


def _candidates(part: str) -> list[str]:
    """The answers a part of a sentence states: LaTeX tokens and numbers."""
    return [_plain(w) for w in _NUMBER_WORD.findall(part) if _plain(w)]


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
