"""SimulatorArena's human conversations as a CollabDoc data set: facets from the intent, coverage, episodes."""

from __future__ import annotations

import json
from pathlib import Path

import gymnasium as gym
import pytest

from collab_env.agents import make_agent
from collab_env.errors import DatasetError
from collab_env.rollout import run_episode
from collab_env.tasks.datasets import load_dataset
from collab_env.tasks.doc.simarena import (
    MAX_DETAILS,
    SimulatorArenaDataset,
    content_stems,
    covers,
    intent_facets,
)

SIMARENA = Path(__file__).resolve().parents[3] / "shared" / "data" / "simarena" / "doc_conversations.jsonl"
RECORD = {
    "id": "r0",
    "intent": "Career Advice: Offer guidance on navigating career challenges, such as job hunting or growth.",
    "document_type": "blog post",
    "user_queries": ["Hello", "Something about nurses please.", "Thanks!"],
    "ai_responses": json.dumps(["Hi! What is it about?", "Here is a draft about nursing.", "Glad to help."]),
}


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "conversations.jsonl"
    records = [
        RECORD,
        {**RECORD, "id": "r1", "intent": ""},
        {**RECORD, "id": "r2", "user_queries": ["I want a blog post giving career advice to nurses"]},
    ]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    return path


def test_an_intent_becomes_a_purpose_and_content_facets_the_first_query_the_opening(data):
    task = SimulatorArenaDataset(data)
    instance = task.instances[0]
    assert instance.opening == "Hello" and instance.request.startswith("You want to write a blog post.")
    assert [f.kind for f in instance.facets] == ["purpose", "content", "content"]
    assert [f.value for f in instance.facets] == [
        "Career Advice",
        "Offer guidance on navigating career challenges",
        "job hunting or growth",
    ]
    assert instance.metadata["conversation"]["ai_responses"][1] == "Here is a draft about nursing."
    assert task.rejected == [(f"{data}, line 2", "no intent or no first query")]


def test_a_facet_the_first_query_states_is_in_the_opening(data):
    later = SimulatorArenaDataset(data).instances[1]
    assert [f.in_opening for f in later.facets] == [True, False, False]


def test_coverage_counts_the_facets_a_document_addresses(data):
    task = SimulatorArenaDataset(data)
    instance = task.instances[0]
    assert task.score(
        instance, "Career advice: navigating career challenges with guidance."
    ) == pytest.approx(2 / 3)
    full = " ".join(f.statement for f in instance.facets)
    assert task.score(instance, full) == 1.0 and task.unmet_facets(instance, full) == []


def test_ai_responses_that_are_not_a_list_name_the_record(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({**RECORD, "ai_responses": "not json"}) + "\n")
    with pytest.raises(DatasetError, match="line 1: ai_responses"):
        SimulatorArenaDataset(path)


def test_the_clarify_agent_plays_an_intent_to_acceptance(data):
    env = gym.make("CollabDoc-v0", dataset=f"simarena:{data}", split="test", max_turns=8)
    result = run_episode(env, make_agent("clarify", env), seed=0)
    assert result.terminated and result.reward["task_metric"] == 1.0


def test_statements_are_first_person_user_speech():
    statements = [f.statement for f in intent_facets("Is healthcare only for the rich?", "blog post", "Hi")]
    assert statements == ["It's about this question: Is healthcare only for the rich?"]


@pytest.mark.skipif(not SIMARENA.is_file(), reason=f"the SimulatorArena sample is absent ({SIMARENA})")
def test_every_shared_conversation_loads_with_facets_and_its_recorded_replies():
    task = load_dataset(f"simarena:{SIMARENA}")
    assert len(task.instances) == 30 and not task.rejected
    for instance in task.instances:
        conversation = instance.metadata["conversation"]
        assert instance.facets and len(conversation["ai_responses"]) == len(conversation["user_queries"])


@pytest.mark.skipif(not SIMARENA.is_file(), reason=f"the SimulatorArena sample is absent ({SIMARENA})")
def test_a_long_facet_is_told_one_or_two_details_at_a_time_and_they_add_up_to_it():
    task = load_dataset(f"simarena:{SIMARENA}")
    long = [(i, f) for i in task.instances for f in i.facets if len(f.keywords) > 2 * MAX_DETAILS]
    assert len(long) >= 20
    for instance, facet in long:
        said = ""
        while not covers(content_stems(said), facet):
            detail = task.mention(instance, facet, said)
            keys = set(facet.keywords) - content_stems(said)
            new = [word for word in detail.split() if content_stems(word) & keys]  # "freeze-dried": one
            assert 1 <= len(new) <= MAX_DETAILS, (facet.value, said, detail)
            said = f"{said} {detail}"
        assert not set(facet.keywords) <= content_stems(task.mention(instance, facet))  # never all at once
    short = next(f for i in task.instances for f in i.facets if len(f.keywords) <= 2 * MAX_DETAILS)
    assert task.mention(task.instances[0], short) == short.statement
