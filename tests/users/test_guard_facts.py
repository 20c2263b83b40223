"""The guards judge a message by what it does to the task (issue 44, items 4 and 9): working out
the task's answer is solving, a step of a person's own arithmetic is not; a value the goal or
the conversation contradicts, or a wrong answer accepted, is drift in the message that ends the
chat too. Each rule has its fair control beside it."""

from __future__ import annotations

import json

import gymnasium as gym
import pytest

from collab_env.builders import with_parts
from collab_env.llm import OpenAIChat
from collab_env.testing.openai_server import LoopbackServer
from collab_env.types import TERMINATION_SIGNAL, TaskInstance
from collab_env.users import LLMUser
from collab_env.users.llm import guards

KETTLE = "math-test-00170"  # a $40 kettle, 10% off, 8% sales tax: the answer is 972/25 = 38.88
TOTALS = "code-test-00004"  # running totals that skip None and negative numbers


def _check(env_id: str, task_id: str, assistant: str, reply: str) -> str | None:
    env = gym.make(env_id, split="test").unwrapped
    instance = env.task.get(task_id)
    messages = [{"role": "user", "content": instance.opening}, {"role": "assistant", "content": assistant}]
    return guards.check(reply, messages, instance, env.task.facet_kinds, 120)


# The seven math-tutoring turns once rejected as solving (benchmarks/user_guards.py): a student's
# own working, one or two steps, with the problem redacted (no reference to compute).
@pytest.mark.parametrize(
    "turn",
    [
        "I think it would be 13 +5=18. Divide by 3, is 3. ",
        "13 * 5=65  65/5=13.  65 is divisible by 5",
        "numerator = 42 - 27 = 15",
        "1000000000/40000000= 25",
        "3/93 = 1/31",
        "84m + 3m + 28 - 27 = 0",
        "1 + 5=6. The remainder is 0.",
    ],
)
def test_a_students_own_step_of_arithmetic_passes(turn):
    problem = TaskInstance("math-042", "math", "Can you help me with this problem?", (), None, "")
    tutor = [
        {"role": "user", "content": problem.opening},
        {"role": "assistant", "content": "What do you get?"},
    ]
    assert guards.check(turn, tutor, problem, (), 300) is None


@pytest.mark.parametrize(
    ("reply", "rule"),
    [
        ("ok so 40 * 0.9 = 36 and 36 * 1.08 = 38.88", "solving"),  # the answer, worked out
        ("I think I'll pay $38.88 in the end.", "solving"),  # the answer, stated
        ("Isn't it 972/25 dollars?", "solving"),
        ("40 * 0.9 = 36, 36 * 1.08 = 38.88, 38.88 + 0 = 38.88", "solving"),  # a worked solution
        ("So 40 * 10% = 4 off before tax, right?", None),  # a step of the user's own: the fair control
        ("The kettle is $40 and it's 10% off.", None),
    ],
)
def test_the_model_working_out_the_reference_answer_is_solving_a_step_is_not(reply, rule):
    assert _check("CollabMath-v0", KETTLE, "What do you know about the price?", reply) == rule


def test_the_answer_the_assistant_gave_first_may_be_repeated():
    assert _check("CollabMath-v0", KETTLE, "You will pay $38.88.", "Great, $38.88 then, thanks.") is None


@pytest.mark.parametrize(
    ("reply", "rule"),
    [
        ("For [1, None, 2, 3, None, 4] the expected output is (1, 3, 5, 8, 11).", "solving"),
        ("prefix_totals([3, -1, 2]) should return [3, 5].", "solving"),
        ("It should skip None values, and return the totals as a list.", None),  # the goal's own details
        ("Call it `prefix_totals`, please.", None),
    ],
)
def test_an_expected_output_the_user_computes_itself_is_solving(reply, rule):
    assert _check("CollabCode-v0", TOTALS, "Anything else I should know?", reply) == rule


def test_an_output_the_assistant_showed_may_be_quoted_back():
    assistant = "With this version, prefix_totals([1, 2]) returns [1, 3]."
    assert _check("CollabCode-v0", TOTALS, assistant, "Yes, it should return [1, 3] there.") is None


