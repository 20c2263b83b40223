"""LLM judges against the loopback endpoint: interactivity, solution extraction, QA accuracy."""

from __future__ import annotations

import json

import gymnasium as gym
import pytest

from collab_env.agents import make_agent
from collab_env.builders import with_parts
from collab_env.config import EnvConfig
from collab_env.errors import ModelCallError
from collab_env.harness.log import read_log
from collab_env.harness.runner import BenchConfig, run_bench
from collab_env.llm import OpenAIChat
from collab_env.rewards.judges import LLMAccuracyJudge, LLMInteractivityJudge, LLMSolutionExtractor
from collab_env.rollout import run_episode
from collab_env.testing.openai_server import LoopbackServer


def _model(server):
    return OpenAIChat("judge", base_url=server.base_url, backoff_s=0.01)


def test_interactivity_judge_replaces_the_heuristic_and_says_so():
    with LoopbackServer(reply=lambda m: json.dumps({"thought": "asked well", "score": 0.7})) as server:
        env = gym.make("CollabQA-v0", split="test", judge_model="judge", base_url=server.base_url)
        result = run_episode(env, make_agent("clarify", env), seed=0)
        assert server.requests == 1  # asked once, at the end of the episode
    parts = result.reward
    assert parts["engagement"] == 0.7 and parts["engagement_judge"] == "llm:judge"
    assert parts["engagement_details"]["thought"] == "asked well"
    judged = [i["reward"]["engagement_judged"] for i in result.infos]  # a reward at every step
    assert judged == [False] * (result.turns - 1) + [True]
    assert all(i["reward"]["engagement"] is None for i in result.infos[:-1])


def test_judge_scores_are_clipped_and_garbage_fails_clearly():
    messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    task = gym.make("CollabQA-v0").unwrapped.task
    instance = task.instance("test", 0)
    with LoopbackServer(reply=lambda m: "{'score': 3}") as server:
        assert LLMInteractivityJudge(_model(server))(task, instance, messages)[0] == 1.0
    with LoopbackServer(reply=lambda m: "no verdict") as server:
        with pytest.raises(ModelCallError, match="no JSON with 'score' after 2 attempts"):
            LLMInteractivityJudge(_model(server), attempts=2)(task, instance, messages)


def test_a_failing_judge_loses_the_episode_instead_of_scoring_zero():
    with LoopbackServer(faults=[500] * 20) as server:
        env = gym.make("CollabQA-v0", judge_model="judge", base_url=server.base_url)
        env.unwrapped.engagement_judge.model.max_retries = 1
        result = run_episode(env, make_agent("passive", env), seed=0)
    assert result.truncated and "500" in result.infos[-1]["error"] and "reward" not in result.infos[-1]


def test_solution_extractor_feeds_the_task_metric():
    task = gym.make("CollabMath-v0").unwrapped.task
    answer = task.instance("test", 0).reference.answer
    with LoopbackServer(reply=lambda m: json.dumps({"thought": "last turn", "solution": answer})) as server:
        env = with_parts("CollabMath-v0", split="test", extractor=LLMSolutionExtractor(_model(server)))
        env.reset(seed=0, options={"task_id": "math-test-00000"})
        env.step("I think it is about right.")
        parts = env.unwrapped.conversation_reward()
    assert parts.task_metric == 1.0 and parts.solution_found


def test_accuracy_judge_reads_a_boolean_verdict():
    with LoopbackServer(
        reply=lambda m: json.dumps({"thought": "same day", "correct": "Thursday" in m[0]["content"]})
    ) as s:
        judge = LLMAccuracyJudge(_model(s))
        assert judge("When did Hana go?", "Thursday", "on Thursday") is True
    with LoopbackServer(reply=lambda m: json.dumps({"thought": "no", "correct": False})) as s:
        assert LLMAccuracyJudge(_model(s))("When?", "Thursday", "Monday") is False


