"""Built-in agents: they read only the conversation, and asking first pays off."""

from __future__ import annotations

import statistics

import gymnasium as gym
import pytest

import collab_env
from collab_env.agents import ClarifyAgent, PassiveAgent, make_agent
from collab_env.errors import ConfigError
from collab_env.facets import questions
from collab_env.rollout import run_episode


@pytest.mark.parametrize("env_id", list(collab_env.ENV_IDS))
def test_clarify_beats_passive(env_id):
    # A patient user (scripted-v4) lets an assistant that answers at once get there through
    # corrections (on QA every time): asking first still pays in R*, and never in task success.
    env = gym.make(env_id, split="test")
    means = {}
    for name in ("passive", "clarify"):
        agent = make_agent(name, env)
        scores = [
            run_episode(env, agent, seed=k, task_id=f"{env.unwrapped.task.name}-test-{k:05d}")
            for k in range(30)
        ]
        means[name] = {
            key: statistics.mean(r.reward[key] for r in scores) for key in ("task_metric", "total")
        }
    assert means["clarify"]["total"] > means["passive"]["total"] + 0.05, means
    assert means["clarify"]["task_metric"] >= means["passive"]["task_metric"], means


@pytest.mark.parametrize("env_id", list(collab_env.ENV_IDS))
def test_clarify_asks_before_it_answers(env_id):
    env = gym.make(env_id, split="test")
    obs, _ = env.reset(seed=0)
    first = make_agent("clarify", env)(obs)
    assert questions(first) and env.unwrapped.task.extract_solution(first) is None


@pytest.mark.parametrize("env_id", list(collab_env.ENV_IDS))
def test_passive_answers_at_once(env_id):
    env = gym.make(env_id, split="test")
    obs, _ = env.reset(seed=0)
    assert env.unwrapped.task.extract_solution(make_agent("passive", env)(obs)) is not None


def test_agents_work_on_any_conversation(toy_task):
    free_text = [{"role": "user", "content": "hello?"}, {"role": "assistant", "content": "¿qué?"}]
    for agent in (PassiveAgent(toy_task.drafter), ClarifyAgent(toy_task.drafter)):
        assert isinstance(agent(free_text), str)


def test_unknown_agent_name_is_a_config_error():
    with pytest.raises(ConfigError, match="built-in agents"):
        make_agent("oracle", gym.make("CollabQA-v0"))


def test_a_policy_of_another_family_is_refused_by_the_family_check():
    from collab_env.task import check_policy_family

    doc, math = gym.make("CollabDoc-v0"), gym.make("CollabMath-v0")
    agent = make_agent("clarify", doc)
    check_policy_family(agent, doc)
    check_policy_family(lambda messages: "hi", math)  # a plain callable carries no family
    with pytest.raises(ConfigError, match="built for the 'doc' task family, and this env is 'math'"):
        check_policy_family(agent, math)


@pytest.mark.parametrize(
    "reply",
    [
        "Hana went to the hardware store on Thursday",
        "not Clara, Hana",
        "the one at the hardware store",
        "I mean Hana.",
    ],
)
def test_clarify_reads_which_person_an_llm_user_means(reply):
    env = gym.make("CollabQA-v0", split="test")
    obs, _ = env.reset(seed=0)  # Clara went on Monday, Hana on Thursday; the question is "When did she go?"
    agent = make_agent("clarify", env)
    asked = agent(obs)
    assert "Clara or Hana" in asked
    answer = agent([*obs, {"role": "assistant", "content": asked}, {"role": "user", "content": reply}])
    assert "Thursday" in answer and "Monday" not in answer
