"""The termination signal as models write it (issue 18, case 3)."""

from __future__ import annotations

import re
from pathlib import Path

import gymnasium as gym
import pytest

from collab_env.agents import BUILTIN_AGENTS, make_agent
from collab_env.agents.specs import build_agent
from collab_env.types import TERMINATION_SIGNAL, Agent, canonical_ending, ends_chat


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


ROOT = Path(__file__).resolve().parents[1]


def test_every_agent_the_library_builds_is_an_agent():
    env = gym.make("CollabQA-v0")
    agents = [make_agent(name, env) for name in BUILTIN_AGENTS]
    agents.append(build_agent("openai:m@http://127.0.0.1:9/v1", env))
    assert all(isinstance(agent, Agent) for agent in agents)


def test_the_agent_type_and_the_message_type_have_one_name():
    sources = {
        p: p.read_text()
        for f in ("collab_env", "agents", "tasks", "benchmarks")
        for p in (ROOT / f).rglob("*.py")
    }
    as_callable = re.compile(
        r"(agent|polic(y|ies))\w*: (Sequence\[)?Callable\[\[Sequence\[ChatMessage\]\], str\]"
    )
    callable_type = [str(p) for p, text in sources.items() if as_callable.search(text)]
    aliases = [str(p) for p, text in sources.items() if re.search(r"^(Message|Policy|Agent) = ", text, re.M)]
    assert callable_type == [] and aliases == []
