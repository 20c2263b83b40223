"""The scripted user talks like a person over a bench-sized run: reactions that fit, no sign-offs."""

from __future__ import annotations

import functools

import gymnasium as gym
import pytest

import collab_env
from collab_env.agents import make_agent
from collab_env.rollout import EpisodeResult, run_episode
from collab_env.types import TERMINATION_SIGNAL

#: What an assistant writes to close its own message; a user never says it.
SIGN_OFFS = (
    "hope that helps", "hope this helps", "let me know", "feel free", "happy to help", "glad to help",
    "anything else", "don't hesitate",
)  # fmt: skip
#: How a person ends the chat: accepting, or giving up.
ENDINGS = ("thank you!", "Thanks!", "stop here.", "myself.")
EPISODES = 50  # the default bench's episodes per env and agent (seeds and test instances 0..49)


@functools.cache
def _played(env_id: str) -> tuple[tuple[EpisodeResult, object], ...]:
    env = gym.make(env_id, split="test")
    family = env.unwrapped.task.name
    played = []
    for agent in ("passive", "clarify"):
        for k in range(EPISODES):
            result = run_episode(env, make_agent(agent, env), seed=k, task_id=f"{family}-test-{k:05d}")
            played.append((result, env.unwrapped.instance))
    return tuple(played)


def _ends_with(text: str, ending: str) -> bool:
    """Whether ``text`` ends with ``ending``, up to a chatty persona's typos (two letters swapped)."""
    tail = text[-len(ending) :]
    return len(tail) == len(ending) and all(
        sorted(a) == sorted(b) for a, b in zip(tail.split(" "), ending.split(" "), strict=False)
    )


def _replies(env_id: str):
    """(assistant message, user reply, the user's events, the instance) for every turn."""
    for result, instance in _played(env_id):
        messages = result.messages
        for k, info in enumerate(result.infos):
            yield (
                messages[2 * k + 1]["content"],
                messages[2 * k + 2]["content"],
                info["user"]["events"],
                instance,
            )


@pytest.mark.parametrize("env_id", list(collab_env.ENV_IDS))
def test_no_sign_off_and_no_praise_of_a_question_nobody_asked(env_id):
    turns = list(_replies(env_id))
    assert len(turns) > 2 * EPISODES
    for said, reply, _, _ in turns:
        assert not any(s in reply.lower() for s in SIGN_OFFS), reply
        if "good question" in reply.lower():
            assert "?" in said, (said, reply)


@pytest.mark.parametrize("env_id", list(collab_env.ENV_IDS))
def test_a_chat_ends_as_a_person_ends_it(env_id):
    ended = 0
    for _, reply, _, _ in _replies(env_id):
        if TERMINATION_SIGNAL in reply:
            ended += 1
            text = reply.replace(TERMINATION_SIGNAL, "").rstrip()
            assert any(_ends_with(text, ending) for ending in ENDINGS), reply
    assert ended >= EPISODES  # most episodes end by the user's word, not the turn limit


@pytest.mark.parametrize("env_id", list(collab_env.ENV_IDS))
def test_a_correction_gives_one_or_two_details(env_id):
    corrections = 0
    for _, reply, events, instance in _replies(env_id):
        rejected = [e for e in events if e["type"] == "proposal" and not e["accepted"]]
        if rejected and all(e["type"] == "proposal" for e in events):
            corrections += 1
            stated = [f for f in instance.facets if f.statement in reply]
            assert 1 <= len(stated) <= 2 or rejected[0]["feedback"] is None, reply
    assert corrections >= 10


@pytest.mark.parametrize("env_id", list(collab_env.ENV_IDS))
def test_a_draft_that_meets_the_goal_is_looked_over_before_the_chat_ends(env_id):
    """As people do, the user checks a draft that has everything before it ends the chat: as
    many times as its persona's follow-ups (fewer only when the turn limit comes first), with
    no goal detail and nothing new the engagement judge would read as a missed question."""
    from collab_env.rewards.engagement import content_stems
    from collab_env.users.scripted import _FOLLOW_UP

    assert not set().union(*map(content_stems, _FOLLOW_UP))  # nothing new, whatever was said before
    checked = 0
    for result, instance in _played(env_id):
        events = [e for info in result.infos for e in info["user"]["events"]]
        follow_ups = sum(e["type"] == "follow_up" for e in events)
        persona = result.infos[0]["user"]["persona"]["follow_ups"]
        accepted = result.terminated and any(e.get("accepted") for e in result.infos[-1]["user"]["events"])
        if accepted:
            checked += 1
            last_draft = [e for e in events if e["type"] == "proposal"][-1]
            assert follow_ups == persona and last_draft["accepted"]  # the grader's verdict on the last draft
        assert follow_ups <= persona
        for k, info in enumerate(result.infos):
            if any(e["type"] == "follow_up" for e in info["user"]["events"]):
                reply = result.messages[2 * k + 2]["content"]
                assert not any(f.statement in reply for f in instance.facets), reply
    assert checked >= 10


def test_the_same_seed_plays_the_same_episode():
    env = gym.make("CollabDoc-v0", split="test")
    runs = [run_episode(env, make_agent("passive", env), seed=3).messages for _ in range(2)]
    assert runs[0] == runs[1]
