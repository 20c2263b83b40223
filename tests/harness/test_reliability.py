"""Control conditions and reliability: reset(reveal="all"), bench --reveal, --repeats and pass^k."""

from __future__ import annotations

import json

import gymnasium as gym
import pytest

import collab_env
from collab_env.agents import make_agent
from collab_env.builders import with_parts
from collab_env.cli import main
from collab_env.config import EnvConfig
from collab_env.errors import ConfigError
from collab_env.harness.log import read_log
from collab_env.harness.reliability import pass_hat_k, reliability, underspecification
from collab_env.harness.runner import BenchConfig, run_bench
from collab_env.llm import OpenAIChat
from collab_env.rollout import run_episode
from collab_env.testing.openai_server import LoopbackServer
from collab_env.types import TERMINATION_SIGNAL
from collab_env.users import LLMUser


def _user_reply(messages):
    return json.dumps({"thought": "ok", "response": f"Thanks, that is what I wanted. {TERMINATION_SIGNAL}"})


@pytest.mark.parametrize("env_id", list(collab_env.ENV_IDS))
def test_reveal_all_states_every_facet_in_the_opening_of_the_same_instance(env_id):
    env = gym.make(env_id, split="test")
    obs, info = env.reset(seed=3)
    instance = env.unwrapped.instance
    full, info_all = env.reset(seed=3, options={"reveal": "all"})
    assert info_all["task_id"] == info["task_id"] and info_all["reveal"] == "all"
    assert full[0]["content"].startswith(obs[0]["content"].rstrip())
    assert all(f.statement in full[0]["content"] for f in instance.hidden_facets)
    assert env.unwrapped.snapshot().user_state.told == {f.name for f in instance.facets}  # nothing to reveal


@pytest.mark.parametrize("env_id", list(collab_env.ENV_IDS))
def test_a_passive_agent_fully_specified_scores_at_least_as_it_does_underspecified(env_id):
    env = gym.make(env_id, split="test")
    agent = make_agent("passive", env)
    default = [run_episode(env, agent, seed=k) for k in range(20)]
    full = [run_episode(env, agent, seed=k, reveal="all") for k in range(20)]
    scores = [[r.reward["task_metric"] for r in rs] for rs in (default, full)]
    assert all(f >= d for d, f in zip(*scores, strict=True))
    # Where corrections got the passive agent there anyway (QA with a patient user), it took longer.
    assert sum(scores[1]) > sum(scores[0]) or sum(r.turns for r in full) < sum(r.turns for r in default)


def test_an_unknown_reveal_value_is_refused_by_name():
    env = gym.make("CollabMath-v0")
    with pytest.raises(ConfigError, match="reveal must be one of"):
        env.reset(options={"reveal": "some"})


def test_reveal_all_reaches_an_llm_user_on_loopback():
    seen = []
    with LoopbackServer(reply=lambda m: seen.append(m) or _user_reply(m)) as server:
        user = LLMUser(OpenAIChat("user-model", base_url=server.base_url, backoff_s=0.01))
        env = with_parts("CollabMath-v0", split="test", user=user)
        result = run_episode(env, make_agent("clarify", env), seed=0, reveal="all")
    instance = env.unwrapped.instance
    assert result.terminated and all(f.statement in result.messages[0]["content"] for f in instance.facets)
    assert all(f.statement in seen[0][-1]["content"] for f in instance.facets)


def test_pass_hat_k_is_the_unbiased_estimate_of_all_k_trials_succeeding():
    assert pass_hat_k(2, 4, 1) == 0.5 and pass_hat_k(2, 4, 2) == pytest.approx(1 / 6)
    assert pass_hat_k(2, 4, 3) == 0.0
    with pytest.raises(ValueError):
        pass_hat_k(1, 2, 3)


def _record(task, repeat, metric, status="ok", reveal="default", episode=0):
    return {
        "env_id": "E", "agent": "a", "episode": episode, "repeat": repeat, "reveal": reveal, "task_id": task,
        "status": status, "reward": {"task_metric": metric}, "success": metric >= 1.0, "turns": 2,
    }  # fmt: skip


