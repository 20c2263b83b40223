"""The math family's public problem templates: openings, quantities and formulas.

Each template lists its quantity slots: (slot, facet kind, statement pattern, own keywords,
the values the generator draws from, the guess a drafter uses when the value is unknown).
Statement patterns are regular expressions with one group for the number, so that the same
text serves the generator (``{}`` is filled in) and the drafter (the number is read back).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy


@dataclass(frozen=True)
class Slot:
    """One quantity of a problem.

    Attributes:
        name: Slot name, unique in the template (``"price_a"``).
        kind: Facet kind (``"price"``).
        statement: How the user states it, with ``{v}`` for the number (may use the template's words).
        question: How an assistant asks for it.
        keywords: Words that point at this slot in particular.
        values: Numbers the generator draws from.
        guess: What a drafter assumes when the value is unknown.
    """

    name: str
    kind: str
    statement: str
    question: str
    keywords: tuple[str, ...]
    values: tuple[int, ...]
    guess: int


@dataclass(frozen=True)
class Template:
    """A word-problem template.

    Attributes:
        name: Template name.
        opening: The vague opening request (``{a}``, ``{b}`` are the template's words).
        cue: A phrase of the opening that identifies the template.
        words: Word pairs drawn for ``{a}``/``{b}``.
        slots: The quantities.
        answer: The formula, from slot values to the exact answer.
    """

    name: str
    opening: str
    cue: str
    words: tuple[tuple[str, str], ...]
    slots: tuple[Slot, ...]
    answer: Callable[[dict[str, sympy.Rational]], sympy.Expr]


R = sympy.Rational
TEMPLATES = (
    Template(
        "shopping",
        "I bought some {a}s and some {b}s and paid with a bill. How much change should I get back, in dollars?",
        "change should I get",
        (("notebook", "pen"), ("apple", "orange"), ("ticket", "snack"), ("candle", "card")),
        (
            Slot(
                "price_a",
                "price",
                "Each {a} costs ${v}.",
                "How much does each {a} cost?",
                ("{a}",),
                (2, 3, 4, 5),
                1,
            ),
            Slot(
                "count_a", "count", "I bought {v} {a}s.", "How many {a}s did you buy?", ("{a}",), (2, 3, 4), 1
            ),
            Slot(
                "price_b",
                "price",
                "Each {b} costs ${v}.",
                "How much does each {b} cost?",
                ("{b}",),
                (1, 2, 3),
                1,
            ),
            Slot(
                "count_b",
                "count",
                "I bought {v} {b}s.",
                "How many {b}s did you buy?",
                ("{b}",),
                (1, 2, 5, 6),
                1,
            ),
            Slot(
                "bill",
                "payment",
                "I paid with a ${v} bill.",
                "What bill did you pay with?",
                ("bill",),
                (50, 100),
                20,
            ),
        ),
        lambda v: v["bill"] - v["price_a"] * v["count_a"] - v["price_b"] * v["count_b"],
    ),
    Template(
        "work",
        "{a} and {b} are painting a fence together. How many hours will it take them, working together?",
        "painting a fence together",
        (("Ana", "Ben"), ("Chen", "Dora"), ("Eli", "Fatima")),
        (
            Slot(
                "time_a",
                "time",
                "Alone, {a} takes {v} hours.",
                "How long does {a} take alone?",
                ("{a}",),
                (2, 3, 4, 6),
                1,
            ),
            Slot(
                "time_b",
                "time",
                "Alone, {b} takes {v} hours.",
                "How long does {b} take alone?",
                ("{b}",),
                (3, 5, 6, 12),
                1,
            ),
        ),
        lambda v: v["time_a"] * v["time_b"] / (v["time_a"] + v["time_b"]),
    ),
    Template(
        "discount",
        "I'm buying a {a} that is on sale, and sales tax is added at the till. How much will I pay, in dollars?",
        "that is on sale",
        (("jacket", ""), ("lamp", ""), ("bicycle", ""), ("kettle", "")),
        (
            Slot(
                "price",
                "price",
                "The {a} costs ${v} before the sale.",
                "What does the {a} cost before the sale?",
                ("before the sale", "{a}"),
                (40, 80, 120, 200),
                100,
            ),
            Slot(
                "discount",
                "discount",
                "The discount is {v}%.",
                "How big is the discount?",
                ("discount",),
                (10, 20, 25, 50),
                0,
            ),
            Slot("tax", "tax", "Sales tax is {v}%.", "What is the sales tax rate?", ("tax",), (5, 8, 10), 0),
        ),
        lambda v: v["price"] * (100 - v["discount"]) / 100 * (100 + v["tax"]) / 100,
    ),
    Template(
        "trip",
        "I drove to {a} and came back on the same road. What was my average speed for the whole round trip, in km/h?",
        "average speed for the whole round trip",
        (("the coast", ""), ("my aunt's farm", ""), ("the lake", "")),
        (
            Slot(
                "speed_there",
                "speed",
                "On the way there I drove at {v} km/h.",
                "How fast did you drive on the way there?",
                ("way there", "going"),
                (40, 60, 90),
                50,
            ),
            Slot(
                "speed_back",
                "speed",
                "On the way back I drove at {v} km/h.",
                "How fast did you drive on the way back?",
                ("way back", "return"),
                (30, 60, 80, 120),
                50,
            ),
        ),
        lambda v: 2 * v["speed_there"] * v["speed_back"] / (v["speed_there"] + v["speed_back"]),
    ),
    Template(
        "garden",
        "I want to fence my rectangular {a}, leaving a gap for a gate. How many metres of fencing do I need?",
        "leaving a gap for a gate",
        (("garden", ""), ("paddock", ""), ("vegetable plot", "")),
        (
            Slot(
                "length",
                "length",
                "The {a} is {v} m long.",
                "How long is the {a}?",
                ("{a}",),
                (8, 10, 12, 15),
                10,
            ),
            Slot(
                "width", "width", "The {a} is {v} m wide.", "How wide is the {a}?", ("{a}",), (4, 5, 6, 9), 10
            ),
            Slot("gate", "gate", "The gate is {v} m wide.", "How wide is the gate?", ("gate",), (1, 2, 3), 1),
        ),
        lambda v: 2 * (v["length"] + v["width"]) - v["gate"],
    ),
    Template(
        "ages",
        "My {a} is older than me. How old will my {a} be a few years from now?",
        "older than me",
        (("sister", ""), ("brother", ""), ("cousin", "")),
        (
            Slot(
                "my_age",
                "age",
                "I am {v} years old.",
                "How old are you now?",
                ("old are you", "your age"),
                (9, 12, 15, 21),
                10,
            ),
            Slot(
                "difference",
                "difference",
                "My {a} is {v} years older than me.",
                "How much older is your {a}?",
                ("older",),
                (2, 3, 5, 7),
                2,
            ),
            Slot(
                "horizon",
                "horizon",
                "I mean {v} years from now.",
                "How many years from now do you mean?",
                ("years from now",),
                (2, 4, 10),
                1,
            ),
        ),
        lambda v: v["my_age"] + v["difference"] + v["horizon"],
    ),
)
KIND_KEYWORDS = {
    "price": ("cost", "price", "how much does"),
    "count": ("how many", "number of", "quantity"),
    "payment": ("bill", "paid", "pay with"),
    "time": ("how long", "hours", "alone"),
    "discount": ("discount", "percent off"),
    "tax": ("tax",),
    "speed": ("how fast", "speed", "km/h"),
    "length": ("how long", "length"),
    "width": ("how wide", "width"),
    "gate": ("gate",),
    "age": ("how old are you", "your age"),
    "difference": ("older", "age difference"),
    "horizon": ("years from now", "how many years"),
}


def fill(text: str, words: tuple[str, str]) -> str:
    """Put the template's words into a text."""
    return text.replace("{a}", words[0]).replace("{b}", words[1])
