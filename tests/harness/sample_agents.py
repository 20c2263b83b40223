"""Agents a user might name as ``module:function`` specs in the benchmark tests."""

from __future__ import annotations

import os
from pathlib import Path

from collab_env.errors import ModelCallError


def echo_agent(messages):
    """An agent: answers at once with the start of the user's last message."""
    return "Answer: " + messages[-1]["content"][:10]


def factory(env):
    """A factory: called with the env, returns an agent."""
    return lambda messages: "Answer: " + env.unwrapped.task.name


factory.agent_factory = True


def crash(messages):
    """An agent with a bug."""
    return str(1 / 0)


def outage(messages):
    """An agent behind an endpoint that is down (an infrastructure failure: the episode is lost)."""
    raise ModelCallError(
        "http://127.0.0.1:9/v1 (model 'm') failed with APIConnectionError after 6 attempt(s)"
    )


def flaky(messages):
    """Fails while the file named by $FLAKY_FLAG exists (a stand-in for an endpoint outage)."""
    if Path(os.environ["FLAKY_FLAG"]).exists():
        raise ModelCallError("endpoint unreachable after 3 attempts")
    return "Answer: 42"


def not_text(messages):
    """Returns a dict instead of a message."""
    return {"content": "hi"}


def rambler(messages):
    """Returns a message longer than any env accepts."""
    return "word " * 1_000_000


def die(messages):
    """Kills its own process (a segfault in a native extension, say)."""
    os._exit(3)


not_callable = 42
