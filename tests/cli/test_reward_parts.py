"""Issue 43: where a reward is shown, its parts are explained: engagement's counts, tokens, verdict."""

from __future__ import annotations

import json
import re

import pytest

from collab_env.cli import main
from collab_env.cli.render import explain_reward
from collab_env.rewards.engagement import COUNTS

#: A polite, successful Code episode whose R_eng is below 0: what a user needs explained.
CODE_EPISODE = ["episode", "CollabCode-v0", "--agent", "clarify", "--seed", "0"]


def _run(argv: list[str], capsys) -> str:
    assert main(argv) == 0
    return capsys.readouterr().out


def _assert_parts_on_screen(out: str, parts: dict) -> None:
    """Every count the engagement judge used, the tokens and the metric's verdict are printed."""
    details = parts["engagement_details"]
    shown = [name for name in COUNTS if details[name]]
    assert shown, details
    for name in shown:
        assert f"{name} {details[name]}" in out, (name, out)
    judged = sum(details[name] for name in COUNTS)
    assert f"/ {judged} judged = {parts['engagement']:.3f}" in out, out
    assert f"token penalty: {parts['assistant_tokens']} assistant tokens" in out, out
    assert "task metric (all_tests_pass)" in out and "hidden test" in out, out


def test_episode_explains_each_part_of_r_star(capsys):
    parts = json.loads(_run([*CODE_EPISODE, "--json"], capsys))["reward"]
    out = _run(CODE_EPISODE, capsys)
    _assert_parts_on_screen(out, parts)
    assert "not paid in this env (weight 0)" in out  # Code pays no engagement: said beside it
    assert re.search(r"the code (passes every|fails a) hidden test \(\d+ of \d+ pass\)", out), out


def test_show_explains_each_part_of_a_logged_episode(tmp_path, capsys):
    run = tmp_path / "run"
    _run(
        ["bench", "--envs", "CollabCode-v0", "--agents", "clarify", "--episodes", "1", "--out", str(run)],
        capsys,
    )
    record = next(
        r
        for r in map(json.loads, (run / "episodes.jsonl").read_text().splitlines())
        if r["type"] == "episode"
    )
    out = _run(["show", str(run), "--episode", "0"], capsys)
    _assert_parts_on_screen(out, record["reward"])


def _parts(**engagement) -> dict:
    details = {**dict.fromkeys(COUNTS, 0), "solution_proposed": True, **engagement}
    return {
        "task_metric": 0.0, "token_penalty": 0.1, "assistant_tokens": 200, "engagement": 0.0,
        "engagement_judge": "heuristic", "engagement_details": details, "solution_found": True,
        "config": {"w_ext": 1.0, "w_eng": 1.0, "token_penalty": 0.5, "penalty_cap": 1.0},
    }  # fmt: skip


@pytest.mark.parametrize(
    ("parts", "metric", "expected"),
    [
        (_parts(), "accuracy", "the final answer is wrong"),
        ({**_parts(), "solution_found": False}, "accuracy", "no solution found"),
        (_parts(), "bleu", "BLEU against the target"),
        (_parts(), "accuracy", "no question judged, so 0"),
        (_parts(answered=1, solution_proposed=False), "accuracy", "no solution proposed, so 0"),
        (_parts(answered=1, ignored=1), "accuracy", "ignored: an answer the user had to repeat"),
    ],
)
def test_each_verdict_is_said_in_words(parts, metric, expected):
    assert expected in "\n".join(explain_reward(parts, metric))


def test_an_llm_judges_evidence_is_shown_as_given():
    parts = {**_parts(), "engagement_judge": "openai:judge", "engagement_details": {"rating": 4, "raw": "ok"}}
    assert "engagement (openai:judge): rating 4, raw ok" in explain_reward(parts)


def test_bench_parts_prints_parts_that_add_up_to_r_star(tmp_path, capsys):
    out = _run(
        ["bench", "--envs", "CollabQA-v0", "--episodes", "2", "--parts", "--out", str(tmp_path / "run")],
        capsys,
    )
    number = r"(-?[\d.]+)"
    rows = re.findall(
        rf"│ CollabQA-v0 │ (\w+)\s+│\s+{number} × {number} │\s+−{number} │\s+{number} × {number} │\s+{number} │"
        rf" heuristic │\s+{number} │\s+{number} │\s+{number} │\s+{number} │",
        out,
    )
    assert {r[0] for r in rows} == {"passive", "clarify"}, out
    summary = dict(
        re.findall(rf"│ CollabQA-v0 │ (\w+)\s+│ accuracy .*│ {number}±[\d.]+ │ [\d.]+±[\d.]+ │$", out, re.M)
    )
    for agent, metric, w_ext, penalty, engagement, w_eng, total, *counts in rows:
        parts = float(w_ext) * float(metric) - float(penalty) + float(w_eng) * float(engagement)
        assert parts == pytest.approx(float(total), abs=2e-3), (agent, out)  # 3 decimals each
        assert total == summary[agent], (agent, out)  # the summary's R* mean
        assert all(float(c) >= 0 for c in counts)
    for name in ("answered", "unanswered", "missed", "ignored"):
        assert name in out
    assert "R* and its parts" in (tmp_path / "run" / "results.md").read_text()


def test_bench_shows_no_parts_unless_asked(tmp_path, capsys):
    out = _run(["bench", "--envs", "CollabQA-v0", "--episodes", "1", "--out", str(tmp_path / "run")], capsys)
    assert (
        "token penalty" not in out and "R* and its parts" not in (tmp_path / "run" / "results.md").read_text()
    )
