"""The user-model card's independent check and the moved people-likeness measures."""

from __future__ import annotations

import gymnasium as gym

import collab_env  # noqa: F401 - registers the envs
from collab_env.harness.usercheck import checks, fidelity
from collab_env.harness.usercheck.episodes import ending


def _instance(env_id="CollabMath-v0", k=0):
    task = gym.make(env_id, split="test").unwrapped.task
    return task.get(task.task_id("test", k))


def test_issue_44s_accepted_drift_is_caught_by_the_independent_check():
    for text in ("I'll provide you with a Python function that does it.", "I look forward to more tasks in the future",
                 "Let me know what else you'd like assistance with", "The assistant asked about the tone."):  # fmt: skip
        assert checks.drift_kinds(text, []) == ["voice_or_narration"], text
    assert checks.drift_kinds("what is my budget again?", []) == ["asks_own_detail"]
    assert checks.drift_kinds("it's for my team, keep it short", []) == []


def test_an_echo_needs_twelve_words_in_a_row_outside_a_fence():
    said = "one two three four five six seven eight nine ten eleven twelve thirteen"
    messages = [{"role": "assistant", "content": said}]
    assert checks.echoes_assistant("so: " + said, messages)
    assert not checks.echoes_assistant("```\n" + said + "\n```", messages)


def test_false_facts_numbers_a_wrong_answer_called_right_and_an_invented_deliverable():
    instance = _instance()
    assert checks.false_facts("Each notebook costs $3.", [], instance, False) == []
    assert checks.false_facts("Each notebook costs $7.", [], instance, False) == ["number 7"]
    assert checks.false_facts("That's correct!", [], instance, True) == ["calls a wrong answer right"]
    assert checks.false_facts("That's correct!", [], instance, False) == []
    assert checks.false_facts("It's for my blog post.", [], instance, False) == ["a blog post"]


def test_an_ending_is_read_by_the_tasks_verdict():
    chat = [{"role": r, "content": c} for r, c in
            [("user", "hi"), ("assistant", "a"), ("user", "hmm"), ("assistant", "b"), ("user", "Thanks!")]]  # fmt: skip
    assert ending(chat, {1: ["x"], 3: []}, True)["ending"] == "recognised"
    wrong = ending(chat, {1: [], 3: ["x"]}, True)
    assert wrong["ending"] == "premature_unmet" and wrong["affirms_wrong"] and wrong["missed"] == 1
    gave_up = [*chat[:-1], {"role": "user", "content": "Never mind, I'll figure it out myself."}]
    assert not ending(gave_up, {1: None, 3: ["x"]}, True)["affirms_wrong"]
    assert ending(chat, {1: None, 3: None}, False)["ending"] == "none"


def test_stated_reads_a_value_in_any_order_and_numbers_exactly():
    assert checks.stated("mostly new hires", "new hires") and not checks.stated("3 pens", "30")
    assert checks.stated("It's made of recycled stuff", "it is made from recycled materials") is False


def test_the_fidelity_measures_leave_typos_out_without_a_speller():
    instance = type("I", (), {})()
    instance.facets = ()
    instance.metadata = {
        "conversation": {"user_queries": ["hi", "make it short pls"], "ai_responses": ["ok"]}
    }
    measured = fidelity.measure(instance, [fidelity.Turn(1, "make it short pls", True)], spell=False)
    assert measured["end"] == 1 and "typos" not in measured["turns"][0]
    summary = fidelity.summarise([measured])
    assert summary["typos"]["mean"] != summary["typos"]["mean"] and summary["words"]["mean"] == 4  # NaN
