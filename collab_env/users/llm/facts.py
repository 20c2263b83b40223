"""What a user message does to the task, read from its facts: whether it computes the task's
answer, names a document the goal is not, or affirms an answer the task's verdict finds wrong.

A person may do a step of arithmetic or try an answer (a student does: "13 * 5 = 65, 65 / 5 =
13"), but a simulated user must not hand the assistant the solution (issue 44, items 4 and 9).
So the guards judge a message by what it does to the task, not by its form:

- it *computes the answer* when it states the instance's reference (Math: the reference answer,
  reached by the user's own working, the conversation not having said it; Code: an output of the
  function the user works out itself, "the expected output is (1, 3, 5, 8, 11)"), or writes a
  worked solution (a boxed answer, more than :data:`MAX_STEPS` steps of arithmetic);
- it *misnames the task* when it speaks of a kind of document the goal is not ("the blog post"
  in a Math task, or in a Doc task whose goal is a product description);
- it *affirms a wrong answer* when it accepts ("That's correct!") the assistant's last answer
  that the task's own verdict finds wrong, and corrects nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from collab_env.types import ChatMessage, TaskInstance
from collab_env.users.llm import register

#: Steps of arithmetic ("40 * 0.9 = 36") a person may write in one message; more is a worked solution.
MAX_STEPS = 2

_FRAC = re.compile(r"\\[dt]?frac\{\s*(\d+)\s*\}\{\s*(\d+)\s*\}")
_RATIO = re.compile(r"(?<![\w.,/])(\d+)\s*/\s*(\d+)(?![\w.,/]*\d)")
_DECIMAL = re.compile(r"(?<![\w.,/])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?![\w/]|\.\d)")


def known(messages: Sequence[ChatMessage], instance: TaskInstance) -> str:
    """What the material and the conversation hold, normalised (a detail in it is not made up)."""
    text = f"{instance.request}\n{instance.opening}\n" + "\n".join(m["content"] for m in messages)
    return " ".join(text.lower().split())


def reference_value(instance: TaskInstance) -> Fraction | None:
    r"""The instance's reference answer as an exact number (``\frac{972}{25}``, ``90``, ``-3.5``),
    or ``None`` when it has none or it is not a plain number.

    >>> from collab_env.types import TaskInstance
    >>> class Ref:
    ...     answer = r"\frac{972}{25}"
    >>> reference_value(TaskInstance("t", "math", "", (), Ref(), ""))
    Fraction(972, 25)
    """
    answer = getattr(instance.reference, "answer", None)
    if not isinstance(answer, str):
        return None
    text = answer.strip().strip("$").replace("{,}", "").replace(",\\!", "").replace(" ", "")
    sign = -1 if text.startswith("-") else 1
    text = text.lstrip("-")
    frac = _FRAC.fullmatch(text)
    if frac and int(frac[2]):
        return sign * Fraction(int(frac[1]), int(frac[2]))
    if re.fullmatch(r"\d+(\.\d+)?", text.replace(",", "")):
        return sign * Fraction(text.replace(",", ""))
    return None


#: Longer numbers are read as no number: no task's answer has more digits, and Python refuses to
#: convert a string of more than 4,300 digits (a legal message of 20,000 digits crashed the step).
MAX_NUMBER_CHARS = 40


def numbers_equal_to(text: str, value: Fraction) -> list[str]:
    r"""The numbers ``text`` states that equal ``value`` (its sign aside): a fraction
    (``972/25``, ``\frac{972}{25}``) exactly, a decimal to the places it gives (``38.88``,
    ``68.57`` for 480/7), a whole number only when ``value`` is whole.

    >>> numbers_equal_to("So it's $38.88, or 972/25.", Fraction(972, 25))
    ['972/25', '38.88']
    >>> numbers_equal_to("About 69, I think; 68.57 exactly", Fraction(480, 7))
    ['68.57']
    """
    value, found = abs(value), []
    for m in [*_FRAC.finditer(text), *_RATIO.finditer(text)]:
        if len(m[0]) <= MAX_NUMBER_CHARS and int(m[2]) and Fraction(int(m[1]), int(m[2])) == value:
            found.append(m[0])
    bare = _RATIO.sub(" ", _FRAC.sub(" ", text))  # the parts of a fraction are not numbers of their own
    for m in _DECIMAL.finditer(bare):
        if len(m[0]) > MAX_NUMBER_CHARS:  # no answer is that long (and int() refuses 4,300 digits)
            continue
        whole, places = m[1].replace(",", ""), m[2] or ""
        said = Fraction(f"{whole}.{places}" if places else whole)
        if places and abs(said - value) < Fraction(1, 2 * 10 ** len(places)):
            found.append(m[0])
        elif not places and value.denominator == 1 and said == value:
            found.append(m[0])
    return found


def worked(text: str) -> bool:
    """Whether ``text`` writes a worked solution: a boxed answer (the solver's form), or more
    than :data:`MAX_STEPS` steps of arithmetic. A step or two is a person's own working.

    >>> worked("13 * 5=65  65/5=13."), worked("40 * 0.9 = 36, 36 * 1.08 = 38.88, 50 - 38.88 = 11.12")
    (False, True)
    """
    return bool(register.BOXED.search(text)) or len(register.EQUATION.findall(text)) > MAX_STEPS


def states_answer(text: str, messages: Sequence[ChatMessage], instance: TaskInstance) -> list[str]:
    """What ``text`` states of the task's answer that the user worked out itself: the reference
    answer (where it is a number) when neither the material nor the conversation says it, and,
    for a function-writing task, an output of the function the material does not give
    (:func:`computed_outputs`). Without a reference (people's turns whose problem is redacted)
    nothing is found.
    """
    value = reference_value(instance)
    said = numbers_equal_to(text, value) if value is not None else []
    if said and numbers_equal_to(known(messages, instance), value):
        said = []  # the assistant said it first: the user repeats it, it did not work it out
    return said + computed_outputs(text, messages, instance)


def computed_outputs(text: str, messages: Sequence[ChatMessage], instance: TaskInstance) -> list[str]:
    """The outputs of the function that ``text`` states ("should return [1, 1, 3]", "the expected
    output is (1, 3, 5, 8, 11)", "'Hello World' -> 'hello-world'") and the material and the
    conversation do not hold: worked out by the user, where the task is to write the function.
    """
    if instance.family != "code":
        return []
    held = _compact(known(messages, instance))
    return [m["value"] for m in register.OUTPUT.finditer(text) if _compact(m["value"]) not in held]


def foreign_documents(text: str, messages: Sequence[ChatMessage], instance: TaskInstance) -> list[str]:
    """The kinds of document ``text`` speaks of ("the blog post", "my letter") where the task is
    no document at all (a profile from the document study leaking into Math, Code or QA), named
    neither in the material nor in the conversation. In a Doc task the name is left to the
    person: people call the letter they asked for "the email" (SimulatorArena doc-040, doc-044).

    >>> from collab_env.types import TaskInstance
    >>> goal = TaskInstance("t", "math", "", (), None, "How much will I pay for the lamp?")
    >>> foreign_documents("The blog post needs the total.", [], goal), foreign_documents("I need the total.", [], goal)
    (['blog post'], [])
    """
    if instance.family == "doc":
        return []  # people call their letter an email (SimulatorArena): in Doc the name is theirs
    held = known(messages, instance)
    said = (m["kind"].lower() for m in register.DOCUMENT_NAMED.finditer(text))
    return list(dict.fromkeys(k for k in said if not re.search(rf"\b{re.escape(k)}", held)))


def affirms_wrong(text: str, unmet: Sequence[Any] | None) -> bool:
    """Whether ``text`` accepts the assistant's last answer ("That's correct!", "Perfect, that's
    what I needed") while the task's verdict finds it wrong (``unmet``: what the answer lacks;
    ``None`` when it gave none), and corrects nothing ("That's right, but the tax is 8%" corrects).

    >>> affirms_wrong("That's correct! Thanks.", ["tax"]), affirms_wrong("That's correct! Thanks.", [])
    (True, False)
    >>> affirms_wrong("That's right, but the tax is 8%.", ["tax"])
    False
    """
    if not unmet or not register.AFFIRM.search(text):
        return False
    return not (register.CORRECTION.search(text) or register.CONTRAST.search(text) or "?" in text)


def _compact(text: str) -> str:
    """``text`` lower case without spaces, one kind of quote (a literal said again, respaced)."""
    return re.sub(r"\s+", "", text.lower()).replace('"', "'")


__all__ = [
    "MAX_STEPS",
    "affirms_wrong",
    "computed_outputs",
    "foreign_documents",
    "known",
    "numbers_equal_to",
    "reference_value",
    "states_answer",
    "worked",
]
