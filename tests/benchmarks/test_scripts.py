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
    "user_guards",
)


@pytest.mark.parametrize("name", SCRIPTS)
def test_each_script_writes_under_runs_unless_told_otherwise(name):
    module = importlib.import_module(f"benchmarks.{name}")
    out = {f.name: f.default for f in dataclasses.fields(module.Args)}["out"]
    assert out.startswith("runs/benchmarks/"), out


def test_math_grader_agreement_takes_out(tmp_path, monkeypatch, capsys):
    from benchmarks import math_grader_agreement

    data = tmp_path / "math.jsonl"
    data.write_text('{"problem": "What is 1 + 1?", "solution": "\\\\boxed{2}"}\n')
    out = tmp_path / "agreement.json"
    monkeypatch.setattr("sys.argv", ["math_grader_agreement", "--math", str(data), "--out", str(out)])
    math_grader_agreement.main()
    assert out.exists() and "MATH records: 1 graded" in capsys.readouterr().out


def test_user_guards_measures_false_rejections_and_the_catch_rate(tmp_path, monkeypatch, capsys):
    import json

    from benchmarks import user_guards

    people = tmp_path / "people.jsonl"
    turns = ["Write an apology letter to my friend.", "Let me know if you need more details.", "Thanks!"]
    people.write_text(json.dumps({"id": "c0", "intent": "Apology letter", "user_queries": turns,
                                  "ai_responses": ["Draft one.", "Draft two.", "Glad to help."]}) + "\n")  # fmt: skip
    qa = tmp_path / "qa.jsonl"
    qa.write_text("")
    tutoring = tmp_path / "math.jsonl"
    tutoring.write_text(json.dumps({"id": "m0", "user_queries": ["How do I start?", "So I factor it first?"],
                                    "ai_responses": ["What do you see?", "Yes."]}) + "\n")  # fmt: skip
    drift = tmp_path / "drift.jsonl"
    chat = [{"role": "user", "content": "Can you write a Python function that turns a title into a URL slug?"},
            {"role": "assistant", "content": "What should it be called?"}]  # fmt: skip
    rows = [("I will write the function now.", "drift"), ("call it title_to_slug", "user")]
    drift.write_text("".join(json.dumps({"env_id": "CollabCode-v0", "task_id": "code-test-00000", "model": "m",
                     "messages": chat, "text": t, "label": label, "kind": "assistant_voice" if label == "drift"
                     else None}) + "\n" for t, label in rows))  # fmt: skip
    out = tmp_path / "guards.json"
    argv = [
        "user_guards",
        "--simarena",
        str(people),
        "--abgcoqa",
        str(qa),
        "--math",
        str(tutoring),
        "--drift",
        str(drift),
        "--out",
        str(out),
    ]
    monkeypatch.setattr("sys.argv", argv)
    user_guards.main()
    figures = json.loads(out.read_text())
    assert (
        figures["false_rejections_human"]["rate"] == 0.0 and figures["false_rejections_human"]["turns"] == 5
    )
    assert (
        figures["false_rejections_simarena_faceted"]["turns"] == 3
        and figures["false_rejections_math"]["turns"] == 2
    )
    assert (
        figures["catch_rate_drift"]["rate"] == 1.0
        and figures["false_rejections_model_user_turns"]["rate"] == 0
    )


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
    from benchmarks import parse_args

    monkeypatch.setattr("sys.argv", ["script", "--sweep", "c,d", "--hostile", "--window", "3"])
    assert parse_args(_Args, "Doc.", only=("window", "sweep", "hostile")) == _Args(3, ("c", "d"), True)
    monkeypatch.setattr("sys.argv", ["script", "--help"])
    with pytest.raises(SystemExit):
        parse_args(_Args, "Doc.", only=("window", "sweep"))
    out = " ".join(capsys.readouterr().out.split())
    assert "lookahead turns of each future (default: 2)" in out and "--fixed" not in out


def test_the_frozen_drift_set_names_its_models_labels_and_provenance():
    import json
    from pathlib import Path

    import collab_env

    path = Path(__file__).parents[2] / "benchmarks" / "data" / "user_drift.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert len({r["model"] for r in rows}) >= 2  # drift from at least two models
    kinds = {"assistant_voice", "narration", "solving", "contradiction", "goal_dump", "format", "empty"}
    for r in rows:
        assert r["env_id"] in collab_env.ENV_IDS and r["agent"] and r["labeller"] and r["source"]
        assert (r["label"], r["kind"] in kinds) in (("drift", True), ("user", False))
