"""The benchmark scripts take --out and write outside the checkout's tracked results by default."""

from __future__ import annotations

import dataclasses
import importlib

import pytest

SCRIPTS = (
    "env_throughput",
    "judge_agreement",
    "llm_overhead",
    "math_grader_agreement",
    "mr_throughput",
    "mr_user_calls",
    "ppo_mr_ablation",
    "reward_hacking",
    "sandbox",
    "sandbox_charging",
    "user_fidelity",
)


@pytest.mark.parametrize("name", SCRIPTS)
def test_each_script_writes_under_runs_unless_told_otherwise(name):
    module = importlib.import_module(f"collab_env.benchmarks.{name}")
    out = {f.name: f.default for f in dataclasses.fields(module.Args)}["out"]
    assert out.startswith("runs/benchmarks/"), out


def test_math_grader_agreement_takes_out(tmp_path, monkeypatch, capsys):
    from collab_env.benchmarks import math_grader_agreement

    data = tmp_path / "math.jsonl"
    data.write_text('{"problem": "What is 1 + 1?", "solution": "\\\\boxed{2}"}\n')
    out = tmp_path / "agreement.json"
    monkeypatch.setattr("sys.argv", ["math_grader_agreement", "--math", str(data), "--out", str(out)])
    math_grader_agreement.main()
    assert out.exists() and "MATH records: 1 graded" in capsys.readouterr().out