def test_reliability_averages_pass_k_over_instances_and_leaves_lost_trials_out():
    records = [_record("t0", r, 1.0) for r in range(3)]
    records += [_record("t1", 0, 1.0, episode=1), _record("t1", 1, 0.0, episode=1)]
    records += [_record("t1", 2, 1.0, "lost", episode=1)]
    (row,) = reliability(records)
    assert row["instances"] == 2 and row["repeats"] == 3
    assert row["pass_k"][1] == pytest.approx((1 + 0.5) / 2) and row["pass_k"][2] == pytest.approx((1 + 0) / 2)
    assert row["pass_k"][3] == 1.0  # only t0 has three scored trials


def test_underspecification_pairs_each_episode_with_its_fully_specified_twin():
    records = [_record("t0", 0, 0.25), _record("t0", 0, 1.0, reveal="all")]
    records += [_record("t1", 0, 0.75, episode=1), _record("t1", 0, 0.75, reveal="all", episode=1)]
    (row,) = underspecification(records)
    assert row["pairs"] == 2 and row["gap"].mean == pytest.approx(0.375) and row["all"].mean == 0.875


def test_bench_repeats_replay_each_instance_with_its_own_user_seeds(tmp_path):
    config = BenchConfig(["CollabMath-v0"], ["passive"], 3, out=str(tmp_path), repeats=4, workers=1)
    header, records = read_log(run_bench(config))
    assert len(records) == 12 and header["run"]["repeats"] == 4
    for k in range(3):
        mine = [r for r in records if r["episode"] == k]
        assert {r["task_id"] for r in mine} == {f"math-test-{k:05d}"} and len({r["seed"] for r in mine}) == 4
    personas = {json.dumps(r["messages"][1:]) for r in records if r["episode"] == 0}
    assert len(personas) > 1  # the user's seed changes what it says
    (row,) = reliability(records)
    assert set(row["pass_k"]) == {1, 2, 3, 4} and row["pass_k"][1] >= row["pass_k"][4]


def test_bench_repeats_send_distinct_seeds_to_an_llm_user(tmp_path):
    with LoopbackServer(reply=_user_reply) as server:
        config = BenchConfig(
            ["CollabQA-v0"],
            ["clarify"],
            1,
            out=str(tmp_path),
            repeats=3,
            workers=1,
            env=EnvConfig.from_kwargs(
                split="test", user_model="fake-user", judge_model="heuristic", base_url=server.base_url
            ),
        )
        _, records = read_log(run_bench(config))
        seeds = [b.get("seed") for b in server.bodies]
    # every call of every repeat (the written opening, then the reply) draws its own seed
    assert len(records) == 3 and all(r["status"] == "ok" for r in records)
    assert len(seeds) == len(set(seeds)) == sum(r["user_calls"] for r in records) >= 3


def test_bench_cli_reports_the_cost_of_underspecification_and_pass_k(tmp_path, capsys):
    argv = ["bench", "--envs", "CollabMath-v0", "--agents", "passive,clarify", "--episodes", "3"]
    assert main([*argv, "--repeats", "2", "--reveal", "default,all", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "Cost of underspecification" in printed and "pass^2" in printed
    results = json.loads((tmp_path / "results.json").read_text())
    gaps = {r["agent"]: r["gap"]["mean"] for r in results["underspecification"]}
    assert gaps["passive"] > gaps["clarify"] >= 0
    assert {r["agent"] for r in results["reliability"]} == {"passive", "clarify"}
    assert all(row["episodes"] == 6 for row in results["summary"])  # the control is not mixed in
    assert "Cost of underspecification" in (tmp_path / "results.md").read_text()
    assert main(["show", str(tmp_path), "--html", str(tmp_path / "r.html")]) == 0
    page = (tmp_path / "r.html").read_text()
    assert "<h2>Cost of underspecification</h2>" in page and "<th>pass^2</th>" in page


def test_bench_refuses_bad_repeats_and_reveal_values(tmp_path):
    with pytest.raises(ConfigError, match="repeats"):
        BenchConfig(["CollabMath-v0"], ["passive"], 1, out=str(tmp_path), repeats=0)
    with pytest.raises(ConfigError, match="reveal"):
        BenchConfig(["CollabMath-v0"], ["passive"], 1, out=str(tmp_path), reveal=["none"])