@pytest.mark.parametrize(
    ("env_id", "task_id", "reply", "rule"),
    [
        ("CollabMath-v0", KETTLE, "The blog post needs the final price.", "contradiction"),
        ("CollabCode-v0", TOTALS, "Please mention it in the newsletter.", "contradiction"),
        ("CollabMath-v0", KETTLE, "I need the final price for my records.", None),
        ("CollabCode-v0", TOTALS, "Keep the first letter as it is.", None),
    ],
)
def test_a_document_the_task_is_not_is_a_contradiction(env_id, task_id, reply, rule):
    assert _check(env_id, task_id, "Anything else?", reply) == rule


def test_in_a_doc_task_the_person_names_their_document_freely():
    # SimulatorArena doc-040 and doc-044: people call the letter they asked for "the email"
    assert _check("CollabDoc-v0", "doc-test-00000", "Who is it for?", "Start the email with Dear Ben.") != (
        "contradiction"
    )


@pytest.mark.parametrize(
    ("text", "unmet", "rule"),
    [
        ("That's correct! Thanks.", ["price"], "contradiction"),  # a wrong answer accepted
        ("Perfect, that's what I needed.", ["price"], "contradiction"),
        ("That's correct! Thanks.", [], None),  # a correct answer accepted: the fair control
        ("Thanks, I'll leave it there.", ["price"], None),  # giving up accepts nothing
        ("That's right, but the discount is 10%.", ["price"], None),  # accepts part, corrects
        ("That's correct! Thanks.", None, None),  # no answer given: nothing to judge
    ],
)
def test_an_ending_that_accepts_an_answer_the_task_finds_wrong_is_a_contradiction(text, unmet, rule):
    env = gym.make("CollabMath-v0", split="test").unwrapped
    assert guards.ending_rule(text, [], env.task.get(KETTLE), unmet) == rule


def _reply(message: str, done: bool) -> str:
    return json.dumps({"reveal": [], "message": message, "done": done})


def _ending(assistant: str, replies: list[str]):
    """One CollabMath-v0 episode (seed 0: change from a $100 bill, the answer 90) whose assistant
    says ``assistant`` and whose LLM user answers ``replies`` in turn."""
    answers = iter(replies)
    with LoopbackServer(reply=lambda m: next(answers)) as server:
        model = OpenAIChat("small", base_url=server.base_url, backoff_s=0.01)
        user = LLMUser(model, opening="template", protocol="grounded")  # its replies: grounded JSON
        env = with_parts("CollabMath-v0", split="test", user=user)
        env.reset(seed=0)
        obs, _, terminated, *_, info = env.step(assistant)
    return obs[-1]["content"], terminated, info["user"]


def test_an_ending_that_affirms_a_wrong_answer_is_retried_and_never_thanks_for_it():
    said, ended, user = _ending(
        "You get \\boxed{0} back.", [_reply("That's correct!", True), _reply("Okay, never mind.", True)]
    )
    assert ended and said == f"Okay, never mind. {TERMINATION_SIGNAL}"
    assert user["drift_kinds"] == {"contradiction": 1}
    said, ended, _ = _ending("You get \\boxed{0} back.", [_reply("That's correct!", True)] * 3)
    assert ended and said == f"Never mind, I'll stop here. {TERMINATION_SIGNAL}"  # gives up


def test_an_ending_that_accepts_a_correct_answer_passes():
    said, ended, user = _ending("You get \\boxed{90} back.", [_reply("That's correct, thanks!", True)])
    assert ended and said == f"That's correct, thanks! {TERMINATION_SIGNAL}" and user["drifts"] == 0


def test_an_ending_that_works_out_the_answer_itself_is_solving():
    said, ended, user = _ending(
        "You get \\boxed{0} back.",
        [_reply("No, it should be 90. Bye.", True), _reply("No, that's wrong.", True)],
    )
    assert user["drift_kinds"] == {"solving": 1} and "90" not in said and ended
