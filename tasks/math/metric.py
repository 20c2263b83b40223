"""Math metric: the final answer is equivalent to the reference (math-verify, sympy underneath)."""

from __future__ import annotations

import functools
import itertools
import re
import threading

from math_verify import parse, verify

from .bounded import BoundedCall, is_plain
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
        match = next(
            (i for i, e in enumerate(left) if _one_equivalent(_last_side(value), _last_side(e))), None
        )
        if match is None:
            return False
        del left[match]
    return True


@functools.lru_cache(maxsize=65536)
def _one_equivalent(predicted: str, reference: str) -> bool:
    """Whether two single answers are equivalent, in a worker with a deadline unless both are plain."""
    if is_plain(predicted) and is_plain(reference):
        return _compare(predicted, reference)
    return _BOUNDED(predicted, reference)


def _compare(predicted: str, reference: str) -> bool:
    """Whether two single answers are equivalent (math-verify, then after :func:`normalise`)."""
    if _math_verify(predicted, reference):
        return True
    plain_p, plain_r = normalise(predicted), normalise(reference)
    return bool(plain_p) and (plain_p == plain_r or _math_verify(plain_p, plain_r))


_BOUNDED = BoundedCall(_compare)


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


def _math_verify(predicted: str, reference: str) -> bool:
    # math-verify's timeouts use signal.alarm, which only the main thread may set (the bounded
    # worker's comparisons run in its main thread; see bounded.py for the others).
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


#: A word (a run of non-space characters) with a digit in it; a match starts only at a word's
#: start, so a long word without a digit is read once, not once per character.
_NUMBER_WORD = re.compile(r"(?<!\S)\S*\d\S*+")
_THOUSANDS = re.compile(r"^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
#: "the answer is", "final answer:", "answer =" (the last one counts).
_ANCHOR = re.compile(r"\banswer\s*(?:is|:|=)\s*(?::\s*)?", re.I)
#: Delimited LaTeX: ``$$…$$``, ``\[…\]``, ``\(…\)``, ``$…$`` (an escaped ``\$`` is money, not math).
#: A span's content never holds its own opening, so an unclosed opening is read up to the next
#: one, not to the end of the text (linear however many unclosed openings there are).
_LATEX = re.compile(
    r"\$\$((?:(?!\$\$).)+?)\$\$|\\\[((?:(?!\\\[).)+?)\\\]|\\\(((?:(?!\\\().)+?)\\\)|(?<!\\)\$([^$]+?)(?<!\\)\$",
    re.S,
)
#: A sentence that asks something (its numbers are not answers: "Did you buy 3 pens?").
_QUESTION = re.compile(r"(?<![^.!?\n])[^.!?\n]*\?")  # starts only where a sentence does
_SENTENCE_END = re.compile(r"(?<!\\)(?:[.!?](?:\s|$)|;)|\n")
#: A sentence that checks an answer already given (what follows is not the answer).
_CHECK = re.compile(
    r"[\s*#>_-]{0,8}(?:(?:let'?s|let us|we can|to|now|quick|as a|and|i'?ll|a|double)[\s-]{0,3}){0,4}"
    r"(?:check|checking|verify|verifying|verification|confirm|confirming|sanity check|plug(?:ging)? (?:it |this |that |these |5 )?(?:back|in)|substitut(?:e|ing) (?:it |this |that )?back)\b",
    re.I,
)
_OR = re.compile(r"\bor\b", re.I)
#: What an answer cannot be without: a digit, a LaTeX delimiter or command, or the word "answer".
_EVIDENCE = re.compile(r"[\d$\\]|answer", re.I)
#: Check sentences tried by :func:`_before_checks`; alternatives joined by "or" read by :func:`_hedged`.
_CHECKS_READ, _ALTERNATIVES_READ = 8, 16
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
    """``text`` up to the first sentence that checks an answer already given, if one was.

    Only the first :data:`_CHECKS_READ` check sentences after the first sign of an answer (a
    digit, ``$``, a command or "answer") are tried: each try reads the text before it, so
    trying every one would cost the square of the text's length.
    """
    evidence = _EVIDENCE.search(text)
    if evidence is None:
        return text
    starts = (m.end() for m in _SENTENCE_END.finditer(text, evidence.end()))
    checks = (start for start in starts if _CHECK.match(text, start))
    for start in itertools.islice(checks, _CHECKS_READ):
        if _locate(text[:start]) is not None:
            return text[:start]
    return text


def _hedged(text: str, where: int, answer: str) -> bool:
    """Whether "or" joins the answer and a different one in its sentence (or the next one)."""
    starts = [0, *(m.end() for m in _SENTENCE_END.finditer(text))]
    begin = max(s for s in starts if s <= where)
    ends = [s for s in starts if s > where]
    sentence = text[begin : ends[1] if len(ends) > 1 else len(text)]
    sentence = _NOT_A_CHOICE.sub(" ", _LATEX.sub(lambda m: f" {_span_answer(m)} ", _unbox(sentence)))
    pieces = _OR.split(sentence, maxsplit=_ALTERNATIVES_READ)
    if len(pieces) > _ALTERNATIVES_READ:
        return True  # a sentence that offers this many alternatives commits to none of them
    parts = [_candidates(part) for part in pieces]
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
    """``text`` with each ``\boxed{X}`` replaced by `` X `` (one pass; boxes may nest)."""
    out: list[str] = []
    opened: list[bool] = []  # for each open brace: whether it opened a box
    i = 0
    while i < len(text):
        if text.startswith(_BOXED, i):
            out.append(" ")
            opened.append(True)
            i += len(_BOXED)
            continue
        char = text[i]
        if char == "{":
            opened.append(False)
        elif char == "}" and opened and opened.pop():
            char = " "
        out.append(char)
        i += 1
    return "".join(out)


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
