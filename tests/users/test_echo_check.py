"""The echo check sees the message before quotes are stripped (issue 44, item 2)."""

from __future__ import annotations

from collab_env.types import Facet, TaskInstance
from collab_env.users.llm import guards

GOAL = TaskInstance(
    "t", "doc", "Can you write a letter?", (Facet("tone", "tone", "warm", "Keep it warm."),), None, ""
)
ASKED = [
    {"role": "user", "content": "Can you write a letter?"},
    {"role": "assistant", "content": "Happy to. Who is the audience for this letter?"},
]
DRAFT = [
    {"role": "user", "content": "Can you write a letter?"},
    {"role": "assistant", "content": "Dear Sam,\nHave you ever wondered why the sky is blue?\nBest, Ana"},
]


def test_a_six_word_question_asked_back_is_the_assistants_voice() -> None:
    for text in ("Who is the audience for this letter?", "Thanks. Who is the audience for this letter?"):
        assert guards.check(text, ASKED, GOAL, (), 120) == "assistant_voice", text


def test_quoting_a_line_of_the_draft_to_change_it_passes() -> None:
    for text in (
        'Please change "Have you ever wondered why the sky is blue?" to something shorter.',
        "Change this line:\nHave you ever wondered why the sky is blue?\nIt sounds cheesy.",
        "> Have you ever wondered why the sky is blue?\nCut that line, please.",
    ):
        assert guards.check(text, DRAFT, GOAL, (), 120) is None, text
    assert guards.check("The audience is my team.", ASKED, GOAL, (), 120) is None
