"""The benchmark harness: agent specs, the episode log, resume and the summary."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import gymnasium as gym
import pytest

from collab_env.bench.runner import BenchConfig, read_log, run_bench
from collab_env.bench.specs import build_agent, check_spec
from collab_env.bench.summary import compare, stat, summarise
from collab_env.cli import main
from collab_env.errors import ConfigError


def echo_agent(messages):
    """A user-supplied agent for the module:function spec."""
    return "Answer: " + messages[-1]["content"][:10]


def factory(env):
    """A user-supplied factory: called with the env."""
    return lambda messages: "Answer: " + env.unwrapped.task.name


factory.agent_factory = True


@pytest.mark.parametrize("spec", ["passive", "clarify", "tests.bench.test_bench:echo_agent", " clarify "])
def test_good_specs_are_accepted(spec):
    assert check_spec(spec) == spec.strip()


@pytest.mark.parametrize("spec", ["", "gpt-4o", "module:", ":fn", "a b:c", "openai-ish:x y"])
def test_bad_specs_name_the_spec_and_the_forms(spec):
    with pytest.raises(ConfigError, match="bad agent spec"):
        check_spec(spec)


def test_callable_and_factory_specs_build_agents(monkeypatch):
    monkeypatch.syspath_prepend(str(__import__("pathlib").Path(__file__).parents[2]))
    env = gym.make("CollabQA-v0")
    assert build_agent("tests.bench.test_bench:echo_agent", env) is echo_agent
    assert build_agent("tests.bench.test_bench:factory", env)([]) == "Answer: qa"
    with pytest.raises(ConfigError, match="cannot import"):
        build_agent("tests.bench.test_bench:missing", env)


def test_a_crashing_agent_is_recorded_as_lost_and_the_run_goes_on(tmp_path, monkeypatch):
    (tmp_path / "my_agents.py").write_text("def crash(messages):\n    return str(1 / 0)\n")
    monkeypatch.syspath_prepend(str(tmp_path))  # workers import agents from the parent's path
    config = BenchConfig(
        ["CollabQA-v0"], ["clarify", "my_agents:crash"], 2, out=str(tmp_path / "run"), workers=1
    )
    _, records = read_log(run_bench(config))
    lost = [r for r in records if r["status"] == "lost"]
    assert len(records) == 4 and len(lost) == 2 and "ZeroDivisionError" in lost[0]["error"]
    row = next(r for r in summarise(records) if r["agent"] != "clarify")
    assert row["episodes"] == 0 and row["lost"] == 2


def _keys_and_rewards(records):
    return sorted((r["env_id"], r["agent"], r["episode"], r["reward"]["total"]) for r in records)


def test_resume_after_a_kill_gets_exactly_the_full_run(tmp_path):
    args = ["bench", "--envs", "CollabQA-v0,CollabDoc-v0", "--episodes", "25", "--workers", "1"]
    full = tmp_path / "full"
    assert main([*args, "--out", str(full)]) == 0
    cut = tmp_path / "cut"
    proc = subprocess.Popen([sys.executable, "-m", "collab_env.cli", *args, "--out", str(cut)])
    log = cut / "episodes.jsonl"
    while not log.exists() or len(log.read_text().splitlines()) < 20:
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    _, partial = read_log(log)
    assert 0 < len(partial) < 100
    assert main([*args, "--out", str(cut), "--resume"]) == 0
    _, resumed = read_log(log)
    assert _keys_and_rewards(resumed) == _keys_and_rewards(read_log(full / "episodes.jsonl")[1])
    assert (
        (cut / "results.md").exists() and (cut / "results.csv").exists() and (cut / "results.json").exists()
    )


def test_an_existing_log_needs_resume(tmp_path):
    config = BenchConfig(["CollabQA-v0"], ["passive"], 1, out=str(tmp_path), workers=1)
    run_bench(config)
    with pytest.raises(ConfigError, match="exists"):
        run_bench(config)


def test_summary_of_a_hand_made_log():
    def rec(agent, metric, total, status="ok"):
        reward = {"task_metric": metric, "engagement": 0.5, "total": total}
        return {
            "env_id": "E",
            "agent": agent,
            "status": status,
            "reward": reward,
            "assistant_tokens": 1000,
            "turns": 2,
        }

    records = [
        rec("a", 0.0, 1.0),
        rec("a", 1.0, 3.0),
        rec("b", 1.0, 2.0),
        rec("b", 1.0, 2.0),
        rec("b", 0, 0, "lost"),
    ]
    rows = {r["agent"]: r for r in summarise(records)}
    assert rows["a"]["task_metric"].mean == 0.5 and rows["a"]["task_metric"].ci95 == pytest.approx(1.96 * 0.5)
    assert rows["a"]["tokens_k"].mean == 1.0 and rows["a"]["r_star"].mean == 2.0
    assert rows["b"]["episodes"] == 2 and rows["b"]["lost"] == 1 and rows["b"]["task_metric"].mean == 1.0
    assert compare(list(rows.values()), "a")[0]["task_metric"] == pytest.approx(100.0)
    assert stat([]).mean != stat([]).mean  # NaN: nothing scored


def test_show_renders_an_episode(tmp_path, capsys):
    run_bench(BenchConfig(["CollabMath-v0"], ["clarify"], 1, out=str(tmp_path), workers=1))
    assert main(["show", str(tmp_path / "episodes.jsonl"), "--episode", "0"]) == 0
    out = capsys.readouterr().out
    assert "CollabMath-v0" in out and "R*" in out
    assert main(["show", str(tmp_path / "episodes.jsonl"), "--episode", "5"]) == 2


def test_results_files_carry_versions(tmp_path):
    assert (
        main(
            [
                "bench",
                "--envs",
                "CollabQA-v0",
                "--episodes",
                "2",
                "--out",
                str(tmp_path),
                "--compare",
                "passive",
            ]
        )
        == 0
    )
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["header"]["run"]["envs"]["CollabQA-v0"]["task_version"] == "0"
    assert results["compare"][0]["agent"] == "clarify"


def _report(tmp_path):
    assert (
        main(["bench", "--envs", "CollabQA-v0,CollabMath-v0", "--episodes", "3", "--out", str(tmp_path)]) == 0
    )
    assert main(["show", str(tmp_path / "episodes.jsonl"), "--html"]) == 0
    return tmp_path / "report.html"


def test_html_report_is_self_contained(tmp_path):
    from html.parser import HTMLParser

    class Collect(HTMLParser):
        def __init__(self):
            super().__init__()
            self.tags, self.srcs, self.rows = [], [], 0

        def handle_starttag(self, tag, attrs):
            self.tags.append(tag)
            self.srcs += [v for k, v in attrs if k in ("src", "href")]
            self.rows += tag == "tr"

    page = Collect()
    page.feed(_report(tmp_path).read_text())
    assert page.rows == 1 + 4  # header + (2 envs × 2 agents)
    assert page.tags.count("details") == 12 and page.tags.count("img") == 3
    assert all(src.startswith("data:image/png;base64,") for src in page.srcs)  # nothing to fetch


def test_html_report_renders_in_headless_chromium(tmp_path):
    import shutil

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip(
            "Chromium is not installed (apt-get install chromium); the HTML is checked by parsing instead"
        )
    report = _report(tmp_path)
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
    ]
    dom = subprocess.run(
        [chromium, *flags, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", report.as_uri()],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    assert '<table id="summary">' in dom and dom.count("<tr>") == 5
    shot = tmp_path / "shot.png"
    subprocess.run(
        [chromium, *flags, f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", report.as_uri()],
        capture_output=True, timeout=60, check=True,
    )  # fmt: skip
    assert shot.stat().st_size > 10_000


@pytest.mark.ray
def test_ray_executor_gives_the_same_episodes(tmp_path):
    ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'collab-env[ray]')")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        common = {"envs": ["CollabQA-v0", "CollabMath-v0"], "agents": ["passive", "clarify"], "episodes": 3}
        local = read_log(run_bench(BenchConfig(**common, out=str(tmp_path / "local"), workers=1)))[1]
        remote = read_log(run_bench(BenchConfig(**common, out=str(tmp_path / "ray"), executor="ray")))[1]
    finally:
        ray.shutdown()
    assert _keys_and_rewards(remote) == _keys_and_rewards(local)
