"""People's conversations as SFT data for a user model: the goal, the prompt, the target and the split."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from collab_env.agents import user_sft_data as sft_data
from collab_env.errors import ConfigError, DatasetError
from collab_env.llm.base import ChatResult
from collab_env.types import TERMINATION_SIGNAL
from collab_env.users import LLMUser
from collab_env.users.llm.protocol import ROLEPLAY_FORMAT, parse_reply

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "simarena"


def doc_record(n: int, turns: int = 3) -> dict:
    """A tiny document-writing conversation in SimulatorArena's format."""
    return {
        "id": f"simarena-doc-{n:03d}", "document_type": "email",
        "intent": "Thank You Note: Write a short note thanking a neighbour for watering the plants.",
        "user_queries": [f"hi can you help me thank my neighbour {n}", *[f"make it warmer {i}" for i in range(1, turns)]],
        "ai_responses": [f"Dear neighbour, thank you. (draft {i})" for i in range(turns)],
        "why_stop": "It was good enough.",
    }  # fmt: skip


def math_record(n: int) -> dict:
    """A tiny math-tutoring conversation: its second problem's turn comes after problem_1_turns."""
    return {
        "id": f"math-{n:03d}", "user_id": f"person-{n}", "type": "Algebra", "level": "Level 2",
        "question_location": "test/algebra/1.json", "problem_1_turns": 2, "turk_initial_solution": "",
        "turk_solution": "x = 3", "turk_final_answer": "3", "why_stop": "I got it.",
        "user_queries": ["how do i solve 2x + 1 = 7", "so x is 3?", "now the next one"],
        "ai_responses": ["Subtract 1 first.", "Yes, x = 3.", "Sure."],
    }  # fmt: skip


class Recording:
    """A chat model that records each prompt and answers a role-play reply."""

    name, json_mode, bounds_tokens = "recording", False, True

    def __init__(self) -> None:
        self.prompts: list = []

    def complete(self, messages, **_):
        self.prompts.append([dict(m) for m in messages])
        return ChatResult(json.dumps({"thought": "", "response": "could you make it shorter please"}))


def served_prompts(conversation: sft_data.Conversation) -> list:
    """The prompts a served role-play LLM user (no profile) sends at each of the person's turns."""
    model = Recording()
    user = LLMUser(model, protocol="roleplay", profiles=None, json_mode=False)
    task, rng = sft_data._task(conversation.family), np.random.default_rng(0)
    _, state = user.start(task, conversation.instance, rng)
    for turn in range(1, len(conversation.turns)):
        user.reply(task, conversation.instance, sft_data.history(conversation, turn), state, rng)
    return model.prompts


def write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_each_turn_of_a_person_is_an_example_with_the_llm_users_own_prompt(tmp_path):
    path = write(tmp_path / "doc.jsonl", [doc_record(0)])
    (conversation,) = sft_data.read_conversations(path)
    assert conversation.instance.request.startswith("You want to write an email. Thank You Note:")
    rows = sft_data.examples(conversation)
    assert [r["turn"] for r in rows] == [0, 1, 2]  # the opening, then each turn after a reply
    served = served_prompts(conversation)
    for row in rows:
        assert row["prompt"] == served[row["turn"]]  # what the served LLM user sends its model
        assert ROLEPLAY_FORMAT in row["prompt"][-1]["content"]
        assert "<hidden_goal>\nYou want to write an email." in row["prompt"][-1]["content"]
    assert "USER: hi can you help me" in rows[2]["prompt"][-1]["content"]
    assert (
        "(draft 1)" in rows[2]["prompt"][-1]["content"]
        and "(draft 2)" not in rows[2]["prompt"][-1]["content"]
    )
    replies = [parse_reply(r["completion"][0]["content"]) for r in rows]
    assert [r["response"] for r in replies[:2]] == [
        "hi can you help me thank my neighbour 0",
        "make it warmer 1",
    ]
    assert replies[2] == {
        "thought": "It was good enough.",
        "response": f"make it warmer 2 {TERMINATION_SIGNAL}",
    }
    assert all(r["completion"][0]["role"] == "assistant" for r in rows)


def test_a_math_goal_is_what_the_redacted_record_gives_and_only_the_first_problem_is_used(tmp_path):
    path = write(tmp_path / "math.jsonl", [math_record(0)])
    (conversation,) = sft_data.read_conversations([path])
    goal = conversation.instance.request
    assert "(Algebra, Level 2)" in goal and "Your final answer, after the chat: 3" in goal
    assert conversation.turns == ("how do i solve 2x + 1 = 7", "so x is 3?")  # problem_1_turns
    rows = sft_data.examples(conversation)
    assert [r["turn"] for r in rows] == [1]  # no opening: the goal lacks the problem the opening states
    assert json.loads(rows[0]["completion"][0]["content"])["response"] == f"so x is 3? {TERMINATION_SIGNAL}"
    root = tmp_path / "MATH"
    (root / "test" / "algebra").mkdir(parents=True)
    (root / "test" / "algebra" / "1.json").write_text(json.dumps({"problem": "Solve $2x+1=7$."}))
    (with_problem,) = sft_data.read_conversations([path], math_root=root)
    assert "The problem: Solve $2x+1=7$." in with_problem.instance.request
    assert [r["turn"] for r in sft_data.examples(with_problem)] == [0, 1]


def test_the_eval_split_holds_whole_conversations(tmp_path):
    path = write(tmp_path / "doc.jsonl", [doc_record(n) for n in range(10)])
    train, held = sft_data.build(str(path), eval_share=0.3, seed=1)
    train_ids, held_ids = {r["conversation"] for r in train}, {r["conversation"] for r in held}
    assert len(held_ids) == 3 and len(train_ids) == 7 and not train_ids & held_ids
    assert len(train) + len(held) == 10 * 3
    assert sft_data.build(str(path), eval_share=0.3, seed=1) == (train, held)  # seeded
    assert sft_data.build(str(path))[1] == []
    with pytest.raises(ConfigError, match="eval_share"):
        sft_data.split([], 1.0)


def test_bad_data_is_refused_naming_the_file(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        sft_data.read_conversations(str(tmp_path / "none.jsonl"))
    with pytest.raises(DatasetError, match="not SimulatorArena conversations"):
        sft_data.read_conversations([write(tmp_path / "x.jsonl", [{"text": "hi"}])])
    with pytest.raises(DatasetError, match="line 2: not a doc conversation"):
        sft_data.read_conversations([write(tmp_path / "mixed.jsonl", [doc_record(0), math_record(1)])])


@pytest.mark.skipif(
    not SHARED.is_dir(), reason=f"the shared SimulatorArena conversations are not at {SHARED}"
)
def test_the_shared_conversations_give_every_person_turn():
    doc, maths = SHARED / "doc_conversations.jsonl", SHARED / "math_conversations.jsonl"
    conversations = sft_data.read_conversations([doc, maths])
    rows = [r for c in conversations for r in sft_data.examples(c)]
    people = [json.loads(line) for line in doc.read_text().splitlines()]
    tutored = [json.loads(line) for line in maths.read_text().splitlines()]
    said = [[q for q in t["user_queries"][1 : t["problem_1_turns"]] if q.strip()] for t in tutored]
    assert len(rows) == sum(len(p["user_queries"]) for p in people) + sum(len(s) for s in said)
    ends = [r for r in rows if TERMINATION_SIGNAL in r["completion"][0]["content"]]
    assert len(ends) == len(conversations)  # one end per conversation, at its last turn
    assert sum(c.profile is not None for c in conversations if c.family == "math") == len(tutored)
