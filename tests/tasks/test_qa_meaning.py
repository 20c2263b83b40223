"""QA graded by meaning (issue 40, point 3): general normalisations and what a reply commits to.

Each behaviour has its fair control beside it: the same reply under the other reading (its answer
swapped with the intended one's) is refused, and a hedge that names both readings stays wrong.
"""

from __future__ import annotations

import time

import pytest

from collab_env.tasks.qa.metric import is_correct
from collab_env.tasks.qa.normal import canonical, numbers_as_digits

DAYS = ("Wednesday", "Tuesday")  # (intended, other) of a "When did she go?" question


def _day(reply: str, intended: str = "Wednesday", other: str = "Tuesday") -> bool:
    return is_correct(reply, [intended], others=[other], question="When did she go?")


def _both_ways(reply: str, gold: str, other: str, **kwargs) -> tuple[bool, bool]:
    """The verdict under the intended reading, then under the other (answers swapped)."""
    return (
        is_correct(reply, [gold], others=[other], **kwargs),
        is_correct(reply, [other], others=[gold], **kwargs),
    )


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("twenty twelve", "2012"),
        ("nineteen oh five", "1905"),
        ("two thousand and twelve", "2012"),
        ("twenty twenty-one", "2021"),
        ("three hundred and two", "302"),
        ("forty-two", "42"),
        ("one two three", "1 2 3"),
        ("the one who went", "the one who went"),  # a lone "one" is a word
        ("a hundred and cats", "a 100 and cats"),
        ("zero", "0"),
    ],
)
def test_number_words_are_read_as_digits(text, digits):
    assert numbers_as_digits(canonical(text) if "-" in text else text) == digits


def test_abbreviation_of_the_intended_answer_is_accepted_and_of_the_other_refused():
    assert _day("Wed.") and _day("Weds") and _day("On Wed., to the harbour.")
    assert not _day("Tues.") and not _day("Tue") and not _day("Tues. or Wed.")
    assert _day("on weds") and not _day("on tues")  # the unambiguous ones in any case
    assert canonical("They wed in June.") == "They wed in June."  # lower case: no abbreviation


def test_spelling_variants_name_the_same_answer_and_not_the_other():
    assert _both_ways("Harbor.", "the harbour", "the bakery") == (True, False)
    assert _both_ways("The theater.", "the theatre", "the museum") == (True, False)
    assert canonical("your four tours") == "your 4 tours"  # short words keep their spelling


def test_a_hyphenated_answer_is_its_words():
    reply = "Not an airplane: a hot-air balloon designed by the Montgolfier brothers."
    assert is_correct(reply, ["a hot air balloon"]) and not is_correct(reply, ["an airplane"])
    assert _both_ways(reply, "a hot air balloon", "an airplane") == (True, False)


def test_a_year_in_words_is_the_year_and_another_year_in_words_is_not():
    assert _both_ways("Her son was born in twenty twelve.", "2012", "2010") == (True, False)
    assert not is_correct("In twenty ten.", ["2012"], others=["2010"])


def test_a_count_in_digits_or_words_may_be_left_out():
    golds, others = ["two captains"], ["major"]
    assert is_correct("2 captains.", golds, others) and is_correct("Captains.", golds, others)
    assert not is_correct("Three captains.", golds, others)


def test_both_readings_named_then_the_intended_chosen_is_accepted_the_other_refused():
    for reply in (
        "Julia went on Tuesday, Elena on Wednesday. Since you mean Elena: Wednesday.",
        "Julia went on Tuesday and Elena on Wednesday. You asked about Elena, so: Wednesday.",
        "Tuesday. Actually, no: Wednesday.",
        "Tuesday, sorry, Wednesday.",
    ):
        assert _day(reply) and not _day(reply, *reversed(DAYS)), reply


def test_both_readings_named_without_a_choice_is_a_hedge_under_either_reading():
    for reply in (
        "Julia went on Tuesday and Elena on Wednesday.",
        "Elena's trip was on Wednesday; Julia's was on Tuesday.",
        "If you mean Elena, Wednesday; if Julia, Tuesday.",
        "Tuesday or Wednesday.",
        "Not Tuesday, not Wednesday.",
        "Wednesday (maybe Tuesday).",
        "Wednesday (Tuesday).",
        "Wednesday, unless you mean Julia (she went on Tuesday).",
        "Julia was the one who went on Tuesday; Elena was the one who went on Wednesday.",
        "Not only Tuesday but also Wednesday.",
        "Tuesday or Wednesday, so Wednesday.",
        "Wednesday.\n\nI read the passage again. I read the passage again.\n\nThen again: Tuesday.",
    ):
        assert not _day(reply) and not _day(reply, *reversed(DAYS)), reply


def test_the_other_reading_set_aside_leaves_the_asserted_answer():
    for reply in (
        "Elena went on Wednesday (Julia was the one who went on Tuesday).",
        "Elena went on Wednesday, not Tuesday.",
        "Not Tuesday but Wednesday.",
        "Wednesday rather than Tuesday.",
        "Wednesday, the day after Julia's Tuesday trip.",
        "Wednesday; it was Julia who went on Tuesday.",
        "It wasn't Tuesday; it was Wednesday.",
    ):
        assert _day(reply) and not _day(reply, *reversed(DAYS)), reply
    reply = "Luca was born in 2012, two years after the 2010 wedding."
    assert _both_ways(reply, "2012", "2010") == (True, False)


def test_a_negated_yes_no_answer_keeps_its_side():
    assert _both_ways("He did not.", "no", "yes") == (True, False)
    assert _both_ways("No, not at all.", "no", "yes") == (True, False)


def test_an_article_noun_phrase_is_named_by_its_head_unless_another_reading_shares_it():
    assert is_correct("A balloon.", ["a hot air balloon"], others=["a sailing race"])
    assert not is_correct("A balloon.", ["a hot air balloon"], others=["a weather balloon"])
    assert not is_correct("Farm.", ["hire it out to fools to farm"])  # no article: no head alone


REPLIES = (
    "Wed.", "Tues.", "Wednesday (Julia went on Tuesday).", "Tuesday, not Wednesday.",
    "Julia went on Tuesday and Elena on Wednesday.", "Tuesday. Actually, Wednesday.",
    "Not Tuesday, not Wednesday.", "(Tuesday) (Wednesday)", "Wednesday, after Tuesday.",
    "So Tuesday. So Wednesday.", "Tuesday, so not Wednesday, so Tuesday.", "Wednesday Tuesday",
)  # fmt: skip


@pytest.mark.parametrize("reply", REPLIES)
def test_no_reply_is_right_under_both_readings(reply):
    """Which part of a reply is asserted never depends on which reading is intended."""
    assert not all(_both_ways(reply, "Wednesday", "Tuesday", question="When did she go?"))


@pytest.mark.parametrize("unit", ["twenty ", "Tues. ", "(not ", "not Tuesday but ", "so Tuesday ", "colour "])
def test_reading_meaning_is_linear_in_the_reply(unit):
    def best(size: int) -> float:
        reply = (unit * (size // len(unit) + 1))[:size]
        times = []
        for _ in range(3):
            start = time.perf_counter()
            _day(reply)
            times.append(time.perf_counter() - start)
        return max(min(times), 2e-4)

    assert best(20_000) / best(2_000) < 30


def test_an_answer_named_only_to_deny_it_is_not_stated():
    assert not _day("Not Wednesday.") and not _day("She didn't go on Wednesday.")
    assert _day("Wednesday, not Tuesday.")  # the control: the denial beside an assertion
    assert is_correct("She couldn't sleep.", ["she couldn't sleep"], others=["she slept well"])
