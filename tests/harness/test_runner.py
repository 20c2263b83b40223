"""The benchmark runner: the episode log, resume after a kill, lost episodes, executors."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from collab_env.cli import main
from collab_env.config import EnvConfig
from collab_env.errors import ConfigError
from collab_env.harness.log import read_log
from collab_env.harness.runner import BenchConfig, run_bench
from collab_env.harness.summary import markdown, summarise
from collab_env.testing.openai_server import LoopbackServer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _importable(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))  # workers import module:function agents from here


def _outcomes(records):
    return sorted(
        (r["env_id"], r["agent"], r["episode"], r["seed"], r["task_id"], r["reward"]["total"])
        for r in records
    )


def test_every_agent_plays_seed_s_plus_k_which_is_test_instance_s_plus_k(tmp_path):
    config = BenchConfig(["CollabMath-v0"], ["passive", "clarify"], 3, seed=7, out=str(tmp_path))
    header, records = read_log(run_bench(config))
    by_agent = {
        a: sorted((r["episode"], r["seed"], r["task_id"]) for r in records if r["agent"] == a)
        for a in config.agents
    }
    assert (
        by_agent["passive"] == by_agent["clarify"] == [(k, 7 + k, f"math-test-{7 + k:05d}") for k in range(3)]
    )
    record = records[0]
    for field in (
        "reward",
        "assistant_tokens",
        "user_tokens",
        "turns",
        "questions",
        "user_calls",
        "judge",
        "cost",
        "messages",
    ):
        assert field in record, field
    assert record["judge"] == "heuristic" and record["reward"]["engagement_judge"] == "heuristic"
    run = header["run"]
    assert run["envs"]["CollabMath-v0"]["task_version"] and run["seeds"] == [7, 9] and run["collab_env"]


def test_a_crashing_agent_fails_its_episodes_and_they_count_in_the_mean(tmp_path):
    config = BenchConfig(
        ["CollabQA-v0"], ["clarify", "tests.harness.sample_agents:crash"], 2, out=str(tmp_path)
    )
    _, records = read_log(run_bench(config))
    failed = [r for r in records if r["agent"] != "clarify"]
    assert len(records) == 4 and all(r["status"] == "agent_error" for r in failed)
    assert all("ZeroDivisionError" in r["error"] and r["reward"]["task_metric"] == 0.0 for r in failed)
    row = next(r for r in summarise(records) if r["agent"] != "clarify")
    assert (row["episodes"], row["lost"], row["agent_errors"], row["r_star"].mean) == (2, 0, 2, 0.0)


@pytest.mark.parametrize(("agent", "complaint"), [("not_text", "not a str"), ("rambler", "characters long")])
def test_an_invalid_action_is_the_agents_failure_not_a_lost_episode(tmp_path, agent, complaint):
    config = BenchConfig(["CollabMath-v0"], [f"tests.harness.sample_agents:{agent}"], 1, out=str(tmp_path))
    [record] = read_log(run_bench(config))[1]
    assert record["status"] == "agent_error" and complaint in record["error"] and record["turns"] == 0


def test_summary_table_has_a_column_for_agent_errors(tmp_path):
    config = BenchConfig(["CollabQA-v0"], ["tests.harness.sample_agents:crash"], 1, out=str(tmp_path))
    table = markdown(summarise(read_log(run_bench(config))[1]))
    assert "| lost | agent errors |" in table and "| 1 | 0 | 1 |" in table


def test_resume_after_a_kill_gets_exactly_the_episodes_of_a_full_run(tmp_path):
    args = ["bench", "--envs", "CollabQA-v0,CollabDoc-v0", "--episodes", "40", "--workers", "2"]
    full = tmp_path / "full"
    assert main([*args, "--out", str(full)]) == 0
    cut = tmp_path / "cut"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "collab_env.cli", *args, "--out", str(cut)], env=env)
    log = cut / "episodes.jsonl"
    while (not log.exists() or len(log.read_text().splitlines()) < 30) and proc.poll() is None:
        time.sleep(0.01)
    proc.kill()
    proc.wait()
    _, partial = read_log(log)
    assert 0 < len(partial) < 160, "the run was not cut halfway"
    assert main([*args, "--out", str(cut), "--resume"]) == 0
    lines = [json.loads(line) for line in log.read_text().splitlines()[1:]]
    keys = [(r["env_id"], r["agent"], r["episode"]) for r in lines]
    assert len(keys) == len(set(keys)) == 160  # nothing run twice, nothing missing
    assert _outcomes(read_log(log)[1]) == _outcomes(read_log(full)[1])
    assert all((cut / name).exists() for name in ("results.md", "results.csv", "results.json"))


def test_a_line_torn_by_a_kill_is_dropped_and_its_episode_run_again(tmp_path):
    config = BenchConfig(["CollabQA-v0"], ["passive"], 4, out=str(tmp_path))
    log = run_bench(config)
    full = read_log(log)[1]
    lines = log.read_text().splitlines(keepends=True)
    log.write_text("".join(lines[:3]) + lines[3][:40])  # header, 2 episodes, half of the third
    assert len(read_log(log)[1]) == 2
    config.resume = True
    run_bench(config)
    assert _outcomes(read_log(log)[1]) == _outcomes(full)
    assert all(json.loads(line) for line in log.read_text().splitlines())  # the log is whole again


def test_lost_episodes_are_kept_on_resume_and_run_again_with_retry_lost(tmp_path, monkeypatch):
    flag = tmp_path / "outage"
    flag.touch()
    monkeypatch.setenv("FLAKY_FLAG", str(flag))
    config = BenchConfig(["CollabQA-v0"], ["tests.harness.sample_agents:flaky"], 3, out=str(tmp_path / "run"))
    log = run_bench(config)
    assert [r["status"] for r in read_log(log)[1]] == ["lost"] * 3
    config.resume = True
    run_bench(config)  # resume alone keeps the lost records
    assert len(log.read_text().splitlines()) == 4
    flag.unlink()
    config.retry_lost = True
    run_bench(config)
    records = read_log(log)[1]
    assert len(records) == 3 and all(r["status"] == "ok" for r in records)  # latest record wins


def test_an_existing_log_needs_resume_and_the_same_configuration(tmp_path):
    config = BenchConfig(["CollabQA-v0"], ["passive"], 1, out=str(tmp_path))
    run_bench(config)
    with pytest.raises(ConfigError, match="exists; pass --resume"):
        run_bench(config)
    other = BenchConfig(["CollabQA-v0"], ["passive"], 1, seed=5, out=str(tmp_path), resume=True)
    with pytest.raises(ConfigError, match="differs in: seed, seeds"):
        run_bench(other)


@pytest.mark.parametrize(
    ("kwargs", "complaint"),
    [
        ({"envs": ["CollabFoo-v0"]}, "unknown env id"),
        ({"agents": []}, "agents is empty"),
        ({"agents": ["clarify", "clarify"]}, "twice"),
        ({"agents": ["gpt4"]}, "bad agent spec 'gpt4'"),
        ({"episodes": 0}, "episodes and workers must be >= 1"),
        ({"executor": "dask"}, "executor must be one of"),
    ],
)
def test_bad_configurations_fail_before_anything_runs(kwargs, complaint, tmp_path):
    with pytest.raises(ConfigError, match=complaint):
        BenchConfig(**{"out": str(tmp_path), **kwargs})


def test_processes_give_the_same_episodes_and_survive_a_dying_worker(tmp_path):
    common = {"envs": ["CollabMath-v0"], "episodes": 3, "workers": 2}
    agents = ["clarify", "tests.harness.sample_agents:die"]
    threads = read_log(run_bench(BenchConfig(**common, agents=["clarify"], out=str(tmp_path / "t"))))[1]
    procs = read_log(
        run_bench(BenchConfig(**common, agents=agents, out=str(tmp_path / "p"), executor="processes"))
    )[1]
    assert len(procs) == 6
    died = [r for r in procs if r["agent"] != "clarify"]
    assert all(r["status"] == "lost" and "BrokenProcessPool" in r["error"] for r in died)
    scored = [r for r in procs if r["status"] == "ok"]
    assert scored and set(_outcomes(scored)) <= set(_outcomes(threads))  # same episodes wherever they ran


def test_cli_defaults_are_the_main_job():
    from collab_env.cli import build_parser
    from collab_env.cli.bench import config_from_args

    parser = build_parser()
    config = config_from_args(parser.parse_args(["bench"]))
    assert config.envs == ["CollabDoc-v0", "CollabCode-v0", "CollabMath-v0", "CollabQA-v0"]
    assert (
        config.agents == ["passive", "clarify"]
        and config.env.split == "test"
        and config.executor == "threads"
    )
    assert config.episodes == 50 and config.workers == (os.cpu_count() or 1)
    with pytest.raises(ConfigError, match="compare 'x' is not among"):
        config_from_args(parser.parse_args(["bench", "--compare", "x"]))
    with pytest.raises(ConfigError, match="--resume needs the --out"):
        config_from_args(parser.parse_args(["bench", "--resume"]))


@pytest.mark.ray
def test_ray_executor_gives_the_same_episodes(tmp_path):
    ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'collab-env[ray]')")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        common = {"envs": ["CollabQA-v0", "CollabMath-v0"], "agents": ["passive", "clarify"], "episodes": 3}
        local = read_log(run_bench(BenchConfig(**common, out=str(tmp_path / "local"))))[1]
        remote = read_log(run_bench(BenchConfig(**common, out=str(tmp_path / "ray"), executor="ray")))[1]
    finally:
        ray.shutdown()
    assert _outcomes(remote) == _outcomes(local)


def test_the_llm_users_counts_reach_the_log_and_the_summary(tmp_path):
    # Each user turn (the written opening too): first an output that is not JSON, then an empty
    # message, then one that ends the chat.
    turns = itertools.cycle(
        ["USER: ok", json.dumps({"response": ""}), json.dumps({"response": "ok [TERMINATE CHAT]"})]
    )
    with LoopbackServer(reply=lambda m: next(turns)) as server:
        config = BenchConfig(
            ["CollabQA-v0"],
            ["clarify"],
            1,
            out=str(tmp_path),
            workers=1,
            env=EnvConfig.from_kwargs(
                split="test", user_model="u", base_url=server.base_url, judge_model="heuristic"
            ),
        )
        _, records = read_log(run_bench(config))
    (record,) = records
    assert record["status"] == "ok" and record["terminated"]
    # The LLM user speaks the acts protocol (the default). The opening's three attempts fail (not
    # JSON, empty, "ok" lost the request): the template's. At clarify's question (which reading)
    # the empty message of the second attempt is the answer act, told in the goal's words ("I
    # mean Hana."); at clarify's right answer only accept is open, and the first attempt that
    # parses ends the chat. (Grounded: (4, 6, 8), an end before an answer asked about twice.)
    assert (record["user_parse_failures"], record["user_drifts"], record["user_retries"]) == (2, 2, 3)
    row = summarise(records)[0]
    assert (row["user_parse_failures"].mean, row["user_drifts"].mean, row["user_retries"].mean) == (2, 2, 3)


def test_one_worker_keeps_its_episodes_in_flight_and_plays_what_a_serial_run_plays(tmp_path):
    from collab_env.harness.episode import play

    def reply(messages, request):  # a user who answers by its seed and ends the chat at its third reply
        done = json.dumps(messages).count("ASSISTANT:") >= 3
        return json.dumps({"reveal": [], "message": f"it is for team {request['seed'] % 7}", "done": done})

    with LoopbackServer(reply=reply, latency_s=0.1) as server:
        env = EnvConfig.from_kwargs(
            split="test", user_model="u", base_url=server.base_url, judge_model="heuristic"
        )
        config = BenchConfig(
            ["CollabDoc-v0"], ["clarify", "passive"], 3, out=str(tmp_path), workers=1, env=env
        )
        _, records = read_log(run_bench(config))
        assert server.max_in_flight == 6  # the worker's six episodes wait for their replies together
        serial = [play(("CollabDoc-v0", a, k, 0, "default"), config) for a in config.agents for k in range(3)]
    assert all(r["status"] == "ok" for r in records) and _outcomes(records) == _outcomes(serial)
    by_key = {(r["agent"], r["episode"]): r["messages"] for r in serial}
    assert all(r["messages"] == by_key[(r["agent"], r["episode"])] for r in records)
