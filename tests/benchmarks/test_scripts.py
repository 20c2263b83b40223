"""The benchmark scripts take --out and write outside the checkout's tracked results by default."""

from __future__ import annotations

import dataclasses
import importlib

import pytest

SCRIPTS = (
    "env_throughput",
    "llm_overhead",
    "math_grader_agreement",
    "mr_throughput",
    "ppo_mr_ablation",
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


@dataclasses.dataclass
class _Args:
    """What a script measures."""

    window: int = 2
    """lookahead turns of each future"""
    sweep: tuple[str, ...] = ("a", "b")
    """settings to run"""
    hostile: bool = False
    fixed: float = 1.0


def test_benchmark_options_come_from_the_one_generator_with_their_help(monkeypatch, capsys):
    from collab_env.benchmarks import parse_args

    monkeypatch.setattr("sys.argv", ["script", "--sweep", "c,d", "--hostile", "--window", "3"])
    assert parse_args(_Args, "Doc.", only=("window", "sweep", "hostile")) == _Args(3, ("c", "d"), True)
    monkeypatch.setattr("sys.argv", ["script", "--help"])
    with pytest.raises(SystemExit):
        parse_args(_Args, "Doc.", only=("window", "sweep"))
    out = " ".join(capsys.readouterr().out.split())
    assert "lookahead turns of each future (default: 2)" in out and "--fixed" not in out
