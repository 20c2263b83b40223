"""The meaning match of facets (collab_env.meaning.states_facet) on real task instances."""

from __future__ import annotations

import gymnasium as gym
import pytest

import collab_env  # noqa: F401 - registers the envs
from collab_env.meaning import states_facet, tokens
from collab_env.types import Facet

NONE = Facet(
    "missing_values", "missing_values", "raise on None", "Raise a ValueError if the list contains None."
)
EMPTY = Facet("empty_input", "empty_input", "raise ValueError", "For an empty list, raise a ValueError.")
ROUND = Facet("rounding", "rounding", "2 decimal places", "Round the result to 2 decimal places.")
MEAN = (Facet("name", "name", "list_mean", "Call the function `list_mean`."), NONE, EMPTY, ROUND)
OPENING = "Can you write a Python function that averages a list of numbers?"


def said(text: str, facet: Facet) -> bool:
    return states_facet(text, facet, MEAN, OPENING)


@pytest.mark.parametrize(
    "text, facet",
    [
        ("it should throw a ValueError when there's a None in it", NONE),
        ("If the list is empty, throw a ValueError please.", EMPTY),
        ("Round it to two decimal places.", ROUND),
        ("Name it list_mean.", MEAN[0]),
    ],
)
def test_paraphrases_with_the_right_number_or_name_state_the_facet(text: str, facet: Facet) -> None:
    assert said(text, facet)


@pytest.mark.parametrize(
    "text, facet",
    [
        ("Round it to 3 decimal places.", ROUND),  # another number
        ("Round it to 2.5 decimal places.", ROUND),
        ("Name it list_average.", MEAN[0]),  # another name
        ("Skip any None values.", NONE),  # another value of the kind
        ("Don't round the result to 2 decimal places.", ROUND),  # negated
        ("Never raise a ValueError if the list contains None.", NONE),
        ("Don't call it list_mean.", MEAN[0]),
    ],
)
def test_a_wrong_number_name_value_or_a_negation_is_not_the_facet(text: str, facet: Facet) -> None:
    assert not said(text, facet)


def test_another_facets_statement_is_not_the_facet() -> None:
    for facet in MEAN:
        for other in MEAN:
            if other is not facet:
                assert not said(other.statement, facet), (other.statement, facet.name)


def test_math_numbers_go_to_the_facet_whose_words_fit() -> None:
    instance = gym.make("CollabMath-v0", split="test").unwrapped.task.instance("test", 0)
    by = {f.name: f for f in instance.facets}
    assert set(by) >= {"price_a", "count_a", "price_b", "count_b", "bill"}, "seed 0 changed: update the test"

    def told(text: str) -> set[str]:
        return {f.name for f in instance.facets if states_facet(text, f, instance.facets, instance.opening)}

    assert told("I bought two notebooks") == {"count_a"}
    assert told("Each pen is 2 dollars.") == {"price_b"}
    assert told("A notebook costs $3.00") == {"price_a"}
    assert told("I paid with a hundred-dollar bill") == {"bill"}
    assert told("I paid with a $50 bill") == set()  # a different number is not the facet
    assert told("It's not $3 per notebook.") == set()


def test_every_hidden_facet_is_visible_in_its_own_statement_and_not_in_the_others() -> None:
    for family in ("Code", "Doc", "Math", "QA"):
        task = gym.make(f"Collab{family}-v0", split="test").unwrapped.task
        for index in range(0, task.size("test"), 10):
            instance = task.instance("test", index)
            for f in instance.hidden_facets:
                assert states_facet(f.statement, f, instance.facets, instance.opening), (family, f)
                for g in instance.facets:
                    if g.value != f.value and g.statement != f.statement:
                        assert not states_facet(g.statement, f, instance.facets, instance.opening), (f, g)


def test_numbers_are_normalised() -> None:
    assert tokens("three dollars, $3.00, 3rd, twenty-one, a hundred and 1,000") == [
        "3", "dollars", "3", "dollar", "3", "21", "a", "100", "and", "1000",
    ]  # fmt: skip
