"""Profiles per task family: an episode draws only a person who fits its family (no document
study's blog posts, letters or friends' names in a Math, Code or QA episode), under its seed."""

from __future__ import annotations

import re

import numpy as np
import pytest

from collab_env.builders import with_parts
from collab_env.errors import ConfigError
from collab_env.llm import OpenAIChat
from collab_env.testing.openai_server import LoopbackServer
from collab_env.users import LLMUser, Profile, load_profiles
from collab_env.users.llm.profiles import draw_profile

#: Words of the document-writing study's profiles that have no place in another family's episode.
DOC_WORDS = re.compile(
    r"\b(blog|post|letter|story|article|essay|friend|dear|greeting|sign-off|paragraphs?|headings?|"
    r"bullet|anecdotes?|quotes?|tense|words?|\[[^\]]*name\])\b",
    re.I,
)
ENVS = {"CollabDoc-v0": "doc", "CollabMath-v0": "math", "CollabCode-v0": "code", "CollabQA-v0": "qa"}


def _drawn(server, env_id: str, split: str, seeds: range) -> list[Profile]:
    """The profile of each seed's episode (the template's opening: no model call)."""
    user = LLMUser(OpenAIChat("small", base_url=server.base_url), opening="template")
    env = with_parts(env_id, split=split, user=user)
    drawn = []
    for seed in seeds:
        env.reset(seed=seed)
        drawn.append(env.unwrapped.state.user_state.profile)
    return drawn


@pytest.fixture(scope="module")
def server():
    with LoopbackServer(reply=lambda m: "{}") as s:
        yield s


@pytest.mark.parametrize("split", ["train", "test"])
@pytest.mark.parametrize("env_id", ["CollabMath-v0", "CollabCode-v0", "CollabQA-v0"])
def test_a_math_code_or_qa_episode_never_draws_a_document_writers_profile(server, env_id, split):
    drawn = _drawn(server, env_id, split, range(40))
    assert all(ENVS[env_id] in p.families or "*" in p.families for p in drawn)
    leaks = [p.describe() for p in drawn if DOC_WORDS.search(p.describe())]
    assert leaks == []
    assert len({p.knowledge for p in drawn}) > 1  # still a draw, not one fixed person


def test_a_doc_episode_still_draws_the_document_study_persons(server):
    drawn = _drawn(server, "CollabDoc-v0", "test", range(40))
    assert all(p.families == ("doc",) and p.preferences for p in drawn)
    assert sum(bool(DOC_WORDS.search(p.describe())) for p in drawn) > 5  # the check above is not vacuous


def test_math_persons_come_from_the_math_tutoring_study_in_our_words(server):
    drawn = _drawn(server, "CollabMath-v0", "train", range(20))
    assert all(p.families == ("math",) and p.id.startswith("math-") for p in drawn)
    assert all("maths" in p.describe() for p in drawn)


def test_the_draw_is_fixed_by_the_seed_and_the_split_is_kept(server):
    first = _drawn(server, "CollabMath-v0", "test", range(10))
    assert first == _drawn(server, "CollabMath-v0", "test", range(10))
    assert len({p.id for p in first}) > 1
    assert all(p.split == "test" for p in first)
    assert {p.id for p in load_profiles("train")}.isdisjoint(p.id for p in load_profiles("test"))


def test_every_shipped_family_has_profiles_in_both_splits():
    for split in ("train", "test"):
        for family in ENVS.values():
            assert load_profiles(split, family), (split, family)
        assert {p.id for p in load_profiles(split, "a-users-own-family")} == {
            p.id for p in load_profiles(split) if "*" in p.families
        }


def test_given_profiles_are_drawn_only_where_they_fit():
    mine = (Profile("mine-doc", "train", "good", ("You like lists.",), ("doc",)),
            Profile("mine-any", "train", "little", ()))  # fmt: skip
    rng = np.random.default_rng(0)
    assert {draw_profile(rng, mine, "doc").id for _ in range(20)} == {"mine-doc"}
    assert {draw_profile(rng, mine, "math").id for _ in range(20)} == {"mine-any"}
    with pytest.raises(ConfigError, match="'math'"):
        draw_profile(rng, mine[:1], "math")
