"""A bench log records each env's description, whole: read back, it rebuilds the env that played
(every user and judge kind), and that env replays the logged episode."""

from __future__ import annotations

import gymnasium as gym
import pytest

from collab_env.agents import make_agent
from collab_env.config import EnvConfig, JudgeSpec, UserSpec
from collab_env.harness.log import read_log
from collab_env.harness.runner import BenchConfig, run_bench
from collab_env.rollout import run_episode
from collab_env.testing.openai_server import LoopbackServer
from collab_env.testing.scripted_llm import ScriptedLLM

PARTS = [("scripted", "heuristic"), ("llm", "heuristic"), ("scripted", "llm"), ("llm", "llm")]


@pytest.mark.parametrize("user_kind, judge_kind", PARTS)
def test_a_bench_log_replays_its_env(tmp_path, monkeypatch, user_kind, judge_kind):
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    with LoopbackServer(reply=ScriptedLLM(["qa"])) as server:
        model = f"openai:oracle@{server.base_url}"
        user = UserSpec("llm", model, {"opening": "template"}) if user_kind == "llm" else UserSpec()
        judge = JudgeSpec("llm", model) if judge_kind == "llm" else JudgeSpec()
        config = BenchConfig(
            ["CollabQA-v0"], ["clarify"], 1, out=str(tmp_path), workers=1,
            env=EnvConfig(split="test", max_turns=3, user=user, judge=judge),
        )  # fmt: skip
        header, [record] = read_log(run_bench(config))
        described = BenchConfig.from_dict(header["config"]).env_config("CollabQA-v0")
        assert described == config.env_config("CollabQA-v0")
        assert (described.user, described.judge) == (user, judge)
        env = gym.make(described.make().spec)  # the record, through gym.make's own door
        replay = run_episode(env, make_agent("clarify", env), seed=record["seed"])
    assert replay.messages == record["messages"]
    assert replay.reward["total"] == pytest.approx(record["reward"]["total"])
