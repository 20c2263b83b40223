"""How many values a final answer states: one, or several joined by a connective, a set or a list.

A grader that compares a prediction with the reference by parsing it (math-verify) reads
``7 \\lor 12`` as one of its sides, so an answer joined by a logic connective, a set or a list
of values would be equivalent to each of its values: a hedge that always wins. The math grader
therefore counts the values first (:func:`values`) and compares values only with a reference of
the same form (a list against a list, as sets).

Every pattern here is linear in its input: a scanner with one pass, and regular expressions
without nested or overlapping repetitions.
"""

from __future__ import annotations

import re

#: Commands that join alternatives or list values (logic, sets, divisibility, alignment, space).
_JOINING_COMMANDS = re.compile(
    r"\\(?:lor|vee|land|wedge|cup|cap|bigcup|bigcap|mid|parallel|quad|qquad|implies|impliedby|iff|"
    r"Rightarrow|Leftarrow|Leftrightarrow|rightarrow|leftrightarrow)(?![a-zA-Z])"
)
#: Absolute-value bars in their LaTeX spellings (read as one bar).
_BARS = re.compile(r"\\(?:left|right|big|Big|bigg|Bigg)\\?\||\\[lr]?[vV]ert(?![a-zA-Z])")
#: Words that join alternatives, wherever they stand (``\text{ or }``, ``\text{ (or } 12)``).
_JOINING_WORDS = re.compile(
    r"(?<![a-zA-Z])(?:or|and|either|possibly|maybe|perhaps|otherwise)(?![a-zA-Z])", re.I
)
#: Text commands whose argument is prose: their words are read as words.
_TEXT = re.compile(r"\\(?:text|textrm|textbf|textit|mbox|hbox|mathrm|operatorname)\s*\{([^{}]*)\}")
#: A thousands separator between digits (``1,000``, ``10{,}000``, ``10,\!000``): not a list.
_THOUSANDS = re.compile(r"(?<=\d)(?:\{,\}|,\\!|,)(?=\d{3}(?!\d))")
#: The braces of a set around the whole answer.
_SET = re.compile(r"\s*(?:\\left)?\\\{(.*?)(?:\\right)?\\\}\s*", re.S)
#: Environments: ``cases`` stacks alternatives (each row a value); any other (a matrix) is one value.
_CASES = re.compile(r"\\(?:begin|end)\{cases\}")
_BEGIN, _END = re.compile(r"\\begin\{[a-zA-Z*]*\}"), re.compile(r"\\end\{[a-zA-Z*]*\}")
#: What the joiners become before the split (a character no answer holds).
_JOIN, _ROW = "\x00", "\x01"
_SEPARATORS = ",;&" + _ROW
_OPEN, _CLOSE = "([{", ")]}"


def values(answer: str) -> list[str]:
    r"""The values ``answer`` states, in order: one for a single answer, several for a hedge or a list.

    Values are separated by a logic or set connective (``\lor``, ``\vee``, ``\wedge``, ``\cup``,
    ``\mid``...), a joining word (``or``, ``and``, also inside ``\text{}``), and, outside
    brackets, by commas, semicolons, ``&``, ``|`` and line breaks; a set ``\{...\}`` around
    the whole answer lists its elements. An interval or a tuple (``(2, 3]``) is one value, and
    so is a number with thousands separators.

    >>> values(r"7 \lor 12"), values(r"\{7, 12\}"), values(r"x = 2 \text{ or } x = -3")
    (['7', '12'], ['7', '12'], ['x = 2', 'x = -3'])
    >>> values(r"(2, 3]"), values("10,000"), values(r"\frac{1}{2}")
    (['(2, 3]'], ['10000'], ['\\frac{1}{2}'])
    """
    text = _THOUSANDS.sub("", _TEXT.sub(lambda m: f" {m[1]} ", answer))
    inside_set = _SET.fullmatch(text)
    if inside_set:
        text = inside_set[1]
    text = _END.sub("}", _BEGIN.sub("{", _CASES.sub(" ", text))).replace("\\\\", _ROW)
    text = _bars(_JOINING_WORDS.sub(_JOIN, _JOINING_COMMANDS.sub(_JOIN, text)))
    pieces = [piece.strip() for piece in _split_outside_brackets(text)]
    return [piece for piece in pieces if piece.strip("()[]{} .")]


def _bars(text: str) -> str:
    """Bars paired as absolute values (brackets) when they pair up, else each one a separator."""
    text = _BARS.sub("|", text)
    if text.count("|") % 2:
        return text.replace("|", _JOIN)
    parts = text.split("|")
    return "".join(part + ("(" if i % 2 == 0 else ")") for i, part in enumerate(parts[:-1])) + parts[-1]


def _split_outside_brackets(text: str) -> list[str]:
    """``text`` split at the separators that stand outside every bracket (one pass)."""
    pieces, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth = max(0, depth - 1)
        elif char == _JOIN or (char in _SEPARATORS and depth == 0):
            pieces.append(text[start:i])
            start = i + 1
    pieces.append(text[start:])
    return pieces
