"""The termination signal as models write it (issue 18, case 3)."""

from __future__ import annotations

import pytest

from collab_env.types import TERMINATION_SIGNAL, canonical_ending, ends_chat


@pytest.mark.parametrize(
    "text",
    [
        TERMINATION_SIGNAL,
        "Thanks, that's what I needed. [TERMINATE CHAT]",  # what Qwen2.5-Coder-0.5B wrote, 12 times
        "[[terminate chat]]",
        "ok great [Terminate Chat]",
        "[[TERMINATE_CHAT]]",
        "TERMINATE CHAT",
        "  terminate chat.  ",
    ],
)
def test_the_signal_ends_the_chat_as_models_write_it(text):
    assert ends_chat(text)
    assert TERMINATION_SIGNAL in canonical_ending(text)


@pytest.mark.parametrize(
    "text",
    ["Should the bot terminate chat sessions after a while?", "Thanks, keep going", "[TERMINATE]", ""],
)
def test_a_mention_of_the_words_in_a_sentence_does_not(text):
    assert not ends_chat(text)
    assert canonical_ending(text) == text