@pytest.mark.parametrize(
    "verdict",
    [
        '{"correct": "true"}',
        '{"correct": "True"}',
        '{"correct": true}',
        "{'correct': True}",
        '{"correct": "TRUE "}',
    ],
)
def test_accuracy_judge_scores_true_in_any_spelling_as_correct(verdict):
    with LoopbackServer(reply=lambda m: verdict) as s:
        assert LLMAccuracyJudge(_model(s))("When?", "Thursday", "On Thursday.") is True


@pytest.mark.parametrize("verdict", ['{"correct": "false"}', '{"correct": "False"}', '{"correct": false}'])
def test_accuracy_judge_scores_false_in_any_spelling_as_wrong(verdict):
    with LoopbackServer(reply=lambda m: verdict) as s:
        assert LLMAccuracyJudge(_model(s))("When?", "Thursday", "Monday") is False


def test_interactivity_judge_reads_a_score_written_as_a_string():
    messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    task = gym.make("CollabQA-v0").unwrapped.task
    with LoopbackServer(reply=lambda m: '{"thought": "ok", "score": "0.7"}') as server:
        assert LLMInteractivityJudge(_model(server))(task, task.instance("test", 0), messages)[0] == 0.7


def test_a_verdict_that_is_neither_true_nor_false_is_retried_then_fails_clearly():
    with LoopbackServer(reply=lambda m: '{"correct": "maybe"}') as s:
        with pytest.raises(ModelCallError, match=r"'correct' unusable.*after 2 attempts"):
            LLMAccuracyJudge(_model(s), attempts=2)("When?", "Thursday", "Monday")


def test_bench_with_an_llm_user_and_judge(tmp_path):
    def reply(messages):
        text = messages[-1]["content"]
        if "Score the assistant" in messages[0]["content"]:
            return json.dumps({"thought": "ok", "score": 0.5})
        return json.dumps(
            {"thought": "done" if "ASSISTANT" in text else "?", "response": "Thanks! [[TERMINATE CHAT]]"}
        )

    with LoopbackServer(reply=reply) as server:
        config = BenchConfig(
            ["CollabQA-v0"],
            ["clarify"],
            2,
            out=str(tmp_path),
            workers=1,
            env=EnvConfig.from_kwargs(
                split="test", user_model="user", base_url=server.base_url, judge_model="judge"
            ),
        )
        header, records = read_log(run_bench(config))
    assert header["run"]["user"] == "user" and header["run"]["judge"] == "judge"
    assert all(r["status"] == "ok" and r["reward"]["engagement"] == 0.5 for r in records)


def test_qa_accuracy_judge_sets_r_ext():
    from collab_env.tasks.qa import QATask

    with LoopbackServer(reply=lambda m: json.dumps({"thought": "lenient", "correct": True})) as server:
        task = QATask(accuracy_judge=LLMAccuracyJudge(_model(server)))
        instance = task.instance("test", 0)
        assert task.score(instance, "something else entirely") == 1.0 and server.requests == 1


def test_a_user_model_is_judged_by_the_llm_judge_on_its_endpoint_unless_the_heuristic_is_named():
    import gymnasium as gym

    from collab_env.config import EnvConfig
    from collab_env.rewards import HeuristicEngagement
    from collab_env.rewards.judges import LLMInteractivityJudge

    url = "http://127.0.0.1:9/v1"
    judge = gym.make("CollabQA-v0", user_model="u", base_url=url).unwrapped.engagement_judge
    assert isinstance(judge, LLMInteractivityJudge) and judge.name == "llm:u"
    config = EnvConfig.from_kwargs(
        env_id="CollabQA-v0", user_model="u", judge_model="heuristic", base_url=url
    )
    env = config.make().unwrapped
    assert isinstance(env.engagement_judge, HeuristicEngagement) and env.config.judge.kind == "heuristic"
    assert type(gym.make("CollabQA-v0").unwrapped.engagement_judge) is HeuristicEngagement  # scripted user
