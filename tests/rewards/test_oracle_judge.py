"""The loopback oracle judge (``ScriptedLLM``) follows the interactivity rubric, with the LLM user it plays."""

from __future__ import annotations

import pytest

from collab_env.agents import make_agent
from collab_env.builders import with_parts
from collab_env.llm import OpenAIChat
from collab_env.rewards.judges import LLMInteractivityJudge
from collab_env.rollout import run_episode
from collab_env.testing.openai_server import LoopbackServer
from collab_env.testing.scripted_llm import ScriptedLLM
from collab_env.users import LLMUser


@pytest.fixture(scope="module")
def endpoint():
    with LoopbackServer(reply=ScriptedLLM(["math", "qa"])) as server:
        yield server


def _env(env_id, endpoint):
    user = LLMUser(OpenAIChat("user", base_url=endpoint.base_url))
    judge = LLMInteractivityJudge(OpenAIChat("judge", base_url=endpoint.base_url))
    return with_parts(env_id, split="test", user=user, judge=judge)


def test_the_oracle_judges_the_instance_the_user_described_among_those_sharing_an_opening(endpoint):
    """Math templates share an opening; judged against another instance's numbers, clarify's
    accepted proposals would read as going against the user's answers."""
    env = _env("CollabMath-v0", endpoint)
    clarify = make_agent("clarify", env)
    scores = [run_episode(env, clarify, seed=seed).reward["engagement"] for seed in range(4)]
    assert min(scores) >= 0.0 and max(scores) == 1.0, scores


def test_the_oracle_charges_an_ignored_answer_more_than_not_asking(endpoint):
    env = _env("CollabQA-v0", endpoint)
    drafter = env.unwrapped.task.drafter
    ignored = None
    for seed in range(20):  # an episode whose intended reading is not the first
        obs, _ = env.reset(seed=seed)
        question = "Before I start, a quick question: " + drafter.question(drafter.missing(obs)[0], obs)
        obs, _, terminated, _, info = env.step(question)
        for _ in range(6):  # the user gives up after 3 to 5 ignored answers (its patience)
            if terminated:
                break
            obs, _, terminated, _, info = env.step(drafter.draft(obs[:1]))
        if info["reward"]["task_metric"] == 0.0:
            ignored = info["reward"]["engagement"]
            break
    assert ignored == -3.0
    passive = make_agent("passive", env)
    assert run_episode(env, passive, seed=seed).reward["engagement"] == 0.0
